"""Throttle detection from clock readings, and the no-op without a GPU."""

from __future__ import annotations

import threading

import pytest

from kernbench.measure.clocks import NoMonitor, Reading, describe_readings, keep_flags, open_monitor


def reading(t: float, sm: int) -> Reading:
    return Reading(t=t, sm_mhz=sm, mem_mhz=2619, temp_c=60, power_w=500.0)


READINGS = [reading(0.00, 1980), reading(0.01, 1980), reading(0.02, 1200), reading(0.03, 1950)]
THRESHOLD = 0.75 * 1980


def test_a_sample_with_a_low_clock_reading_inside_is_dropped():
    flags = keep_flags([(0.005, 0.015), (0.015, 0.025), (0.025, 0.035)], READINGS, THRESHOLD)
    assert flags == [True, False, True]


def test_a_short_sample_is_judged_only_by_readings_taken_during_it():
    # between two polls: the low reading at 0.02 was taken before the sample (maybe idle)
    assert keep_flags([(0.021, 0.022)], READINGS, THRESHOLD) == [True]
    assert keep_flags([(0.031, 0.032)], READINGS, THRESHOLD) == [True]
    # a reading on the window's edge was taken while the sample ran
    assert keep_flags([(0.019, 0.020), (0.020, 0.021)], READINGS, THRESHOLD) == [False, False]


def test_an_idle_reading_before_a_burst_of_short_samples_drops_none_of_them():
    idle = [reading(0.0, 345), reading(0.010, 1980)]  # idle clock, then the work's clock
    windows = [(0.001 + i * 1e-4, 0.001 + (i + 1) * 1e-4) for i in range(50)]
    assert all(keep_flags(windows, idle, THRESHOLD))


def test_the_monitor_counts_samples_no_reading_could_judge():
    from kernbench.measure.clocks import NvmlMonitor

    monitor = NvmlMonitor.__new__(NvmlMonitor)  # no NVML: only the bookkeeping is exercised
    monitor.readings, monitor.threshold_mhz = list(READINGS), THRESHOLD
    monitor.judged = monitor.unjudged = 0
    monitor._lock = threading.Lock()
    assert monitor.keep([(0.015, 0.025), (0.021, 0.022)]) == [False, True]
    assert (monitor.judged, monitor.unjudged) == (1, 1)


def test_without_readings_every_sample_is_kept():
    assert keep_flags([(0.0, 1.0)], [], THRESHOLD) == [True]


def test_readings_are_summarised_for_the_record():
    d = describe_readings(READINGS)
    assert d["readings"] == 4
    assert d["sm_mhz"]["min"] == 1200 and d["sm_mhz"]["max"] == 1980
    assert describe_readings([]) == {"readings": 0}


def test_no_gpu_means_no_monitor_and_the_method_says_why():
    monitor = open_monitor(False, 0.75)
    assert isinstance(monitor, NoMonitor)
    monitor.start()
    assert monitor.keep([(0.0, 1.0), (1.0, 2.0)]) == [True, True]
    monitor.stop()
    d = monitor.describe()
    assert d["monitor"] == "none" and d["throttled_detection"] is False and d["why"]


@pytest.mark.gpu
def test_nvml_monitor_reads_the_gpu_without_changing_it():
    import time

    monitor = open_monitor(True, 0.75, poll_s=0.005)
    d0 = monitor.describe()
    assert d0["monitor"] == "nvml", d0
    monitor.start()
    time.sleep(0.1)
    monitor.stop()
    d = monitor.describe()
    assert d["readings"] >= 5
    assert 0 < d["sm_mhz"]["max"] <= d["sm_clock_max_mhz"]
    assert d["throttle_below_mhz"] == pytest.approx(0.75 * d["sm_clock_max_mhz"], abs=0.1)
