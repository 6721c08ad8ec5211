"""Ladder step 6 across Triton versions (3.6 on the H100, newer here): features are probed.

The warp-specialised K loop is the one path of the TMA step that the CPU tests never run; it
is compiled for sm_90 here, so a Triton that accepts the keyword but cannot specialise fails
now, not on the GPU. A Triton without tensor descriptors makes the variant unavailable with
a one-line reason (the GPU tests skip with it).
"""

from __future__ import annotations

from pathlib import Path

import pytest
import triton
import triton.language as tl
from kernbench_kernels.gemm import triton_tma

from kernbench.registry import Registry
from kernbench.staticcheck import HOPPER, check


def test_warp_specialized_loop_compiles_for_sm90_with_producer_warps(
    registry: Registry, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tma = registry.variant("triton_tma")
    if not triton_tma.HAS_WARP_SPECIALIZE:
        assert "WARP_SPECIALIZE" not in tma.space.names
        pytest.skip(f"triton {triton.__version__} has no tl.range(warp_specialize=...)")
    monkeypatch.setenv("KERNBENCH_CACHE", str(tmp_path))  # really compile
    problem = registry.family("gemm").parse("4096x4096x4096")
    config = {**tma.default_configs()[1], "WARP_SPECIALIZE": True}
    result = check(tma, problem, config, "fp16", HOPPER)
    assert result.ok, result.reason
    (kernel,) = result.resources
    assert kernel.threads > 32 * int(config["num_warps"]), "no warps were specialised"


def test_missing_tensor_descriptors_make_the_variant_unavailable_in_one_line(
    registry: Registry, monkeypatch: pytest.MonkeyPatch
) -> None:
    tma = registry.variant("triton_tma")
    assert tma.requires.probe is not None
    assert tma.requires.probe() is None  # both Triton versions we run have them
    monkeypatch.delattr(tl, "make_tensor_descriptor")
    reason = tma.requires.probe()
    assert reason is not None and "make_tensor_descriptor" in reason and "\n" not in reason
    assert triton.__version__ in reason
