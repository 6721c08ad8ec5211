"""First light's plan and driver: the budget holds, a command is stopped at its limit, and the
dry run goes through every stage on the CPU device and leaves what the GPU call brings back."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tarfile
import time
from pathlib import Path

import first_light
import pytest

from .conftest import GPU_SCRIPTS, ROOT

ISSUE_ORDER = ["env", "correctness", "sanitize", "gemm", "attention", "tune", "table"]


def test_stage_limits_fit_the_call() -> None:
    assert [name for name, _ in first_light.STAGES] == ISSUE_ORDER
    assert sum(limit for _, limit in first_light.STAGES) <= first_light.BUDGET_S <= 480
    assert all(limit > 0 for _, limit in first_light.STAGES)
    assert set(first_light.STAGE_FUNCS) == set(ISSUE_ORDER)


def test_the_tunes_get_the_time_left_and_never_more() -> None:
    tune = ISSUE_ORDER.index("tune")
    before = sum(limit for _, limit in first_light.STAGES[:tune])
    table = dict(first_light.STAGES)["table"]
    assert first_light.stage_limit(tune, before) == dict(first_light.STAGES)["tune"]
    assert first_light.stage_limit(tune, before - 100) == dict(first_light.STAGES)["tune"] + 100
    assert first_light.stage_limit(tune, first_light.BUDGET_S) == 0
    for spent in (0.0, 123.4, before, 460.0):
        assert spent + first_light.stage_limit(tune, spent) + table <= first_light.BUDGET_S
    assert first_light.stage_limit(0, 999) == first_light.STAGES[0][1]


def test_files_fit_what_comes_back() -> None:
    """The device tool returns at most 8 files from $OUT."""
    assert len(first_light.FILES) <= 8


def test_gpu_plan_covers_the_issue() -> None:
    plan = first_light.GPU
    assert plan.device == "cuda" and plan.dtype == "bf16"
    assert set(plan.gemm_bench) == {"8192x8192x8192", "4096x4096x4096"}
    assert not plan.gemm_variants and not plan.attn_variants  # every variant, baselines too
    assert "triton_tma" in plan.tmas


def test_first_light_preset_reads_a_gigabyte_of_kv() -> None:
    from kernbench.registry import Registry

    family = Registry.discover().family("paged_attention")
    problems = family.preset("first-light")
    kv_bytes = [
        2 * p.int("batch") * p.int("context") * p.int("kv_heads") * p.int("head_dim") * 2
        for p in problems
    ]
    assert max(kv_bytes) >= 2**30
    tuned = family.parse(first_light.GPU.attn_tune)
    assert tuned.key == problems[kv_bytes.index(max(kv_bytes))].key  # tune the decode problem
    assert any(p["lengths"] != "uniform" and p.int("q_heads") > p.int("kv_heads") for p in problems)


def test_a_command_is_stopped_at_its_limit(tmp_path: Path) -> None:
    run = first_light.Run(
        tmp_path / "out", first_light.DRY, "test", work=tmp_path / "w", kb=["true"]
    )
    run.stage = "env"
    run.deadline = time.monotonic() + 60
    started = time.monotonic()
    rc = run.sh([sys.executable, "-c", "import time; time.sleep(60)"], limit=1)
    assert rc == 124 and time.monotonic() - started < 15
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert summary["stages"]["env"]["commands"][0]["status"] == "timeout"


def test_a_missing_tool_is_skipped(tmp_path: Path) -> None:
    run = first_light.Run(
        tmp_path / "out", first_light.DRY, "test", work=tmp_path / "w", kb=["true"]
    )
    run.stage = "sanitize"
    run.deadline = time.monotonic() + 60
    assert run.sh(["no-such-tool-kernbench"], limit=5) == 127
    assert run.record["commands"][0]["status"] == "skipped: not available"


def test_bad_option_is_one_line_and_exit_2() -> None:
    proc = subprocess.run(
        ["bash", str(GPU_SCRIPTS / "first_light.sh"), "--bogus"], capture_output=True, text=True
    )
    assert proc.returncode == 2 and len(proc.stderr.strip().splitlines()) == 1


@pytest.mark.slow
def test_dry_run_end_to_end(tmp_path: Path) -> None:
    out = tmp_path / "fl"
    env = {**os.environ, "PY": sys.executable}
    proc = subprocess.run(
        ["bash", str(GPU_SCRIPTS / "first_light.sh"), str(out), "--dry-run",
         "--verdicts", str(tmp_path / "no-verdicts.json")],  # what a prepared carry says aside
        capture_output=True, text=True, cwd=ROOT, env=env, timeout=900,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    summary = json.loads((out / "summary.json").read_text())
    assert summary["finished"] and summary["mode"] == "dry-run"
    stages = summary["stages"]
    assert list(stages) == ISSUE_ORDER
    for name in ("correctness", "gemm", "attention", "table"):
        assert stages[name]["status"] == "ok", (name, stages[name])
    assert all(s["status"] != "error" for s in stages.values())
    assert any("skipped: not available" in n for n in stages["sanitize"]["notes"])
    rows = {(r["variant"], r["source"]): r for r in summary["table"]}
    assert rows[("triton_naive", "bench")]["status"] == "ok"
    assert rows[("torch_matmul", "bench")]["pct"] == 100.0
    assert rows[("cuda_naive", "bench")]["status"] == "skipped"
    assert ("triton_single_pass", "tune") in rows
    table = (out / "table.md").read_text()
    assert "not GPU performance" in table and "| triton_naive |" in table
    assert {p.name for p in out.iterdir()} <= set(first_light.FILES)
    with tarfile.open(out / "sanitizer.tar.gz") as tar:
        member = tar.extractfile("triton_naive-map.json")
        assert member is not None
        mapped = json.load(member)
    assert mapped["outputs"]["out"]["wrong"] == 0
