"""The statistics and the stopping rule on synthetic sample streams."""

from __future__ import annotations

import numpy as np
import pytest

from kernbench.measure.stats import ci_coverage, drift, median_ci_ranks, should_stop, summarize

RULE = dict(
    target_rel_ci=0.01,
    confidence=0.95,
    min_samples=10,
    max_samples=100_000,
    min_time_s=0.5,
    max_time_s=15.0,
)


@pytest.mark.parametrize("n", [9, 10, 11, 20, 37, 100, 1000, 12345])
@pytest.mark.parametrize("confidence", [0.9, 0.95, 0.99])
def test_median_ci_covers_at_least_the_confidence(n, confidence):
    lo, hi = median_ci_ranks(n, confidence)
    if n >= 20:  # tiny n cannot reach 99% at all
        assert ci_coverage(n, lo, hi) >= confidence
    # and it is the narrowest symmetric choice: one rank tighter would fall short
    if lo > 0 and hi < n - 1:
        assert ci_coverage(n, lo + 1, hi - 1) < confidence


def test_median_ci_coverage_holds_empirically():
    """On skewed data (like kernel timings), the interval holds the true median ~95% of the time."""
    rng = np.random.default_rng(1)
    true_median = float(np.exp(0.0))  # lognormal(0, 0.5) has median 1
    hits = 0
    trials = 2000
    for _ in range(trials):
        s = summarize(rng.lognormal(0.0, 0.5, size=50), 0.95)
        hits += s.ci_low <= true_median <= s.ci_high
    assert 0.94 <= hits / trials <= 0.995


def test_summarize_reports_what_users_read():
    s = summarize([4.0, 1.0, 3.0, 2.0, 5.0])
    assert (s.n, s.median, s.mean, s.min, s.max) == (5, 3.0, 3.0, 1.0, 5.0)
    assert (s.q1, s.q3, s.iqr) == (2.0, 4.0, 2.0)
    assert s.ci_low <= s.median <= s.ci_high
    d = s.as_dict()
    assert {"iqr", "rel_ci_halfwidth", "coverage", "ci_low", "ci_high"} <= set(d)


def test_summarize_refuses_no_samples():
    with pytest.raises(ValueError):
        summarize([])


def test_stable_stream_stops_early_and_clean():
    rng = np.random.default_rng(0)
    samples = list(1e-3 * (1 + 0.002 * rng.standard_normal(200)))
    d = should_stop(samples, 0.6, **RULE)
    assert d.stop and not d.noisy
    assert "median known to" in d.reason


def test_minimum_samples_and_time_are_respected():
    samples = [1e-3] * 100
    assert not should_stop(samples, 0.1, **RULE).stop  # under min_time_s
    assert not should_stop(samples[:5], 1.0, **RULE).stop  # under min_samples


def test_noisy_stream_is_marked_noisy_at_max_time():
    rng = np.random.default_rng(0)
    samples = list(1e-3 * rng.lognormal(0, 0.6, size=300))
    assert not should_stop(samples, 5.0, **RULE).stop
    d = should_stop(samples, 15.0, **RULE)
    assert d.stop and d.noisy and "still" in d.reason


def test_drifting_stream_is_not_called_stable():
    samples = [1e-3 * (1 + 2e-4 * i) for i in range(2000)]  # 40% slower by the end
    assert summarize(samples).rel_ci_halfwidth < 0.05
    assert drift(samples) > 0.1
    assert not should_stop(samples, 5.0, **RULE).stop
    d = should_stop(samples, 15.0, **RULE)
    assert d.noisy and "drifting" in d.reason


def test_too_few_usable_samples_at_max_time_is_noisy():
    d = should_stop([1e-3, 1e-3], 15.0, **RULE)
    assert d.stop and d.noisy and "only 2" in d.reason
