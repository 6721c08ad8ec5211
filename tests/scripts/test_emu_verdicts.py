"""Emulated verdicts before GPU time: the carry stage writes them from real emulated records,
first light skips (and logs) what the emulator shows wrong unless forced, and the table shows
the emulated verdict beside the GPU's."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import carry
import emu_verdicts
import first_light
import fl_table
import pytest

from kernbench.backends import cuda as backend

from .conftest import GPU_SCRIPTS, ROOT

WRONG_MSG = "out: 12 of 480 elements outside tolerance (max abs err 3.5 at [7, 3])"


def planted(path: Path, status: str = "wrong_result", variant: str = "triton_naive") -> Path:
    """A verdict file as ``carry.py emulate`` writes it, with one variant planted wrong."""
    runs = [{"problem": "200x136x72", "config": {}, "status": status, "message": WRONG_MSG}]
    entry = {"status": status, "message": WRONG_MSG, "problem": "200x136x72", "runs": runs}
    ok = {"status": "ok", "message": "", "problem": "", "runs": []}
    data = {
        "provenance": {"commit": "abc123", "device": "emu:sm_90a", "arch": "sm_90a"},
        "variants": {
            f"gemm/{variant}": {
                "family": "gemm",
                "variant": variant,
                "by_dtype": {"fp16": entry, "bf16": entry},
            },
            "gemm/cuda_naive": {
                "family": "gemm",
                "variant": "cuda_naive",
                "by_dtype": {"fp16": ok, "bf16": ok},
            },
        },
    }
    path.write_text(json.dumps(data))
    return path


def dry_run(tmp_path: Path) -> first_light.Run:
    run = first_light.Run(
        tmp_path / "out", first_light.DRY, "test", work=tmp_path / "w", kb=["true"]
    )
    run.deadline = time.monotonic() + 60
    return run


@pytest.mark.slow
@pytest.mark.skipif(backend.probe() is not None, reason=str(backend.probe()))
def test_verdict_stage_writes_the_file_from_real_emulated_records(tmp_path: Path) -> None:
    """One CUDA and one Triton step on the emulated Hopper, through the real CLI."""
    folder = tmp_path / "carry"
    args = ["emulate", str(folder), "--emu-variant", "cuda_naive", "--emu-variant", "triton_naive"]
    args += ["--emu-shape", "gemm=33x17x20", "--emu-dtype", "fp16"]
    proc = subprocess.run(
        [sys.executable, str(GPU_SCRIPTS / "carry.py"), *args],
        capture_output=True, text=True, cwd=ROOT, timeout=300,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "emulated verdicts (emu:sm_90a): 2 variants" in proc.stdout
    data = emu_verdicts.load(folder / emu_verdicts.FILE)
    assert data is not None
    assert (folder / "emu" / "gemm-fp16" / "kernbench.sqlite3").is_file()  # the store, beside it
    prov = data["provenance"]
    assert prov["device"] == "emu:sm_90a" and prov["arch"] == "sm_90a"
    assert prov["commit"] and prov["made_utc"] and prov["commands"][0]["rc"] == 0
    assert set(data["variants"]) == {"gemm/cuda_naive", "gemm/triton_naive"}
    for key in data["variants"]:
        found = data["variants"][key]["by_dtype"]["fp16"]
        assert found["status"] == "ok", found
        assert [r["problem"] for r in found["runs"]] == ["33x17x20"]
    assert emu_verdicts.skips(data, "fp16") == {}
    assert carry.size(folder) < 2 * 2**20  # nothing that threatens the 64 MiB

    # The same file beside GPU records: the table shows both verdicts, a disagreement flagged.
    gpu = [
        rec("cuda_naive", "wrong_result", "out: 3 elements outside tolerance"),
        rec("triton_naive", "ok"),
    ]
    rows = {r["variant"]: r for r in fl_table.build(gpu, data)}
    assert rows["triton_naive"]["emulated"] == "ok" and rows["triton_naive"]["agree"] is True
    assert rows["cuda_naive"]["emulated"] == "ok" and rows["cuda_naive"]["agree"] is False
    table = fl_table.markdown(list(rows.values()))
    assert "| emulated |" in table.splitlines()[0]
    assert "**DIFFERS** ok" in table


def rec(variant: str, status: str, message: str = "") -> dict[str, Any]:
    return {
        "family": "gemm", "variant": variant, "problem": "m=64,n=64,k=64", "dtype": "fp16",
        "status": status, "median_s": 0.001 if status == "ok" else None, "tflops": 1.0,
        "gbps": 1.0, "language": "cuda", "baseline": False, "study": "", "message": message,
    }  # fmt: skip


def test_worst_run_decides_and_unsupported_does_not_hide_ok() -> None:
    ok = {"status": "ok", "message": "", "problem": "a"}
    unsupported = {"status": "unsupported", "message": "needs a shared prefix", "problem": "b"}
    finding = {"status": "emulator_finding", "message": "race", "problem": "c"}
    assert emu_verdicts.worst([unsupported, ok])["status"] == "ok"
    assert emu_verdicts.worst([unsupported])["status"] == "unsupported"
    assert emu_verdicts.worst([ok, unsupported, finding]) == {
        "status": "emulator_finding",
        "message": "race",
        "problem": "c",
    }
    assert emu_verdicts.worst([])["status"] == "missing"
    assert emu_verdicts.agree("emulator_finding", "crash") is True
    assert emu_verdicts.agree("ok", "wrong_result") is False
    assert emu_verdicts.agree("unsupported", "ok") is None


def test_first_light_skips_a_planted_wrong_verdict_and_logs_why(tmp_path: Path) -> None:
    run = dry_run(tmp_path)
    run.use_verdicts(planted(tmp_path / "verdicts.json"), force=False)
    assert set(run.skip) == {("gemm", "triton_naive")}
    log = (run.out / "first_light.log").read_text()
    line = next(ln for ln in log.splitlines() if "skip gemm/triton_naive" in ln)
    assert "wrong_result on emu:sm_90a" in line and "12 of 480 elements" in line
    summary = json.loads((run.out / "summary.json").read_text())
    assert summary["emulated"]["skipped"]["gemm/triton_naive"]["status"] == "wrong_result"
    assert summary["emulated"]["provenance"]["commit"] == "abc123"
    if emu_verdicts.commit()["commit"]:  # a git checkout: verdicts of another commit are flagged
        assert summary["emulated"]["stale"].startswith("made at abc123")
    # The GPU stages leave it out; the other variants run as planned.
    assert run.variants("gemm") == ["-v", "cuda_naive", "-v", "torch_matmul", "--no-baselines"]
    assert run.variants("paged_attention") == first_light.variant_args(
        first_light.DRY.attn_variants
    )
    run.stage = "correctness"
    first_light.stage_correctness(run)
    cmds = [c["cmd"] for c in run.summary["stages"]["correctness"]["commands"]]
    assert len(cmds) == 2 and "triton_naive" not in cmds[0] and "cuda_naive" in cmds[0]
    # The table names it, with its emulated verdict.
    rows = fl_table.skipped_rows(run.skip, "fp16")
    assert rows[0]["status"] == "not run" and rows[0]["emulated"] == "wrong_result"
    assert "wrong_result: out: 12 of 480" in fl_table.markdown(rows)


def test_forced_or_missing_verdicts_change_nothing(tmp_path: Path) -> None:
    forced = dry_run(tmp_path / "f")
    forced.use_verdicts(planted(tmp_path / "verdicts.json", "emulator_finding"), force=True)
    assert forced.skip == {}
    assert forced.variants("gemm") == first_light.variant_args(first_light.DRY.gemm_variants)
    assert (
        "RUN (forced) gemm/triton_naive: emulator_finding"
        in (forced.out / "first_light.log").read_text()
    )
    missing = dry_run(tmp_path / "m")
    missing.use_verdicts(tmp_path / "nothing.json", force=False)
    assert missing.skip == {} and missing.summary["emulated"]["found"] is False
    assert missing.variants("gemm") == first_light.variant_args(first_light.DRY.gemm_variants)


def test_gpu_plan_lists_every_variant_but_the_skipped(tmp_path: Path) -> None:
    run = first_light.Run(
        tmp_path / "out", first_light.GPU, "test", work=tmp_path / "w", kb=["true"]
    )
    run.use_verdicts(planted(tmp_path / "v.json", variant="cuda_ws"), force=False)
    args = run.variants("gemm")
    assert args is not None and "cuda_ws" not in args
    assert {"cuda_wgmma", "triton_tma", "torch_matmul", "cutlass_sm90"} <= set(args)
    assert run.variants("paged_attention") == []  # nothing skipped there: every variant


def test_first_light_main_records_the_skip_and_the_table(tmp_path: Path) -> None:
    """The driver itself (the table stage alone): the skip is logged, summarised and tabled."""
    out = tmp_path / "fl"
    verdicts = planted(tmp_path / "verdicts.json")
    env = {**os.environ, "PYTHONPATH": f"{ROOT}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
    proc = subprocess.run(
        [sys.executable, str(GPU_SCRIPTS / "first_light.py"), str(out), "--dry-run",
         "--only", "table", "--verdicts", str(verdicts)],
        capture_output=True, text=True, cwd=ROOT, timeout=120, env=env,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "emulated: skip gemm/triton_naive: wrong_result" in proc.stdout
    summary = json.loads((out / "summary.json").read_text())
    assert "gemm/triton_naive" in summary["emulated"]["skipped"]
    rows = {r["variant"]: r for r in summary["table"]}
    assert rows["triton_naive"]["status"] == "not run"
    assert "| triton_naive |" in (out / "table.md").read_text()
