"""``kernbench tune`` as a user reads it: the winning config on screen, why nothing worked,
a study name that reads and is found again, and SIGTERM handled like Ctrl-C (issue 27).

Most tests replay a synthetic space file (tests/tune/spaces.py): no kernel runs.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import optuna
import pytest
from optuna.trial import TrialState

from kernbench.measure.outcome import Status
from kernbench.registry import Registry
from kernbench.tune.tuner import legacy_study_name, study_name

from ..helpers import run_cli
from ..tune.spaces import PROBLEM, VARIANT, synthetic_space

ROOT = Path(__file__).resolve().parents[2]
AT_100 = {"COLUMNS": "100"}


def _tune(space: Path, out: Path, *extra: str) -> list[str]:
    return [
        "tune",
        "gemm",
        "--device",
        f"replay:{space}",
        "--store",
        str(out),
        "--sampler",
        "random",
        *extra,
    ]


def _names(out: Path) -> list[str]:
    storage = f"sqlite:///{out / 'kernbench.sqlite3'}"
    return [s.study_name for s in optuna.get_all_study_summaries(storage)]


def test_the_best_configs_table_shows_the_winning_config_and_the_study_its_own_line(
    tmp_path: Path,
) -> None:
    space = tmp_path / "space.json"
    synthetic_space(space)
    out = tmp_path / "out"
    result = run_cli(*_tune(space, out, "--trials", "6"), env=AT_100)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    (name,) = _names(out)
    assert name.endswith("/fp16/replay-of-synthetic")  # the device's name, made readable
    assert f"  study: {name}" in lines  # whole on its own line, no quotes
    start = next(i for i, ln in enumerate(lines) if ln.startswith("best configs"))
    table = "\n".join(lines[start:])
    for key in ("BLOCK_M=", "BLOCK_N=", "BLOCK_K="):  # the winner, every key of it
        assert key in table, table


def test_no_correct_config_says_why_with_each_distinct_reason(tmp_path: Path) -> None:
    good = synthetic_space()
    entries = [
        replace(
            e,
            status=Status.WRONG if i % 2 else Status.COMPILE_ERROR,
            message="2 of 1024 elements differ" if i % 2 else "ptxas: out of registers\nmore",
        )
        for i, e in enumerate(good.entries)
    ]
    bad = replace(good, entries=entries)
    bad.save(tmp_path / "bad.json")
    result = run_cli(*_tune(tmp_path / "bad.json", tmp_path / "out", "--trials", "6"))
    assert result.returncode == 1, result.stdout + result.stderr
    whys = [ln.strip() for ln in result.stdout.splitlines() if ln.strip().startswith("why: ")]
    assert any(w.startswith("why: wrong_result") and "2 of 1024 elements differ" in w for w in whys)
    assert any(w.startswith("why: compile_error") and w.endswith("out of registers") for w in whys)
    assert "no correct config found" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_study_under_the_old_name_is_found_and_continued(tmp_path: Path) -> None:
    space_file = synthetic_space()
    space = tmp_path / "space.json"
    space_file.save(space)
    out = tmp_path / "out"
    variant = Registry.discover().variant(VARIANT)
    family = Registry.discover().family("gemm")
    problem = family.parse(PROBLEM)
    device = f"replay of {space_file.device_name}"
    old = legacy_study_name(variant, problem, "fp16", device)
    assert old != study_name(variant, problem, "fp16", device)
    first = run_cli(*_tune(space, out, "--trials", "4", "--study", old))
    assert first.returncode == 0, first.stderr

    again = run_cli(*_tune(space, out, "--trials", "6"))  # no --study: the default name
    assert again.returncode == 0, again.stderr
    assert f"  study: {old}" in again.stdout.splitlines()
    assert "2 measured by this run" in again.stdout  # continued to 6, not started afresh
    assert _names(out) == [old]


@pytest.mark.slow
def test_sigterm_during_a_tune_ends_it_like_ctrl_c(tmp_path: Path) -> None:
    """``timeout`` signals the whole process group: exit 143, the trial under way closed (not
    RUNNING), no leaked-semaphore warning from the compile-ahead pool, no traceback."""
    out = tmp_path / "out"
    cmd = [
        *("tune", "gemm", "--device", "cpu", "--shape", "32x32x32", "-v", "triton_naive"),
        *("--trials", "8", "--jobs", "1", "--store", str(out)),
    ]
    proc = subprocess.Popen(
        [sys.executable, "-m", "kernbench.cli.main", *cmd],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    storage = f"sqlite:///{out / 'kernbench.sqlite3'}"
    try:
        deadline = time.monotonic() + 300
        while True:  # wait for a trial under way after one finished
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, "the tune never got under way"
            time.sleep(0.3)
            try:
                (summary,) = optuna.get_all_study_summaries(storage)
                trials = optuna.load_study(
                    study_name=summary.study_name, storage=storage
                ).get_trials(deepcopy=False)
            except Exception:  # the database or study is still being created
                continue
            states = [t.state for t in trials]
            if TrialState.COMPLETE in states and TrialState.RUNNING in states:
                break
        os.killpg(proc.pid, signal.SIGTERM)
        _, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert proc.returncode == 143, err
    assert "terminated; everything measured so far is stored" in err
    assert "resource_tracker" not in err and "leaked" not in err, err
    assert "Traceback" not in err, err
    study = optuna.load_study(study_name=summary.study_name, storage=storage)
    assert not study.get_trials(states=(TrialState.RUNNING,))
