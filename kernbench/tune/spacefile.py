"""Space files: a variant's whole valid space measured once, for replays and tune-eval.

JSON with the variant, problem, dtype, device, source hash, settings and provenance, one
entry per launched config (status, message, statistics, raw samples) and the configs the
static check rejected with the reason. Loading checks the format and says what is wrong in
one line.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ..errors import UsageError
from ..measure.outcome import Outcome, Status
from ..space import Config, config_key

FORMAT = "kernbench-space/1"


@dataclass
class SpaceEntry:
    config: Config
    status: str
    message: str = ""
    error: float | None = None
    samples: list[float] = field(default_factory=list)
    stats: dict[str, Any] = field(default_factory=dict)
    noisy: bool = False
    method: dict[str, Any] = field(default_factory=dict)

    @property
    def median_s(self) -> float | None:
        m = self.stats.get("median")
        return float(m) if self.status == Status.OK and m is not None else None

    @classmethod
    def from_outcome(cls, config: Config, outcome: Outcome) -> SpaceEntry:
        return cls(
            dict(config),
            outcome.status,
            outcome.message,
            outcome.error,
            list(outcome.samples),
            dict(outcome.stats),
            outcome.noisy,
            dict(outcome.method),
        )

    def outcome(self) -> Outcome:
        return Outcome(
            self.status,
            self.message,
            self.error,
            samples=list(self.samples),
            stats=dict(self.stats),
            noisy=self.noisy,
            method=dict(self.method),
        )


@dataclass
class SpaceFile:
    family: str
    variant: str
    problem: str
    dtype: str
    device: dict[str, Any]
    source_hash: str
    settings: dict[str, Any] = field(default_factory=dict)
    provenance: dict[str, Any] = field(default_factory=dict)
    entries: list[SpaceEntry] = field(default_factory=list)
    rejected: list[dict[str, Any]] = field(default_factory=list)
    """``{"config": ..., "reason": ...}`` for every statically rejected config."""

    def __post_init__(self) -> None:
        self._by_key = {config_key(e.config): e for e in self.entries}
        self._rejected = {config_key(r["config"]): str(r["reason"]) for r in self.rejected}

    @property
    def device_name(self) -> str:
        return str(self.device.get("name", "unknown"))

    def entry(self, config: Config) -> SpaceEntry | None:
        return self._by_key.get(config_key(config))

    def rejection(self, config: Config) -> str | None:
        return self._rejected.get(config_key(config))

    def ok_times(self) -> list[float]:
        return [m for e in self.entries if (m := e.median_s) is not None and math.isfinite(m)]

    def valid_count(self) -> int:
        """Configs that pass the static check (every one was launched)."""
        return len(self.entries)

    def optimum(self) -> float:
        times = self.ok_times()
        if not times:
            raise UsageError(f"space of {self.variant} {self.problem} has no correct config")
        return min(times)

    def as_dict(self) -> dict[str, Any]:
        data = {k: v for k, v in asdict(self).items() if not k.startswith("_")}
        return {"format": FORMAT, **data}

    def save(self, path: Path) -> None:
        """Write atomically: a reader never sees half a file."""
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(json.dumps(self.as_dict(), indent=1, default=str) + "\n")
        tmp.replace(path)

    @classmethod
    def load(cls, path: str | Path) -> SpaceFile:
        p = Path(path)
        try:
            data = json.loads(p.read_text())
        except FileNotFoundError:
            raise UsageError(f"no space file at {p}") from None
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise UsageError(f"{p} is not a readable space file: {exc}") from None
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise UsageError(f"{p} is not a kernbench space file (expected format {FORMAT})")
        try:
            data.pop("format")
            data["entries"] = [SpaceEntry(**e) for e in data.get("entries", [])]
            return cls(**data)
        except (TypeError, KeyError) as exc:
            raise UsageError(f"{p}: malformed space file: {exc}") from None
