"""Project settings from ``[tool.kernbench]`` in pyproject.toml: regression thresholds and significance.

A kernel library tolerates different noise per kernel: a 5% gate suits a large GEMM, a
short decode kernel may need 10%. The table names a family or a variant; a variant's
entry wins over its family's, and both over the default::

    [tool.kernbench]
    threshold = "5%"        # default for every pair
    alpha = 0.002           # Mann-Whitney p-value under which a change counts (as asv)

    [tool.kernbench.thresholds]
    gemm = "5%"
    triton_naive = "10%"
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from .errors import UsageError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10 needs the backport
    import tomli as tomllib

DEFAULT_THRESHOLD = 0.05
DEFAULT_ALPHA = 0.002


def parse_fraction(value: object, what: str = "threshold") -> float:
    """``"5%"``, ``"0.05"`` or ``0.05`` -> 0.05; anything else is a usage error."""
    text = str(value).strip()
    percent = text.endswith("%")
    try:
        number = float(text[:-1]) / 100 if percent else float(text)
    except ValueError:
        raise UsageError(f"{what} {value!r} is not a fraction like 5% or 0.05") from None
    if not percent and number >= 1:
        raise UsageError(f"{what} {value!r} is ambiguous: write {text}% or {number / 100:g}")
    if not 0 < number < 10:
        raise UsageError(f"{what} {value!r} must be above 0 (e.g. 5%)")
    return number


@dataclass(frozen=True)
class GateConfig:
    """Thresholds (relative slow-down that counts) and the significance level of the gate."""

    threshold: float = DEFAULT_THRESHOLD
    alpha: float = DEFAULT_ALPHA
    thresholds: dict[str, float] = field(default_factory=dict)
    source: str = "defaults"

    def threshold_for(self, family: str, variant: str) -> float:
        """The variant's threshold, else its family's, else the default."""
        if variant in self.thresholds:
            return self.thresholds[variant]
        return self.thresholds.get(family, self.threshold)

    def with_overrides(
        self, threshold: str | None = None, alpha: float | None = None
    ) -> GateConfig:
        """Command-line values replace the defaults (per-name thresholds still apply)."""
        changes: dict[str, Any] = {}
        if threshold is not None:
            changes["threshold"] = parse_fraction(threshold)
        if alpha is not None:
            if not 0 < alpha < 1:
                raise UsageError(f"--alpha {alpha} must be between 0 and 1")
            changes["alpha"] = alpha
        return replace(self, **changes)


def load(directory: Path | None = None) -> GateConfig:
    """Read ``[tool.kernbench]`` from ``directory/pyproject.toml`` (the current directory by default)."""
    path = (directory or Path.cwd()) / "pyproject.toml"
    if not path.is_file():
        return GateConfig()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise UsageError(f"cannot read {path}: {exc}") from None
    section = data.get("tool", {}).get("kernbench", {})
    if not isinstance(section, dict):
        raise UsageError(f"{path}: [tool.kernbench] must be a table")
    names = section.get("thresholds", {})
    if not isinstance(names, dict):
        raise UsageError(f'{path}: [tool.kernbench.thresholds] must be a table of name = "5%"')
    alpha = section.get("alpha", DEFAULT_ALPHA)
    if not isinstance(alpha, (int, float)) or not 0 < alpha < 1:
        raise UsageError(f"{path}: tool.kernbench.alpha must be a number between 0 and 1")
    return GateConfig(
        threshold=parse_fraction(section.get("threshold", DEFAULT_THRESHOLD), f"{path}: threshold"),
        alpha=float(alpha),
        thresholds={
            str(k): parse_fraction(v, f"{path}: threshold of {k}") for k, v in names.items()
        },
        source=str(path),
    )
