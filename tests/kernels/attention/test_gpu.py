"""On a GPU: every variant and baseline in bf16 (the interpreter's bf16 dot is untrustworthy)."""

from __future__ import annotations

import pytest

from kernbench.measure.outcome import Status
from kernbench.registry import Registry

from .conftest import run

VARIANTS = ("triton_single_pass", "triton_split_kv", "torch_sdpa", "torch_flex")
PROBLEMS = (
    "batch=5,lengths=1/17/40/300/2049,q_heads=32,kv_heads=8,head_dim=128,block_size=16",
    "batch=3,lengths=1/33/1000,q_heads=16,kv_heads=16,head_dim=64,block_size=1,layout=hnd",
    "batch=4,context=777,lengths=random,q_heads=32,kv_heads=4,head_dim=256,block_size=32",
    "batch=16,context=256,q_heads=32,kv_heads=8,head_dim=128,block_size=16,shared_prefix=4096",
)


@pytest.mark.gpu
@pytest.mark.parametrize("dtype", ["bf16", "fp16"])
@pytest.mark.parametrize("problem", PROBLEMS)
@pytest.mark.parametrize("variant", VARIANTS)
def test_variant_matches_reference_on_gpu(
    registry: Registry, variant: str, problem: str, dtype: str
) -> None:
    outcome = run(registry, variant, problem, dtype, gpu=True)
    if variant == "torch_flex" and outcome.status in (Status.UNSUPPORTED, Status.SKIPPED):
        pytest.skip(outcome.message)
    assert outcome.status == Status.OK, f"{outcome.status}: {outcome.message}"


@pytest.mark.gpu
@pytest.mark.parametrize("dtype", ["bf16", "fp16"])
def test_cascade_matches_reference_on_gpu(registry: Registry, dtype: str) -> None:
    outcome = run(registry, "triton_cascade", PROBLEMS[-1], dtype, gpu=True)
    assert outcome.status == Status.OK, f"{outcome.status}: {outcome.message}"


@pytest.mark.gpu
@pytest.mark.parametrize(
    "config",
    [
        {"BLOCK_N": 16, "BLOCK_H": 1, "num_warps": 1, "num_stages": 1, "NUM_SPLITS": 64},
        {"BLOCK_N": 128, "BLOCK_H": 16, "num_warps": 8, "num_stages": 3, "NUM_SPLITS": 2},
    ],
)
def test_split_kv_configs_on_gpu(registry: Registry, config: dict[str, int]) -> None:
    outcome = run(registry, "triton_split_kv", PROBLEMS[0], "bf16", config, gpu=True)
    assert outcome.status == Status.OK, f"{outcome.status}: {outcome.message}"
