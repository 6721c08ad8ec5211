"""The datasheet table: the public H100 figures, and device names matched to the right entry."""

from __future__ import annotations

import pytest

from kernbench.ceilings import DATASHEET, TERA, datasheet_for


def test_h100_sxm_matches_the_reference_figures():
    h100 = datasheet_for("NVIDIA H100 80GB HBM3")
    assert h100 is DATASHEET["H100-SXM"]
    assert h100.compute["bf16"] == 989 * TERA and h100.compute["fp16"] == 989 * TERA
    assert h100.compute["fp32"] == 67 * TERA  # vector fp32, not tf32 tensor
    assert h100.compute["tf32"] == 494 * TERA
    assert h100.memory["hbm"] == 3.35 * TERA
    assert h100.l2_bytes == 50 * 2**20 and h100.sm_count == 132


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("NVIDIA H100 80GB HBM3", "H100-SXM"),
        ("NVIDIA H100 PCIe", "H100-PCIE"),
        ("NVIDIA H100 NVL", "H100-NVL"),
        ("NVIDIA H200", "H200"),
        ("NVIDIA H200 NVL", "H200-NVL"),
        ("NVIDIA A100-SXM4-80GB", "A100-SXM"),
        ("NVIDIA A100-SXM4-40GB", "A100-SXM-40GB"),
        ("NVIDIA A100-PCIE-40GB", "A100-PCIE"),
        ("NVIDIA A100 80GB PCIe", "A100-PCIE-80GB"),
        ("NVIDIA L40S", "L40S"),
        ("NVIDIA B200", "B200"),
    ],
)
def test_device_names_pick_the_most_specific_entry(name, key):
    assert datasheet_for(name) is DATASHEET[key]


def test_unknown_devices_have_no_datasheet():
    assert datasheet_for("CPU (x86_64, 2 cores)") is None
    assert datasheet_for("NVIDIA GeForce RTX 4090") is None


def test_every_entry_has_the_ceilings_a_roofline_needs():
    for entry in DATASHEET.values():
        for precision in ("bf16", "fp16", "tf32", "fp32"):
            assert entry.compute[precision] > 0
        assert entry.compute["tf32"] < entry.compute["bf16"]  # dense tf32 is half of bf16
        assert entry.memory["hbm"] > 0 and entry.l2_bytes > 0 and entry.sm_count > 0
        assert entry.source == "datasheet"
