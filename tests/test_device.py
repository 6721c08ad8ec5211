"""Device activation prepares the process the same way on every machine."""

from __future__ import annotations

import pytest

from kernbench import device, provenance
from kernbench.errors import UsageError


def test_cpu_device_interprets_and_pins_triton_fp_fusion(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TRITON_DEFAULT_FP_FUSION", raising=False)
    dev = device.activate("cpu")
    assert not dev.is_gpu
    prov = provenance.collect("test")
    assert prov["triton_interpret"] == "1"
    assert prov["triton_fp_fusion"] == "1"


def test_a_users_fp_fusion_setting_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRITON_DEFAULT_FP_FUSION", "0")
    device.activate("cpu")
    assert provenance.collect("test")["triton_fp_fusion"] == "0"


def test_unknown_device_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="unknown device 'tpu'"):
        device.activate("tpu")


def test_cpu_device_runs_torch_on_one_thread(monkeypatch: pytest.MonkeyPatch) -> None:
    """OpenMP threads spinning on a busy 2-core box made CPU timings swing 200x."""
    import torch

    monkeypatch.setenv("OMP_NUM_THREADS", "8")
    before = torch.get_num_threads()
    try:
        device.activate("cpu")
        assert torch.get_num_threads() == 1
        assert device.os.environ["OMP_NUM_THREADS"] == "1"  # workers inherit it
    finally:
        torch.set_num_threads(before)


@pytest.mark.skipif(device.cuda_available(), reason="auto picks the GPU here")
def test_auto_without_gpu_is_marked_a_fallback_but_not_in_records() -> None:
    auto = device.activate("auto")
    assert auto.kind == "cpu" and auto.fallback
    assert not device.activate("cpu").fallback  # asked for: no fallback
    assert "fallback" not in auto.as_dict()
