"""`kernbench tune --trials N`: N is the study's total; the exit code says whether a correct config was found."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import optuna

from kernbench.measure.outcome import Status
from kernbench.tune.timing import ATTR

from ..helpers import run_cli
from .spaces import synthetic_space


def _tune(space: Path, out: Path, trials: int) -> list[str]:
    return [
        "tune",
        "gemm",
        "--device",
        f"replay:{space}",
        "--out",
        str(out),
        "--study",
        "trials-test",
        "--sampler",
        "random",
        "--trials",
        str(trials),
    ]


def _measured(out: Path) -> int:
    study = optuna.load_study(
        study_name="trials-test", storage=f"sqlite:///{out / 'kernbench.sqlite3'}"
    )
    return sum(1 for t in study.trials if t.user_attrs.get("fresh"))


def test_trials_is_the_study_total_and_a_finished_study_rerun_measures_nothing(
    tmp_path: Path,
) -> None:
    space = tmp_path / "space.json"
    synthetic_space(space)
    out = tmp_path / "out"
    first = run_cli(*_tune(space, out, 6))
    assert first.returncode == 0, first.stderr
    assert _measured(out) == 6
    assert re.search(r"6 trials: \d+ ok", first.stdout), first.stdout

    again = run_cli(*_tune(space, out, 6))
    assert again.returncode == 0, again.stderr
    assert _measured(out) == 6, "a rerun of a finished 6-trial study must not grow it"
    assert "nothing new measured" in again.stdout

    more = run_cli(*_tune(space, out, 9))
    assert more.returncode == 0, more.stderr
    assert _measured(out) == 9, "a larger total completes the study to it"
    assert "3 measured by this run" in more.stdout
    assert "ExperimentalWarning" not in first.stderr + again.stderr + more.stderr

    study = optuna.load_study(
        study_name="trials-test", storage=f"sqlite:///{out / 'kernbench.sqlite3'}"
    )
    breakdown = study.user_attrs[ATTR]
    assert breakdown["trials"] == 3 and set(breakdown["stages"]) >= {"sampler", "store", "other"}


def test_tune_exits_1_only_when_no_config_is_correct(tmp_path: Path) -> None:
    good = synthetic_space()
    bad = replace(
        good,
        entries=[
            replace(e, status=Status.WRONG, message="synthetic wrong result") for e in good.entries
        ],
    )
    bad.save(tmp_path / "bad.json")
    out = tmp_path / "out"
    result = run_cli(*_tune(tmp_path / "bad.json", out, 4))
    assert result.returncode == 1, result.stdout + result.stderr
    assert "4 trials: 4 wrong_result" in result.stdout
    assert "no correct config found" in result.stderr
    assert "Traceback" not in result.stderr
