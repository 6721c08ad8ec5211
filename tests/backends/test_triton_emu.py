"""Triton's own launches on the PTX emulator, through the emulator Triton driver.

Compiled kernels cannot run in this process (the suite interprets Triton, ``triton.language``
included), so the checks that compile run together in one clean process
(``triton_emu_checks.py``); the launcher's calling convention for what Triton kernels rarely
use (the hidden scratch buffers) is checked here on hand-written PTX.
"""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import pytest
import torch

from kernbench.backends import emu_launch, triton_emu
from tests.helpers import run_without_interpreter

pytestmark = pytest.mark.xdist_group("triton_emu")  # one worker runs the checks once

CHECKS = (
    "check_parameters_follow_triton_specialisation",
    "check_findings_raise_and_the_launch_is_recorded",
    "check_bf16_dot_is_exact_on_small_integers",
    "check_the_jit_compiled_for_sm_80",
    "check_host_tensor_descriptors_expand_as_triton_expands_them",
)


def run_checks(*args: str) -> dict[str, str]:
    """Checks of ``triton_emu_checks.py``, run in one process without the interpreter."""
    last = run_without_interpreter(Path(__file__).with_name("triton_emu_checks.py"), *args)
    return dict(json.loads(last))


@pytest.fixture(scope="module")
def checked() -> dict[str, str]:
    return run_checks(*CHECKS)


@pytest.mark.slow
@pytest.mark.parametrize("name", CHECKS)
def test_compiled_triton_on_the_emulator(checked: dict[str, str], name: str) -> None:
    assert checked[name] == "ok", checked[name]


@pytest.mark.slow
def test_host_tensor_descriptors_on_the_emulated_hopper() -> None:
    from kernbench.emulator import opcodes

    if not {"wgmma", "tensormap"} <= set(opcodes.SM90):
        pytest.skip("the emulator does not run TMA yet")
    name = "check_host_tensor_descriptors_are_tma_on_hopper"
    result = run_checks("--arch", "sm_90a", name)[name]
    assert result == "ok", result


# A hand-written kernel in Triton's shape: one user pointer, then the two hidden scratch
# pointers. Each thread stores its CTA id into the global scratch at ctaid * 4 and reads it
# back into out[ctaid]: with scratch of 4 bytes per program, thread (0, c) writes c.
SCRATCH_PTX = """
.version 8.0
.target sm_80
.address_size 64
.visible .entry scratch_kernel(.param .u64 out, .param .u64 scratch, .param .u64 profile)
{
    .reg .b32 %r<3>;
    .reg .b64 %rd<6>;
    ld.param.u64 %rd1, [out];
    ld.param.u64 %rd2, [scratch];
    mov.u32 %r1, %ctaid.x;
    mul.wide.u32 %rd3, %r1, 4;
    add.s64 %rd4, %rd2, %rd3;
    st.global.u32 [%rd4], %r1;
    ld.global.u32 %r2, [%rd4];
    add.s64 %rd5, %rd1, %rd3;
    st.global.u32 [%rd5], %r2;
    ret;
}
"""


def test_hidden_scratch_arguments_get_host_buffers_sized_by_the_metadata(monkeypatch) -> None:
    """global_scratch_size=4 per program over 3 programs: a 12-byte buffer the kernel can
    use (out = [0, 1, 2]); profile scratch size 0: a null pointer, never dereferenced."""
    monkeypatch.setattr(triton_emu, "_ptx_of", lambda src, meta: SCRATCH_PTX)
    meta = SimpleNamespace(
        name="scratch_kernel",
        num_warps=1,
        shared=0,
        num_ctas=1,
        global_scratch_size=4,
        profile_scratch_size=0,
    )
    src = SimpleNamespace(signature={"out": "*i32", "BLOCK": "constexpr"})
    launcher = triton_emu.launcher_for("sm_80")(src, meta)
    out = torch.full((3,), -1, dtype=torch.int32)
    launcher(3, 1, 1, 0, None, None, None, None, None, out, 128)
    assert out.tolist() == [0, 1, 2]
    [launch] = emu_launch.take_results()
    assert launch.grid == (3, 1, 1) and launch.block == (32, 1, 1)
    # No global scratch asked for: the pointer is null, so the same kernel's store misses
    # every buffer, a finding (not a write to host address 0).
    none = triton_emu.launcher_for("sm_80")(
        src, SimpleNamespace(**{**vars(meta), "global_scratch_size": 0})
    )
    with pytest.raises(emu_launch.EmulatorFindings, match="global-out-of-bounds"):
        none(1, 1, 1, 0, None, None, None, None, None, out, 128)
    emu_launch.take_results()


def test_the_driver_reports_the_emulated_architecture() -> None:
    sm80, sm90 = triton_emu.EmulatorDriver("sm_80"), triton_emu.EmulatorDriver("sm_90a")
    assert (sm80.get_current_target().arch, sm90.get_current_target().arch) == (80, 90)
    assert sm80.get_current_device() != sm90.get_current_device()  # JIT caches per device
    assert sm90.utils.get_device_properties(0)["max_shared_mem"] == 227 * 1024
    assert not triton_emu.EmulatorDriver.is_active()  # never chosen by Triton itself


def test_kernels_decorated_for_the_interpreter_are_refused_on_the_emulated_device() -> None:
    """This process interprets Triton: its kernels cannot be compiled, and the candidate says
    why instead of failing inside Triton."""
    from kernbench import device
    from kernbench.measure.outcome import Status
    from kernbench.measure.run import Candidate, measure
    from kernbench.measure.settings import QUICK
    from kernbench.registry import Registry

    registry = Registry()
    registry.add_reference("kernbench_kernels.gemm:PLUGIN")
    config = registry.variant("triton_naive").default_configs()[0]  # loaded interpreted
    before = device.active()
    try:
        dev = device.activate("emu:sm_80")
        cand = Candidate("gemm", "triton_naive", "32x32x32", "bf16", dict(config))
        outcome = measure(registry, dev, cand, QUICK)
    finally:
        device._ACTIVE = before
    assert outcome.status == Status.UNSUPPORTED
    assert "decorated for Triton's interpreter" in outcome.message
