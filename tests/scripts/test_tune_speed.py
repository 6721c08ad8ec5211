"""tune_speed (issue 18's GPU targets) runs its path here on the CPU and judges by the stored breakdown."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
import tune_speed

from .conftest import GPU_SCRIPTS


def _breakdown(trials: int, **stages: float) -> dict[str, object]:
    return {"wall_s": sum(stages.values()), "trials": trials, "stages": stages}


def test_overhead_is_the_wall_outside_check_compile_samples_and_confirm_per_trial() -> None:
    b = _breakdown(100, static_check=30.0, compile=5.0, samples=150.0, confirm=20.0,
                   warmup=5.0, gate=1.0, sampler=1.0, store=0.5, other=0.5)  # fmt: skip
    got = tune_speed.judge(260.0, b, dry_run=False)
    assert got["overhead_s_per_trial"] == pytest.approx(0.08)
    assert got["warmup_s_per_trial"] == pytest.approx(0.05)
    assert got["overhead_less_warmup_s_per_trial"] == pytest.approx(0.03)
    assert got["wall_target_met"] and not got["overhead_target_met"]


def test_a_tune_of_five_minutes_misses_the_wall_target() -> None:
    b = _breakdown(100, static_check=100.0, samples=199.0, other=1.0)
    got = tune_speed.judge(300.0, b, dry_run=False)
    assert not got["wall_target_met"] and got["overhead_target_met"]


@pytest.mark.slow
def test_dry_run_tunes_on_the_cpu_and_reads_the_stored_breakdown(tmp_path: Path) -> None:
    out = tmp_path / "speed"
    script = GPU_SCRIPTS / "tune_speed.sh"
    proc = subprocess.run(
        ["bash", str(script), str(out), "--dry-run"], capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    summary = json.loads((out / "tune_speed.json").read_text())
    assert summary["unique_evaluations"] == 3
    assert "--device cpu" in summary["provenance"]["command"] and "wall_target_met" not in summary
    assert summary["provenance"]["versions"] and summary["provenance"]["commit"]
    assert summary["wall_s"] > sum(summary["stages_s_per_trial"].values()) * 3 * 0.5
    again = subprocess.run(
        ["bash", str(script), str(out), "--dry-run"], capture_output=True, text=True
    )
    assert again.returncode == 2 and "empty folder" in again.stdout
