"""The sampling loop shared by every timer: warm up until settled, then sample until the stopping rule says so.

The loop reads time only through ``clock`` (``time.perf_counter`` by default), so tests can
drive it with synthetic streams and a fake clock instead of sleeping.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from .settings import MeasureSettings
from .stats import StopDecision, should_stop

SampleFn = Callable[[], Sequence[float]]
"""Takes one or more samples (seconds per launch) and returns them."""
KeepFn = Callable[[], Sequence[bool]]
"""For the samples of the last call: True when taken at full clocks."""
Clock = Callable[[], float]

CHECK_GROWTH = 1.05
"""The stopping rule is evaluated each time the usable samples grow by this factor."""

WARMUP_WINDOW = 3
"""Warm-up ends when this many consecutive samples agree within ``warmup_settle``."""


@dataclass
class SampleRun:
    samples: list[float] = field(default_factory=list)
    kept: list[bool] = field(default_factory=list)
    warmup_launches: int = 0
    warmup_s: float = 0.0
    warmup_settled: bool = False
    decision: StopDecision = field(default_factory=lambda: StopDecision(False, False, ""))
    elapsed_s: float = 0.0

    @property
    def good(self) -> list[float]:
        """The samples that count: those taken at full clocks."""
        return [s for s, k in zip(self.samples, self.kept, strict=True) if k]

    @property
    def throttled(self) -> list[int]:
        """Indices of the samples left out."""
        return [i for i, k in enumerate(self.kept) if not k]


def warm_up(
    sample: SampleFn, settings: MeasureSettings, clock: Clock = time.perf_counter
) -> tuple[int, float, bool]:
    """Run until the last samples agree within ``warmup_settle`` (after a minimum time).

    This covers JIT compilation, module load and clocks ramping up from idle. Returns the
    calls made, the seconds spent and whether it settled before ``warmup_max_s``.
    """
    start = clock()
    recent: list[float] = []
    calls = 0
    while True:
        recent.extend(sample())
        calls += 1
        elapsed = clock() - start
        if elapsed >= settings.warmup_min_s and len(recent) >= WARMUP_WINDOW:
            last = recent[-WARMUP_WINDOW:]
            if max(last) <= min(last) * (1 + settings.warmup_settle):
                return calls, elapsed, True
        if elapsed >= settings.warmup_max_s:
            return calls, elapsed, False


def run_samples(
    sample: SampleFn,
    settings: MeasureSettings,
    keep: KeepFn | None = None,
    clock: Clock = time.perf_counter,
) -> SampleRun:
    """Warm up, then take samples until the stopping rule is met.

    ``keep`` (optional) says, for the samples of the last call, which were taken at full
    clocks; the others are recorded but left out of the statistics and the rule.
    """
    run = SampleRun()
    run.warmup_launches, run.warmup_s, run.warmup_settled = warm_up(sample, settings, clock)
    good: list[float] = []
    next_check = 0
    start = clock()
    while True:
        got = list(sample())
        flags = list(keep()) if keep is not None else [True] * len(got)
        if len(flags) != len(got):
            raise ValueError(f"keep() gave {len(flags)} flags for {len(got)} samples")
        run.samples.extend(got)
        run.kept.extend(flags)
        good.extend(s for s, k in zip(got, flags, strict=True) if k)
        run.elapsed_s = clock() - start
        over = run.elapsed_s >= settings.max_time_s or len(run.samples) >= settings.max_samples
        if len(good) < next_check and not over:
            continue  # the rule sorts every sample: check it at 5% growth steps only
        run.decision = should_stop(
            good,
            run.elapsed_s,
            target_rel_ci=settings.target_rel_ci,
            confidence=settings.confidence,
            min_samples=settings.min_samples,
            max_samples=settings.max_samples,
            min_time_s=settings.min_time_s,
            max_time_s=settings.max_time_s,
        )
        if run.decision.stop:
            return run
        if over:  # every sample throttled up to the sample cap: nothing more to learn
            run.decision = StopDecision(
                True, True, f"only {len(good)} usable of {len(run.samples)} samples"
            )
            return run
        next_check = max(len(good) + 1, int(len(good) * CHECK_GROWTH))
