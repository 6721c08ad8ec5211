"""Ladder step 6 (TMA) on the irregular shapes issue #4 names, under the Triton interpreter.

Only Hopper can run the TMA step for real, but the interpreter emulates tensor descriptors,
so its tiling, bounds and layouts are checked here on every shape the other steps are held
to: each (shape, dtype, config) either matches the float64 reference or is refused as
``Unsupported`` with the alignment reason (TMA needs 16-byte rows), and the shapes whose rows
are aligned really run. On a GPU, ``test_triton_ladder.py::test_bf16_on_gpu`` and ``test_tma_on_gpu``
run the real kernel instead.
"""

from __future__ import annotations

import pytest
import torch

from kernbench.registry import Registry
from kernbench.variant import Unsupported
from tests.kernels.gemm.test_triton_ladder import gate

SHAPES = ("77x129x65", "1x4096x256", "300x300x1000")
SMALL_TILES = {"BLOCK_M": 64, "BLOCK_N": 64, "BLOCK_K": 32, "GROUP_M": 4}

pytestmark = pytest.mark.skipif(
    torch.cuda.is_available(), reason="on a GPU the gpu-marked TMA tests run the real kernel"
)


@pytest.fixture(scope="module")
def registry() -> Registry:
    reg = Registry()
    reg.add_reference("kernbench_kernels.gemm:PLUGIN")
    return reg


@pytest.mark.parametrize("dtype", ["fp16", "fp32"])
def test_tma_matches_reference_or_refuses_unaligned_rows(registry: Registry, dtype: str) -> None:
    tma = registry.variant("triton_tma")
    defaults = tma.default_configs()
    configs = [*defaults, {**defaults[1], **SMALL_TILES, "num_stages": 2, "num_warps": 4}]
    assert all(tma.space.is_valid(c) for c in configs)
    ran: list[str] = []
    for shape in SHAPES:
        for config in configs:
            try:
                result = gate(registry, "triton_tma", shape, dtype, config)
            except Unsupported as why:
                assert "16-byte aligned" in str(why), (shape, dtype, why)
                continue
            assert result.ok, f"{shape} {dtype} {config}: {result.message}"
            ran.append(shape)
    # 1x4096x256 has 16-byte rows in both dtypes; 300x300x1000 in fp32 (1200-byte rows of B).
    expected = {"1x4096x256"} | ({"300x300x1000"} if dtype == "fp32" else set())
    assert set(ran) == expected, ran
