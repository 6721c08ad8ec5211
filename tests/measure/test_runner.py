"""Measuring in this process (``--no-isolate``): what variant code raises costs one candidate."""

from __future__ import annotations

import signal
import time
from dataclasses import replace

import pytest

from kernbench.measure.outcome import Status
from kernbench.measure.run import Candidate
from kernbench.measure.runner import CandidateTimeout, InProcessRunner, alarm
from kernbench.measure.settings import QUICK

SETTINGS = replace(QUICK, timeout_s=5.0)


def _toy(variant: str, mode: str) -> Candidate:
    return Candidate("toy", variant, "n=256", "fp32", {"mode": mode})


@pytest.mark.parametrize("mode", ["exit_build", "exit_launch"])
def test_sys_exit_in_a_variant_is_a_crash_and_the_next_candidate_runs(registry, cpu, mode):
    runner = InProcessRunner(registry, cpu, SETTINGS)
    exited = runner.measure(_toy("toy_exit", mode))
    assert exited.status == Status.CRASH and exited.message.startswith("SystemExit: 0")
    assert exited.method["isolation"] == "in process"
    ok = runner.measure(_toy("toy_exit", "ok"))
    assert ok.status == Status.OK and ok.samples


def test_a_hang_in_python_is_a_timeout_in_process(registry, cpu):
    runner = InProcessRunner(registry, cpu, replace(SETTINGS, timeout_s=2.0))
    start = time.monotonic()
    hung = runner.measure(_toy("toy_faulty", "hang"))
    assert hung.status == Status.TIMEOUT and "2s" in hung.message
    assert "native code" in hung.method["note"]
    assert time.monotonic() - start < 10
    assert runner.measure(_toy("toy_faulty", "ok")).status == Status.OK


def test_ctrl_c_is_not_recorded_but_stops_the_run(registry, cpu, monkeypatch):
    def interrupt(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr("kernbench.measure.runner.measure", interrupt)
    with pytest.raises(KeyboardInterrupt):
        InProcessRunner(registry, cpu, SETTINGS).measure(_toy("toy_exit", "ok"))


def test_an_earlier_pending_alarm_still_fires_and_ours_after_it() -> None:
    fired: list[float] = []
    previous = signal.signal(signal.SIGALRM, lambda *_: fired.append(time.monotonic()))
    try:
        signal.setitimer(signal.ITIMER_REAL, 0.2)
        start = time.monotonic()
        with pytest.raises(CandidateTimeout), alarm(0.6):
            while True:
                time.sleep(0.01)
        assert len(fired) == 1 and fired[0] - start < 0.5
        assert time.monotonic() - start >= 0.55
        assert signal.getitimer(signal.ITIMER_REAL)[0] == 0
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def test_a_later_pending_alarm_is_rearmed_with_its_time_left() -> None:
    previous = signal.signal(signal.SIGALRM, lambda *_: None)
    try:
        signal.setitimer(signal.ITIMER_REAL, 5.0)
        with alarm(3.0) as armed:
            assert armed
        left = signal.getitimer(signal.ITIMER_REAL)[0]
        assert 4.0 < left <= 5.0
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
