"""Throttle detection from clock readings, and the no-op without a GPU."""

from __future__ import annotations

import pytest

from kernbench.measure.clocks import NoMonitor, Reading, describe_readings, keep_flags, open_monitor


def reading(t: float, sm: int) -> Reading:
    return Reading(t=t, sm_mhz=sm, mem_mhz=2619, temp_c=60, power_w=500.0)


READINGS = [reading(0.00, 1980), reading(0.01, 1980), reading(0.02, 1200), reading(0.03, 1950)]
THRESHOLD = 0.75 * 1980


def test_a_sample_with_a_low_clock_reading_inside_is_dropped():
    flags = keep_flags([(0.005, 0.015), (0.015, 0.025), (0.025, 0.035)], READINGS, THRESHOLD)
    assert flags == [True, False, True]


def test_a_short_sample_is_judged_by_the_latest_reading_before_its_end():
    assert keep_flags([(0.021, 0.022)], READINGS, THRESHOLD) == [False]
    assert keep_flags([(0.031, 0.032)], READINGS, THRESHOLD) == [True]


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
