"""The static check: compile a config for the target GPU and compare its resources with the limits.

Runs without a GPU. A config that needs more shared memory, registers or threads than the
target has is rejected before anything is launched, and the tuner is told it is infeasible.
A config the variant cannot handle for this problem is ``unsupported``; an exception from
the check itself is a fault of the check or the compiler (``compile_error``), never a rejection.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from .measure.outcome import Status
from .problem import Problem
from .space import Config
from .target import HOPPER, Resources, Target, over_limits
from .variant import Unsupported, Variant

__all__ = [
    "HOPPER",
    "Resources",
    "StaticResult",
    "Target",
    "check",
    "error_line",
    "over_limits",
]


@dataclass(frozen=True)
class StaticResult:
    """``ok``, or why not; ``status`` is the record's status when not ok."""

    ok: bool
    reason: str = ""
    resources: tuple[Resources, ...] = ()
    status: str = Status.REJECTED


def error_line(exc: BaseException) -> str:
    """The exception's type and its message's last non-empty line, as the record's message."""
    lines = [ln.strip() for ln in str(exc).splitlines() if ln.strip()]
    return f"{type(exc).__name__}: {lines[-1] if lines else ''}".strip()[:500]


def check(
    variant: Variant, problem: Problem, config: Config, dtype: str, target: Target
) -> StaticResult:
    """Compile ``config`` for ``target`` (when the variant can) and compare with the limits."""
    reason = variant.space.violated(config)
    if reason:
        return StaticResult(False, reason)
    if variant.static_check is None:
        return StaticResult(True)
    try:
        resources: Sequence[Resources] = variant.static_check(problem, config, dtype, target)
    except Unsupported as exc:
        return StaticResult(False, str(exc), status=Status.UNSUPPORTED)
    except Exception as exc:
        return StaticResult(
            False, f"static check failed: {error_line(exc)}", status=Status.COMPILE_ERROR
        )
    for res in resources:
        why = over_limits(res, target)
        if why:
            return StaticResult(False, why, tuple(resources))
    return StaticResult(True, "", tuple(resources))
