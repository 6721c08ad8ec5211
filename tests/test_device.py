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
