"""The newcomer's walk-through from the README, on a machine without a GPU."""

from __future__ import annotations

from pathlib import Path

import optuna
import pytest

from kernbench.space import config_key
from kernbench.store import open_store
from tests.helpers import run_cli

pytestmark = pytest.mark.slow


def test_list_shows_families_variants_and_baselines() -> None:
    res = run_cli("list")
    assert res.returncode == 0, res.stderr
    for text in ("gemm", "triton_naive", "torch_matmul", "baseline"):
        assert text in res.stdout


def test_bench_checks_then_stores_cpu_timings_labelled(tmp_path: Path) -> None:
    res = run_cli(
        "bench",
        "gemm",
        "--device",
        "cpu",
        "--shape",
        "128x128x128",
        "--variant",
        "triton_naive",
        "--store",
        str(tmp_path),
    )
    assert res.returncode == 0, res.stderr
    assert "not GPU performance" in res.stdout
    records = [r for r in open_store(tmp_path, create=False).query() if r.status != "skipped"]
    assert {r.variant for r in records} == {"triton_naive", "torch_matmul"}
    for r in records:
        assert r.status == "ok", r.message
        assert r.error is not None and r.error < 1e-2  # the gate ran and compared
        assert r.timing_kind == "cpu-interpreter"
        assert len(r.samples) >= r.stats["n"] > 0
        assert r.provenance["command"].startswith("kernbench bench gemm")
        assert r.provenance["versions"]["torch"]


def test_tune_stores_a_study_and_resumes(tmp_path: Path) -> None:
    args = (
        "tune",
        "gemm",
        "--device",
        "cpu",
        "--shape",
        "96x80x64",
        "--variant",
        "triton_naive",
        "--trials",
        "4",
        "--store",
        str(tmp_path),
    )
    first = run_cli(*args)
    assert first.returncode == 0, first.stderr
    url = f"sqlite:///{tmp_path / 'kernbench.sqlite3'}"
    (summary,) = optuna.get_all_study_summaries(url)
    trials_after_first = summary.n_trials
    assert trials_after_first >= 4

    second = run_cli(*args)  # --trials is the study's total: a finished study stays as it is
    assert second.returncode == 0, second.stderr
    (summary,) = optuna.get_all_study_summaries(url)
    assert summary.n_trials == trials_after_first

    tuned = [r for r in open_store(tmp_path, create=False).query(variant="triton_naive")]
    keys = [config_key(r.config) for r in tuned]
    assert len(keys) == len(set(keys)) == 4, "each config is measured once, across both runs"


def test_bare_tune_without_a_gpu_says_so_and_runs_the_pipeline(tmp_path: Path) -> None:
    res = run_cli("tune", "gemm", "--store", str(tmp_path))
    assert res.returncode == 0, res.stderr
    notes = [line for line in res.stderr.splitlines() if "No CUDA GPU" in line]
    assert len(notes) == 1 and "not GPU performance" in notes[0]
    records = open_store(tmp_path, create=False).query(status="ok")
    assert {"torch_matmul", "triton_naive"} <= {r.variant for r in records}
    assert all(r.timing_kind == "cpu-interpreter" for r in records)
    assert optuna.get_all_study_summaries(f"sqlite:///{tmp_path / 'kernbench.sqlite3'}")
