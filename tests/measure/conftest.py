"""A registry with the faulty test plugin, on the CPU device."""

from __future__ import annotations

import pytest

from kernbench import device as devices
from kernbench.device import Device
from kernbench.registry import Registry

FAULTY = "tests.plugins_faulty:PLUGIN"


@pytest.fixture
def cpu() -> Device:
    return devices.activate("cpu")


@pytest.fixture
def registry() -> Registry:
    reg = Registry.discover()
    reg.add_reference(FAULTY)
    return reg
