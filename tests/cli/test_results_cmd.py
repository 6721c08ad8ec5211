"""``kernbench results`` on stored emulated records: their counters and hot lines, no rerun."""

from __future__ import annotations

from pathlib import Path

import pytest

from kernbench.cli.main import main
from kernbench.store import open_store
from tests.analyse.synthetic import record

EMU = {"kind": "emu", "name": "PTX emulator sm_80 on CPU", "timing_kind": "emulated"}


def test_stored_emulated_records_show_counters_and_hot_lines(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rec = record("cuda_mma", data=[1.5], device=EMU)
    line = {"launch": 0, "ptx_line": 402, "source": "/x/cuda_mma.cu:28", "warp": 64,
            "thread": 2048, "global_load_requests": 64, "global_load_sectors": 128,
            "text": "ld.global.nc.u16 %rs482, [%rd57];"}  # fmt: skip
    counters = {"warp_instructions": 6400.0, "thread_instructions": 204800.0,
                "lane_efficiency": 1.0, "global_load_sectors_per_request": 2.0,
                "shared_conflicts_per_request": 1.8, "ctas": 1}  # fmt: skip
    per_output = {"tensor_macs": 64.0, "warp_instructions": 1.07}
    emulated = {"counters": counters, "per_output": per_output, "hot_lines": [line]}
    rec.method = {"timer": "emulator", "emulator": emulated}
    store = open_store(tmp_path)
    store.add(rec)
    store.close()
    assert main(["results", "--store", str(tmp_path), "--hot-lines", "5"]) == 0
    out = capsys.readouterr().out
    assert "counted by the PTX emulator" in out and "model, not a measurement" in out
    assert "hot PTX lines of cuda_mma" in out and "cuda_mma.cu:28" in out
    assert "2 sect/req" in out
