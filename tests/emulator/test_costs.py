"""The speed-of-light model against hand arithmetic on the A100's datasheet ceilings."""

from __future__ import annotations

import pytest

from kernbench.emulator.costs import LABEL, ceilings_for, default_gpu, speed_of_light

A100 = "NVIDIA A100-SXM4-80GB"


def test_each_bound_is_a_count_over_its_ceiling() -> None:
    """A100: 312 TFLOP/s fp16 tensor, 19.5 TFLOP/s fp32, 2.039 TB/s, 108 SMs at 1.41 GHz."""
    c = ceilings_for(A100)
    counts = {
        "tensor_macs.f16": 312e12 / 2,  # one second of tensor work on every SM
        "thread.fp32": 19.5e12 / 2 / 4,  # a quarter second of FMAs
        "dram_read_bytes_lower_bound": 2.039e12 / 8,
        "dram_write_bytes_lower_bound": 2.039e12 / 8,  # a quarter second of DRAM
        "shared_load_wavefronts": 108 * 1.41e9 / 2,  # half a second at one per SM per clock
        "warp_instructions": 108 * 4 * 1.41e9 / 10,  # a tenth at four per SM per clock
    }
    b = speed_of_light(counts, c)
    assert b.seconds == pytest.approx(
        {"tensor": 1.0, "fp32": 0.25, "dram": 0.25, "shared": 0.5, "issue": 0.1}
    )
    assert b.dominant == "tensor" and b.time_s == pytest.approx(1.0)
    assert b.as_dict()["label"] == LABEL == "model, not a measurement"


def test_a_launch_of_few_blocks_gets_only_their_sms() -> None:
    """Four blocks use four SMs: on-chip work is 108 / 4 times slower than spread over all;
    DRAM bandwidth is shared, so its bound does not change."""
    c = ceilings_for(A100)
    counts = {"tensor_macs.f16": 1e6, "dram_read_bytes_lower_bound": 1e6}
    wide, narrow = speed_of_light(counts, c), speed_of_light(counts, c, ctas=4)
    assert narrow.sms == 4 and narrow.seconds["tensor"] == pytest.approx(
        wide.seconds["tensor"] * 108 / 4
    )
    assert narrow.seconds["dram"] == wide.seconds["dram"]


def test_the_default_gpu_follows_the_architecture() -> None:
    assert "A100" in default_gpu("sm_80") and "H100" in default_gpu("sm_90a")
    assert ceilings_for(default_gpu("sm_90a")).compute["bf16"] == pytest.approx(989e12)
    with pytest.raises(ValueError, match="no ceilings"):
        ceilings_for("a GPU nobody has heard of")
