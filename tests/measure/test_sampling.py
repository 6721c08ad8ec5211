"""The sampling loop driven by synthetic streams and a fake clock (no sleeping)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from kernbench.measure.sampling import run_samples, warm_up
from kernbench.measure.settings import MeasureSettings
from kernbench.measure.stats import summarize

from .streams import FakeClock, drifting, heavy_noise, stable, stream

SETTINGS = MeasureSettings(min_time_s=0.5, max_time_s=15.0, warmup_min_s=0.05, warmup_max_s=2.0)


def test_warm_up_waits_for_compilation_and_clocks_to_settle():
    clock = FakeClock()

    # a 0.3 s first call (compilation), then clocks ramping up over 50 calls, then steady
    def values(i: int) -> float:
        if i == 0:
            return 0.3
        return 1e-3 * (1 + max(0, 50 - i) * 0.02)

    calls, seconds, settled = warm_up(stream(values, clock), SETTINGS, clock)
    assert settled
    assert calls >= 49  # not before the ramp ended
    assert seconds == pytest.approx(clock.now)


def test_warm_up_gives_up_at_its_maximum_and_says_so():
    clock = FakeClock()
    _calls, seconds, settled = warm_up(stream(heavy_noise(), clock), SETTINGS, clock)
    assert not settled
    assert seconds >= SETTINGS.warmup_max_s


def test_stable_stream_stops_soon_with_the_right_median():
    clock = FakeClock()
    run = run_samples(stream(stable(1e-3, 0.002), clock), SETTINGS, clock=clock)
    assert not run.decision.noisy
    assert run.elapsed_s < 1.0  # stopped near the minimum time, far from the maximum
    assert summarize(run.good).median == pytest.approx(1e-3, rel=0.002)
    assert run.throttled == []


def test_noisy_stream_runs_to_max_time_and_is_marked_noisy():
    clock = FakeClock()
    settings = replace(SETTINGS, max_time_s=3.0)
    run = run_samples(stream(heavy_noise(), clock), settings, clock=clock)
    assert run.decision.noisy
    assert run.elapsed_s >= 3.0
    assert len(run.samples) > 100


def test_drifting_stream_is_marked_noisy():
    clock = FakeClock()
    settings = replace(SETTINGS, max_time_s=3.0)
    run = run_samples(stream(drifting(), clock), settings, clock=clock)
    assert run.decision.noisy
    assert "drifting" in run.decision.reason


def test_throttled_samples_are_kept_raw_but_left_out_of_the_statistics():
    clock = FakeClock()
    # every 5th sample is taken at low clocks and is 40% slower
    state = {"i": 0, "flags": []}

    def sample():
        i = state["i"]
        state["i"] += 1
        slow = i % 5 == 4
        state["flags"] = [not slow]
        value = 1.4e-3 if slow else 1e-3
        clock.now += value
        return [value]

    run = run_samples(sample, SETTINGS, keep=lambda: state["flags"], clock=clock)
    assert run.throttled, "throttled samples must be recorded"
    assert all(run.samples[i] == 1.4e-3 for i in run.throttled)
    assert 1.4e-3 not in run.good
    assert len(run.good) + len(run.throttled) == len(run.samples)
    assert summarize(run.good).max == 1e-3


def test_every_sample_throttled_ends_at_max_time_as_noisy():
    clock = FakeClock()
    settings = replace(SETTINGS, max_time_s=1.0)
    run = run_samples(stream(stable(), clock), settings, keep=lambda: [False], clock=clock)
    assert run.decision.noisy and run.good == [] and len(run.samples) > 100


def test_max_samples_bounds_the_loop():
    clock = FakeClock()
    settings = replace(SETTINGS, max_samples=50, min_time_s=100.0, max_time_s=1000.0)
    run = run_samples(stream(stable(), clock), settings, clock=clock)
    assert len(run.samples) == 50 and run.decision.noisy


def test_keep_must_match_the_samples():
    clock = FakeClock()
    with pytest.raises(ValueError):
        run_samples(stream(stable(), clock), SETTINGS, keep=lambda: [True, True], clock=clock)
