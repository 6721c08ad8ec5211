"""``kernbench calibrate``: one line and exit 0 without a GPU; measured ceilings on one."""

from __future__ import annotations

import pytest

from kernbench.device import cuda_available
from tests.helpers import run_cli


@pytest.mark.skipif(cuda_available(), reason="checks the behaviour without a GPU")
def test_without_a_gpu_there_is_nothing_to_calibrate(tmp_path):
    result = run_cli("calibrate", "--store", str(tmp_path / "r"))
    assert result.returncode == 0, result.stderr
    lines = [ln for ln in (result.stdout + result.stderr).splitlines() if ln.strip()]
    assert lines == ["kernbench calibrate: no CUDA GPU here, nothing to calibrate"]
    assert not (tmp_path / "r").exists()  # nothing stored


@pytest.mark.gpu
def test_calibrate_stores_measured_ceilings_near_the_known_figures(tmp_path):
    from kernbench.calibrate import measured_ceilings
    from kernbench.ceilings import datasheet_for
    from kernbench.device import cuda_device
    from kernbench.store import open_store

    result = run_cli("calibrate", "--store", str(tmp_path), timeout=1200)
    assert result.returncode == 0, result.stdout + result.stderr
    name = cuda_device().name
    store = open_store(tmp_path)
    records = store.query(family="calibrate")
    assert {r.variant for r in records} == {"matmul_bf16", "matmul_fp16", "copy"}
    assert all(
        r.provenance.get("command") and r.device.get("timing_kind") == "gpu" for r in records
    )
    measured = measured_ceilings(store, name)
    assert measured is not None
    sheet = datasheet_for(name)
    if sheet is not None:
        for key in ("bf16", "fp16"):
            assert 0.5 * sheet.compute[key] < measured.compute[key] < 1.02 * sheet.compute[key]
        assert 0.6 * sheet.memory["hbm"] < measured.memory["hbm"] < 1.02 * sheet.memory["hbm"]
