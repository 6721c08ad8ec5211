"""Measurement settings: every knob is explicit and is stored with each result (like nvbench)."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, replace
from typing import Any

from ..errors import UsageError


@dataclass(frozen=True)
class MeasureSettings:
    """How one candidate is timed; ``cache`` is ``cold`` (flush L2), ``hot`` or ``auto``."""

    cache: str = "auto"
    target_rel_ci: float = 0.01
    """Stop once the confidence interval of the median is within ± this fraction of it."""
    confidence: float = 0.95
    min_samples: int = 10
    max_samples: int = 100_000
    min_time_s: float = 0.5
    max_time_s: float = 15.0
    warmup_min_s: float = 0.05
    warmup_max_s: float = 2.0
    warmup_settle: float = 0.02
    """Warm-up ends when the last few launches agree within this fraction."""
    graph_below_s: float = 50e-6
    """Kernels shorter than this are timed in CUDA-graph batches (per-launch time reported)."""
    graph_batch_s: float = 500e-6
    throttle_fraction: float = 0.75
    """Samples taken while the SM clock was under this fraction of its maximum are dropped."""
    timeout_s: float = 120.0
    """A candidate (gate plus timing) that runs longer than this is killed and recorded."""
    seed: int = 0
    isolate: bool = True
    """Run each candidate in a worker process, so a crash or hang costs only that candidate."""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def validated(self) -> MeasureSettings:
        """These settings, or a UsageError naming the option that makes no sense.

        Every command that takes measurement options calls this, so they all refuse the
        same nonsense. The candidate timeout covers gate, warm-up and sampling, so it must
        leave room for the longest warm-up plus the longest sampling.
        """
        for flag, value in (
            ("--target-noise", self.target_rel_ci),
            ("--min-time", self.min_time_s),
            ("--max-time", self.max_time_s),
            ("--warmup-max", self.warmup_max_s),
            ("--candidate-timeout", self.timeout_s),
        ):
            if not math.isfinite(value):
                raise UsageError(f"{flag} must be a finite number (got {value})")
        if not 0 < self.target_rel_ci < 1:
            raise UsageError(
                f"--target-noise must be a fraction between 0 and 1, e.g. 0.01 "
                f"(got {self.target_rel_ci:g})"
            )
        if not 0 <= self.min_time_s <= self.max_time_s:
            raise UsageError(
                f"sampling time: need 0 <= --min-time ({self.min_time_s:g} s) "
                f"<= --max-time ({self.max_time_s:g} s)"
            )
        if self.warmup_max_s <= 0:
            raise UsageError(f"--warmup-max must be positive (got {self.warmup_max_s:g})")
        if not 1 <= self.min_samples <= self.max_samples:
            raise UsageError(
                f"samples: need 1 <= min_samples ({self.min_samples}) "
                f"<= max_samples ({self.max_samples})"
            )
        if self.timeout_s <= 0:
            raise UsageError(f"--candidate-timeout must be positive (got {self.timeout_s:g})")
        need = self.max_time_s + self.warmup_max_s
        if self.timeout_s <= need:
            raise UsageError(
                f"--candidate-timeout {self.timeout_s:g} s leaves no time for the gate: warm-up "
                f"and sampling alone may take {need:g} s (--warmup-max {self.warmup_max_s:g} + "
                f"--max-time {self.max_time_s:g}); raise it or lower those"
            )
        return self

    def resolved(self, memory_bound: bool) -> MeasureSettings:
        """Settle ``cache=auto``: cold for memory-bound families, hot otherwise."""
        if self.cache != "auto":
            return self
        return replace(self, cache="cold" if memory_bound else "hot")


QUICK = MeasureSettings(
    min_samples=5, min_time_s=0.05, max_time_s=2.0, target_rel_ci=0.05, warmup_max_s=0.25
)
"""For the CPU device and tests: its timings mean nothing, so spend little time on them. The
warm-up, which on a GPU waits for clocks and caches to settle, stops after 0.25 s: the
gate's launch has already compiled and run the kernel, and the interpreter's launch-to-launch
noise would otherwise hold every candidate to the whole 2 s."""


def min_samples_to_decide(alpha: float) -> int:
    """The fewest samples a side with which a two-sided Mann-Whitney U test can reach ``p < alpha``.

    With n samples a side the most extreme ordering has p = 2 / C(2n, n) (exact test), so
    fewer samples make a regression gate blind whatever the timings say.
    """
    n = 1
    while not can_decide(n, n, alpha):
        n += 1
    return n


def can_decide(n_a: int, n_b: int, alpha: float) -> bool:
    """Whether ``n_a`` and ``n_b`` samples can give a two-sided U-test p-value under ``alpha``."""
    return n_a > 0 and n_b > 0 and 2 / math.comb(n_a + n_b, n_a) < alpha
