"""Statistics of timing samples and the noise-aware stopping rule.

The confidence interval of the median comes from order statistics (distribution-free: it
needs no normality, which kernel timings rarely have).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from scipy import stats as sps


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

    From the binomial(n, 1/2) distribution of the count of samples below the median.
    """
    if n < 1:
        raise ValueError("no samples")
    alpha = 1 - confidence
    lo = int(sps.binom.ppf(alpha / 2, n, 0.5))
    hi = int(sps.binom.isf(alpha / 2, n, 0.5))
    lo = max(lo - 1, 0)
    hi = min(hi, n - 1)
    return lo, hi


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
    )


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

    Hitting the maximum time (or sample count) first stops too, and marks the result noisy.
    """
    n = len(samples)
    if n >= min_samples and elapsed_s >= min_time_s:
        rel = summarize(samples, confidence).rel_ci_halfwidth
        if rel <= target_rel_ci:
            return StopDecision(True, False, f"median known to ±{rel:.2%}")
        if elapsed_s >= max_time_s or n >= max_samples:
            return StopDecision(True, True, f"still ±{rel:.2%} after {elapsed_s:.1f}s, {n} samples")
    elif elapsed_s >= max_time_s or n >= max_samples:
        return StopDecision(True, True, f"only {n} samples within {max_time_s:g}s")
    return StopDecision(False, False, "")
