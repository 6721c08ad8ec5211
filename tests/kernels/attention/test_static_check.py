"""The static check compiles a Triton variant for the H100 target without a GPU."""

from __future__ import annotations

from pathlib import Path

import pytest
from kernbench_kernels.attention.family import PAGED_ATTENTION as F

from kernbench.registry import Registry
from kernbench.staticcheck import HOPPER, check


def test_split_kv_compiles_for_sm90_and_reports_both_kernels(
    registry: Registry, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KERNBENCH_CACHE", str(tmp_path))
    variant = registry.variant("triton_split_kv")
    problem = F.parse("batch=4,context=512,q_heads=8,kv_heads=2,head_dim=64")
    result = check(variant, problem, variant.default_configs()[0], "fp16", HOPPER)
    assert result.ok, result.reason
    kernels = [r.kernel for r in result.resources]
    assert kernels == ["partial_kernel", "lse_reduce_kernel"]
    assert all(r.registers > 0 and r.threads == 128 for r in result.resources)
