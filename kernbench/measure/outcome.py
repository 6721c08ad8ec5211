"""The outcome of one candidate (variant, problem, dtype, config) and its status vocabulary."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any


class Status:
    """Statuses a record can carry. Only ``OK`` is ever timed, ranked or tuned towards."""

    OK = "ok"
    WRONG = "wrong_result"
    COMPILE_ERROR = "compile_error"
    LAUNCH_ERROR = "launch_error"
    CRASH = "crash"
    TIMEOUT = "timeout"
    OOM = "out_of_memory"
    REJECTED = "static_rejected"
    UNSUPPORTED = "unsupported"
    SKIPPED = "skipped"
    FINDING = "emulator_finding"
    """The PTX emulator found an error (out-of-bounds, race, deadlock...): the message says
    which, where, and on which thread and block."""

    ALL = (
        OK,
        WRONG,
        COMPILE_ERROR,
        LAUNCH_ERROR,
        CRASH,
        TIMEOUT,
        OOM,
        REJECTED,
        UNSUPPORTED,
        SKIPPED,
        FINDING,
    )
    NOT_LAUNCHED = (REJECTED, UNSUPPORTED, SKIPPED)
    """Statuses decided before any launch: they cost nothing and count against no budget."""
    FAILED = (WRONG, FINDING, COMPILE_ERROR, LAUNCH_ERROR, CRASH, TIMEOUT, OOM)
    """Statuses that mean a candidate failed (``bench`` exits 1 when any record has one)."""


_WORDS = {
    Status.OK: ("passed", "passed"),
    Status.WRONG: ("gave a wrong result", "gave wrong results"),
    Status.COMPILE_ERROR: ("failed to compile", "failed to compile"),
    Status.LAUNCH_ERROR: ("failed to launch", "failed to launch"),
    Status.CRASH: ("crashed", "crashed"),
    Status.TIMEOUT: ("timed out", "timed out"),
    Status.OOM: ("ran out of memory", "ran out of memory"),
    Status.REJECTED: ("was rejected by the static check", "were rejected by the static check"),
    Status.UNSUPPORTED: ("is unsupported", "are unsupported"),
    Status.SKIPPED: ("was skipped", "were skipped"),
    Status.FINDING: ("had emulator findings", "had emulator findings"),
}


def describe(statuses: Iterable[str], noun: str = "config") -> str:
    """What happened, in words and counts: "4 configs timed out, 1 config crashed".

    Summaries say what happened rather than guess why nothing passed: four timeouts are not
    "no config passed the correctness gate".
    """
    counts = Counter(statuses)
    parts = []
    for status in (*Status.FAILED, *Status.NOT_LAUNCHED, Status.OK):
        n = counts.pop(status, 0)
        if n:
            one, many = _WORDS[status]
            parts.append(f"{n} {noun}{'' if n == 1 else 's'} {one if n == 1 else many}")
    parts += [f"{n} {noun}{'' if n == 1 else 's'} {status}" for status, n in counts.items()]
    return ", ".join(parts)


@dataclass
class Outcome:
    """What measuring one candidate produced; the store adds identity and provenance."""

    status: str
    message: str = ""
    error: float | None = None
    """Relative error ‖out − ref‖ / ‖ref‖ from the correctness gate."""
    unwritten: int = 0
    samples: list[float] = field(default_factory=list)
    """Raw per-launch times in seconds, throttled ones included (see ``throttled``)."""
    throttled: list[int] = field(default_factory=list)
    """Indices of samples taken under the clock threshold; left out of the statistics."""
    stats: dict[str, Any] = field(default_factory=dict)
    noisy: bool = False
    method: dict[str, Any] = field(default_factory=dict)
    """How the timing was made: cache mode, graph batch size, stop reason, clocks seen."""
    resources: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Outcome:
        return cls(**data)
