"""The sampling loop shared by every timer: warm up until settled, then sample until the stopping rule says so."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from .settings import MeasureSettings
from .stats import StopDecision, should_stop

SampleFn = Callable[[], Sequence[float]]
"""Takes one or more samples (seconds per launch) and returns them."""


@dataclass
class SampleRun:
    samples: list[float] = field(default_factory=list)
    kept: list[bool] = field(default_factory=list)
    warmup_launches: int = 0
    warmup_s: float = 0.0
    decision: StopDecision = StopDecision(False, False, "")
    elapsed_s: float = 0.0


def warm_up(sample: SampleFn, settings: MeasureSettings) -> tuple[int, float]:
    """Run until the last three samples agree within ``warmup_settle`` (after a minimum time).

    This covers JIT compilation, module load and clocks ramping up from idle.
    """
    start = time.perf_counter()
    recent: list[float] = []
    n = 0
    while True:
        recent.extend(sample())
        n += 1
        elapsed = time.perf_counter() - start
        if elapsed >= settings.warmup_max_s:
            break
        if elapsed >= settings.warmup_min_s and len(recent) >= 3:
            last = recent[-3:]
            lo, hi = min(last), max(last)
            if hi <= lo * (1 + settings.warmup_settle):
                break
    return n, time.perf_counter() - start


def run_samples(
    sample: SampleFn,
    settings: MeasureSettings,
    keep: Callable[[], Sequence[bool]] | None = None,
) -> SampleRun:
    """Warm up, then take samples until the stopping rule is met.

    ``keep`` (optional) says, for the samples of the last call, which were taken at full
    clocks; the others are recorded but left out of the statistics and the rule.
    """
    run = SampleRun()
    run.warmup_launches, run.warmup_s = warm_up(sample, settings)
    start = time.perf_counter()
    while True:
        got = list(sample())
        flags = list(keep()) if keep is not None else [True] * len(got)
        run.samples.extend(got)
        run.kept.extend(flags)
        run.elapsed_s = time.perf_counter() - start
        good = [s for s, k in zip(run.samples, run.kept) if k]
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
