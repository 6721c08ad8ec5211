"""``kernbench tune --device emu``: a CUDA variant tuned on the PTX emulator. Every config
tried is correct or carries a named finding, only correct ones are ranked, and every table
says its times are the emulator's."""

from __future__ import annotations

from pathlib import Path

import pytest

from kernbench.space import config_key
from kernbench.store import open_store
from tests.helpers import run_cli


@pytest.mark.slow
def test_tune_on_the_emulator_ranks_only_correct_configs(tmp_path: Path) -> None:
    args = ("tune", "gemm", "--device", "emu", "-v", "cuda_mma", "--shape", "32x32x32")
    res = run_cli(*args, "--trials", "4", "--store", str(tmp_path))
    assert res.returncode == 0, res.stderr
    records = open_store(tmp_path, create=False).query(variant="cuda_mma")
    assert len({config_key(r.config) for r in records}) == 4
    assert {r.status for r in records} <= {"ok", "emulator_finding"}
    assert all(r.timing_kind == "emulated" for r in records)
    ok = [r for r in records if r.status == "ok"]
    assert ok, "no correct config to rank"
    # the winning config on screen is a correct one
    lines = res.stdout.splitlines()
    table = lines[next(i for i, line in enumerate(lines) if line.startswith("best configs")) :]
    best = next(line for line in table if line.startswith("cuda_mma "))
    assert any(all(f"{k}={v}" in best for k, v in r.config.items()) for r in ok), best
    assert "PTX emulator timing: not GPU performance" in res.stdout
