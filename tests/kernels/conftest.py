"""Fixtures shared by the kernel families' tests."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from kernbench.measure.runner import Runner
from kernbench.measure.worker import ProcessRunner


@pytest.fixture(scope="session")
def emu_worker() -> Iterator[Runner]:
    """A measurement worker on emu:sm_80, started once: Triton variants on the emulated
    device need a process that activated it before their kernels were decorated (compiled,
    not interpreted), which is what every ``--device emu`` run gives them. Candidates are
    gated once; an emulated record takes no timing samples."""
    from kernbench.device import emu_device
    from kernbench.measure.settings import QUICK

    with ProcessRunner(emu_device("sm_80"), QUICK) as runner:
        yield runner


def hopper_emulated() -> bool:
    """Whether the emulator runs sm_90a's own instructions (wgmma, TMA, tensor maps)."""
    from kernbench.emulator import opcodes

    return {"wgmma", "tensormap"} <= set(opcodes.SM90)


@pytest.fixture(scope="session")
def emu90_worker() -> Iterator[Runner]:
    """A measurement worker on emu:sm_90a: Triton compiles for Hopper there (wgmma, TMA)."""
    from kernbench.device import emu_device
    from kernbench.measure.settings import QUICK

    if not hopper_emulated():
        pytest.skip("the emulator does not run wgmma and TMA yet")
    with ProcessRunner(emu_device("sm_90a"), QUICK) as runner:
        yield runner


def emulated_device(arch: str) -> Iterator[Any]:
    """The body of a module's ``emu`` fixture: the emulated ``arch`` device, active for the
    module, and the device that was active before put back afterwards."""
    from kernbench import device

    before = device.active()
    yield device.activate(f"emu:{arch}")
    device._ACTIVE = before


@pytest.fixture(scope="module")
def emu() -> Iterator[Any]:
    """The emulated sm_80 device, active for the module and put back afterwards."""
    yield from emulated_device("sm_80")
