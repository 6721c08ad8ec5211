"""Statistics of timing samples and the noise-aware stopping rule.

The confidence interval of the median comes from order statistics (distribution-free: it
needs no normality, which kernel timings rarely have). The stopping rule also compares the
medians of the first and second half of the samples, because a drifting stream (clocks or
temperature still moving) can have a narrow interval around a median that means nothing.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

DRIFT_FACTOR = 3.0
"""Halves whose medians differ by more than this many times the CI target count as drift.

Two halves of a stable stream each know their median to about ``sqrt(2)`` times the target,
so their difference stays under three times the target nearly always; a real drift does not.
"""


@dataclass(frozen=True)
class Summary:
    """What is reported for one measurement (seconds)."""

    n: int
    median: float
    mean: float
    min: float
    max: float
    q1: float
    q3: float
    ci_low: float
    ci_high: float
    confidence: float
    coverage: float
    """The exact coverage of [ci_low, ci_high]; below ``confidence`` only for tiny n."""

    @property
    def iqr(self) -> float:
        return self.q3 - self.q1

    @property
    def rel_ci_halfwidth(self) -> float:
        """Half the CI width over the median: the stopping rule's measure of noise."""
        if self.median <= 0:
            return math.inf
        return (self.ci_high - self.ci_low) / 2 / self.median

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["iqr"] = self.iqr
        out["rel_ci_halfwidth"] = self.rel_ci_halfwidth
        return out


def median_ci_ranks(n: int, confidence: float) -> tuple[int, int]:
    """0-based ranks (lo, hi) of sorted samples bracketing the median with ``confidence``.

    The count B of samples below the true median is binomial(n, 1/2), and [x(lo), x(hi)]
    covers the median when lo < B <= hi: probability CDF(hi) - CDF(lo). ``lo``
    is the largest rank with CDF(lo) <= alpha/2 and ``hi`` the smallest with
    CDF(hi) >= 1 - alpha/2; when n is too small for that, the range [min, max] is used.
    """
    if n < 1:
        raise ValueError("no samples")
    from scipy.stats import binom  # here, not at import: scipy.stats costs every CLI run 0.5 s

    alpha = 1 - confidence
    lo = int(binom.ppf(alpha / 2, n, 0.5)) - 1
    while lo >= 0 and binom.cdf(lo, n, 0.5) > alpha / 2:
        lo -= 1
    hi = int(binom.ppf(1 - alpha / 2, n, 0.5))
    return max(lo, 0), min(hi, n - 1)


def ci_coverage(n: int, lo: int, hi: int) -> float:
    """Probability that order statistics ``lo``..``hi`` (0-based) bracket the true median."""
    from scipy.stats import binom

    return float(binom.cdf(hi, n, 0.5) - binom.cdf(lo, n, 0.5))


def summarize(samples: Sequence[float], confidence: float = 0.95) -> Summary:
    """Median, mean, min, quartiles and the median's confidence interval."""
    x = np.sort(np.asarray(samples, dtype=np.float64))
    if x.size == 0:
        raise ValueError("no samples")
    lo, hi = median_ci_ranks(x.size, confidence)
    q1, med, q3 = np.quantile(x, [0.25, 0.5, 0.75])
    return Summary(
        n=int(x.size),
        median=float(med),
        mean=float(x.mean()),
        min=float(x[0]),
        max=float(x[-1]),
        q1=float(q1),
        q3=float(q3),
        ci_low=float(x[lo]),
        ci_high=float(x[hi]),
        confidence=confidence,
        coverage=ci_coverage(int(x.size), lo, hi),
    )


def drift(samples: Sequence[float]) -> float:
    """Relative difference of the medians of the second and first half of the samples."""
    n = len(samples)
    if n < 4:
        return 0.0
    first = float(np.median(samples[: n // 2]))
    second = float(np.median(samples[n // 2 :]))
    whole = float(np.median(samples))
    return abs(second - first) / whole if whole > 0 else 0.0


@dataclass(frozen=True)
class StopDecision:
    stop: bool
    noisy: bool
    reason: str


def should_stop(
    samples: Sequence[float],
    elapsed_s: float,
    *,
    target_rel_ci: float,
    confidence: float,
    min_samples: int,
    max_samples: int,
    min_time_s: float,
    max_time_s: float,
) -> StopDecision:
    """Stop when the median is known to ``target_rel_ci`` after the minimum samples and time.

    ``samples`` are the ones that count (throttled ones already left out). A stream whose
    halves disagree (drift) is not stable even with a narrow interval. Hitting the maximum
    time (or sample count) first stops too, and marks the result noisy.
    """
    n = len(samples)
    out_of_budget = elapsed_s >= max_time_s or n >= max_samples
    if n < min_samples or elapsed_s < min_time_s:
        if out_of_budget:
            return StopDecision(True, True, f"only {n} usable samples within {elapsed_s:.1f}s")
        return StopDecision(False, False, "")
    rel = summarize(samples, confidence).rel_ci_halfwidth
    moved = drift(samples)
    stable = moved <= DRIFT_FACTOR * target_rel_ci
    if rel <= target_rel_ci and stable:
        return StopDecision(True, False, f"median known to ±{rel:.2%} ({n} samples)")
    if out_of_budget:
        why = f"still ±{rel:.2%}" if rel > target_rel_ci else f"drifting {moved:.1%} between halves"
        return StopDecision(True, True, f"{why} after {elapsed_s:.1f}s, {n} samples")
    return StopDecision(False, False, "")
