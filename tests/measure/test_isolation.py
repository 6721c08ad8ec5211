"""Isolation without a GPU: CPU plugins that abort, segfault, hang, run out of memory and
return wrong values, each recorded with its status while a tune around them completes."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import pytest

from kernbench.measure.outcome import Status
from kernbench.measure.run import Candidate
from kernbench.measure.settings import QUICK
from kernbench.measure.worker import ProcessRunner, log_tail
from kernbench.pipeline import Session
from kernbench.store import open_store
from kernbench.tune.core import Budget
from kernbench.tune.tuner import Tuner

ROOT = Path(__file__).resolve().parents[2]
SETTINGS = replace(QUICK, timeout_s=8.0)
EXPECTED = {
    "ok": Status.OK,
    "ok_slow": Status.OK,
    "abort": Status.CRASH,
    "segv": Status.CRASH,
    "hang": Status.TIMEOUT,
    "half": Status.WRONG,
    "wrong": Status.WRONG,
    "oom": Status.OOM,
}


@pytest.mark.slow
def test_a_tune_completes_around_crashes_hangs_and_wrong_results(registry, cpu, tmp_path):
    store = open_store(tmp_path)
    runner = ProcessRunner(cpu, SETTINGS, registry.references)
    session = Session(registry, cpu, store, runner, SETTINGS)
    family, variant = registry.family("toy"), registry.variant("toy_faulty")
    tuner = Tuner(
        session=session,
        family=family,
        variant=variant,
        problem=family.parse("n=4096"),
        dtype="fp32",
        storage_url=f"sqlite:///{tmp_path / 'kernbench.sqlite3'}",
        study="faulty",
        sampler="random",
        seed=0,
    )
    with runner:
        result = tuner.run(Budget(trials=len(EXPECTED)))
    statuses = {r.config["mode"]: r.status for r in store.query(variant="toy_faulty")}
    assert statuses == EXPECTED
    assert result.unique_evaluations == len(EXPECTED)
    assert result.best is not None and result.best.config["mode"] in ("ok", "ok_slow")
    records = {r.config["mode"]: r for r in store.query(variant="toy_faulty")}
    assert "SIGABRT" in records["abort"].message and "SIGSEGV" in records["segv"].message
    assert "Fatal Python error" in records["segv"].message  # the worker's stderr explains it
    assert "8s" in records["hang"].message
    for mode in ("abort", "segv", "hang", "half", "wrong", "oom"):
        assert records[mode].samples == [] and records[mode].stats == {}
    assert runner.restarts >= 4  # abort, segv, hang and oom each cost a worker


def test_the_worker_is_replaced_after_a_crash_and_the_next_candidate_runs(registry, cpu):
    with ProcessRunner(cpu, SETTINGS, registry.references) as runner:
        crashed = runner.measure(Candidate("toy", "toy_faulty", "n=256", "fp32", {"mode": "abort"}))
        first_pid = runner.pid
        ok = runner.measure(Candidate("toy", "toy_faulty", "n=256", "fp32", {"mode": "ok"}))
        assert crashed.status == Status.CRASH
        assert ok.status == Status.OK and ok.method["isolation"] == "worker process"
        assert runner.pid is not None and runner.pid != first_pid


def test_harness_errors_are_raised_not_recorded_as_kernel_faults(registry, cpu):
    from kernbench.errors import UsageError

    with ProcessRunner(cpu, SETTINGS, registry.references) as runner, pytest.raises(UsageError):
        runner.measure(Candidate("toy", "toy_faulty", "n=abc", "fp32", {"mode": "ok"}))


def test_log_tail_prefers_the_fatal_line(tmp_path):
    log = tmp_path / "stderr.log"
    log.write_text(
        "warming up\nFatal Python error: Segmentation fault\n\nCurrent thread:\n  File x\n"
    )
    assert log_tail(log) == "Fatal Python error: Segmentation fault"
    assert log_tail(tmp_path / "missing.log") == ""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a zombie child of an exited parent is reaped by init soon; treat it as gone
    stat = Path(f"/proc/{pid}/stat")
    return not (stat.exists() and stat.read_text().split(")")[-1].split()[0] == "Z")


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM, signal.SIGKILL])
def test_interrupting_or_killing_the_parent_keeps_the_store_and_ends_the_worker(tmp_path, sig):
    pidfile = tmp_path / "worker.pid"
    proc = subprocess.Popen(
        [
            sys.executable,
            str(Path(__file__).with_name("interrupt_driver.py")),
            str(tmp_path / "out"),
            str(pidfile),
        ],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 120
        while not pidfile.exists() or not pidfile.read_text():
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, "the worker never reached the hang"
            time.sleep(0.1)
        worker = int(pidfile.read_text())
        # Ctrl-C hits the group, and so does ``timeout``'s SIGTERM
        os.killpg(proc.pid, sig) if sig != signal.SIGKILL else proc.send_signal(sig)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    if sig == signal.SIGINT:
        assert proc.returncode == 130, err
        assert "interrupted" in out
    if sig == signal.SIGTERM:  # handled as Ctrl-C is, with its own exit code
        assert proc.returncode == 143, err
        assert "terminated" in out
        assert "Traceback" not in err and "leaked" not in err, err
    deadline = time.monotonic() + 20
    while _alive(worker) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _alive(worker), "the worker outlived its parent"
    db = tmp_path / "out" / "kernbench.sqlite3"
    con = sqlite3.connect(db)
    assert con.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    con.close()
    statuses = [(r.config["mode"], r.status) for r in open_store(db, create=False)]
    assert statuses == [("ok", Status.OK), ("half", Status.WRONG)]


def test_ctrl_c_on_another_thread_still_ends_the_wait_for_a_worker() -> None:
    """Linux may deliver a process's SIGINT to any thread (torch's pool, say): the main
    thread's wait for a hung worker must still end promptly with KeyboardInterrupt."""
    import multiprocessing as mp
    import threading

    from kernbench.measure.worker import _ready

    ours, theirs = mp.Pipe()  # nothing is ever sent: a worker that hangs
    ready = threading.Event()

    def other_thread() -> None:
        ready.wait()
        time.sleep(0.3)
        signal.pthread_kill(threading.get_ident(), signal.SIGINT)

    # As in a terminal, even where the suite was started in the background (SIGINT ignored).
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    thread = threading.Thread(target=other_thread, daemon=True)
    thread.start()
    start = time.monotonic()
    try:
        with pytest.raises(KeyboardInterrupt):
            ready.set()
            _ready(ours, 30.0)
        assert time.monotonic() - start < 5.0
    finally:
        thread.join(timeout=5)
        signal.signal(signal.SIGINT, previous)
        ours.close()
        theirs.close()
