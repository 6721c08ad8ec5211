"""`kernbench tune --device replay:FILE`: reads only, and resumes after SIGKILL with no trial lost."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import optuna
from optuna.trial import TrialState

from kernbench.space import config_key
from kernbench.store import open_store

from ..helpers import run_cli
from .spaces import synthetic_space

STUDY = "resume-test"


def _tune(space: Path, out: Path, *extra: str) -> list[str]:
    return [
        "tune",
        "gemm",
        "--device",
        f"replay:{space}",
        "--out",
        str(out),
        "--study",
        STUDY,
        "--sampler",
        "tpe",
        "--trials",
        "15",
        *extra,
    ]


def _done_claims(db: Path) -> int:
    try:
        with sqlite3.connect(db) as conn:
            return int(
                conn.execute(
                    "select count(*) from kernbench_tune_claims where state='done'"
                ).fetchone()[0]
            )
    except sqlite3.Error:
        return 0


def test_replay_never_writes_its_file_and_sigkill_resume_loses_no_trial(tmp_path: Path) -> None:
    space_path = tmp_path / "space.json"
    synthetic_space(space_path)
    before = (space_path.read_bytes(), space_path.stat().st_mtime_ns)
    out = tmp_path / "out"
    db = out / "kernbench.sqlite3"

    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "kernbench.cli.main",
            *_tune(space_path, out, "--replay-delay", "0.5"),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 120
    while _done_claims(db) < 4:
        assert proc.poll() is None, "the tune ended before it could be killed"
        assert time.monotonic() < deadline
        time.sleep(0.1)
    time.sleep(0.2)  # mid-trial: the next evaluation is sleeping in its replay delay
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()

    url = f"sqlite:///{db}"
    killed = optuna.load_study(study_name=STUDY, storage=url)
    running = [t.number for t in killed.get_trials(states=(TrialState.RUNNING,))]
    assert running, "SIGKILL should have left a trial running"
    done_before = _done_claims(db)

    result = run_cli(*_tune(space_path, out))
    assert result.returncode == 0, result.stderr
    assert "re-queued" in result.stdout

    study = optuna.load_study(study_name=STUDY, storage=url)
    trials = {t.number: t for t in study.trials}
    for number in running:
        assert trials[number].state == TrialState.FAIL
        retries = [t for t in study.trials if t.user_attrs.get("retry_of_trial") == number]
        assert retries and retries[0].state == TrialState.COMPLETE
        assert retries[0].params == trials[number].params
    assert _done_claims(db) == 15 > done_before
    for t in study.trials:
        assert t.state in (TrialState.COMPLETE, TrialState.FAIL), t
        assert "status" in t.user_attrs, t
    records = [r for r in open_store(out).query(study=STUDY)]
    keys = [config_key(r.config) for r in records]
    assert len(keys) == len(set(keys)) == 15, "every unique evaluation stored exactly once"
    assert all(r.timing_kind == "replay" for r in records)
    assert (space_path.read_bytes(), space_path.stat().st_mtime_ns) == before
