"""Device activation prepares the process the same way on every machine."""

from __future__ import annotations

import pytest

from kernbench import device, provenance
from kernbench.errors import UsageError


@pytest.fixture(autouse=True)
def _restore_active_device(monkeypatch: pytest.MonkeyPatch) -> None:
    """Activation sets the process's device: put back whatever the worker had."""
    monkeypatch.setattr(device, "_ACTIVE", device.active())


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


def test_emu_device_names_its_architecture_and_never_claims_gpu_timing() -> None:
    dev = device.activate("emu:sm_90a")
    assert dev.is_emulated and not dev.is_gpu
    assert dev.arch == "sm_90a" and dev.compute_capability == (9, 0)
    assert dev.timing_kind == "emulated" and dev.torch_device == "cpu"
    assert "sm_90a" in dev.name
    assert device.active() == dev
    assert device.activate("emu").arch == "sm_80"  # the default architecture


def test_unknown_emulated_architecture_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="emu:sm_70: the emulator offers sm_80, sm_90a"):
        device.activate("emu:sm_70")


def test_timing_notes_say_which_kind_of_not_gpu() -> None:
    assert device.timing_note("emulated") == device.EMU_TIMING_NOTE
    assert device.timing_note({"cpu-interpreter"}) == device.CPU_TIMING_NOTE
    both = device.timing_note({"emulated", "cpu-interpreter"})
    assert "emulator" in both and "interpreter" in both and "not GPU performance" in both


def test_on_the_emulated_device_cuda_triton_and_torch_variants_run() -> None:
    """Torch on the host CPU; CUDA C++ and Triton compiled for the emulated architecture,
    so what needs Hopper waits for emu:sm_90a."""
    from kernbench.registry import Registry

    # Loaded before the emulated device turns the interpreter off: this process's other
    # tests interpret these modules' kernels.
    registry = Registry.discover()
    names = ("torch_matmul", "cuda_naive", "triton_naive", "triton_split_kv", "cuda_wgmma")
    v = {name: registry.variant(name) for name in (*names, "triton_tma")}
    dev = device.activate("emu")
    assert v["torch_matmul"].unavailable(dev) is None  # on the host CPU
    assert v["cuda_naive"].unavailable(dev) is None
    assert v["triton_naive"].unavailable(dev) is None
    assert v["triton_split_kv"].unavailable(dev) is None
    assert "compute capability 9.0" in (v["cuda_wgmma"].unavailable(dev) or "")
    assert "compute capability 9.0" in (v["triton_tma"].unavailable(dev) or "")
    assert v["triton_tma"].unavailable(device.activate("emu:sm_90a")) is None


def test_the_emulated_device_compiles_triton_for_its_architecture() -> None:
    """No interpreter there, and Triton's active driver targets the emulated architecture."""
    from triton.runtime.driver import driver

    device.activate("emu:sm_90a")
    assert "TRITON_INTERPRET" not in device.os.environ
    assert driver.active.get_current_target().arch == 90
    device.activate("emu")
    assert driver.active.get_current_target().arch == 80
