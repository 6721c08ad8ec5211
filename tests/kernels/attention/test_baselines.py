"""The torch baselines: gather + SDPA and FlexAttention's paged attention, through the gate."""

from __future__ import annotations

import pytest
import torch
from kernbench_kernels.attention.cache import context_lengths
from kernbench_kernels.attention.family import PAGED_ATTENTION as F
from kernbench_kernels.attention.torch_flex import _probe, paged_block_mask

from kernbench.measure.outcome import Status
from kernbench.registry import Registry

from .conftest import run

RAGGED = "batch=3,lengths=1/17/40,q_heads=8,kv_heads=2,head_dim=64,block_size=16"
SHARED = "batch=3,lengths=1/5/9,q_heads=4,kv_heads=4,head_dim=64,block_size=8,shared_prefix=16"


@pytest.mark.parametrize(
    "problem", [RAGGED, SHARED, RAGGED.replace("block_size=16", "block_size=1,layout=hnd")]
)
def test_sdpa_matches_reference(registry: Registry, problem: str) -> None:
    outcome = run(registry, "torch_sdpa", problem)
    assert outcome.status == Status.OK, outcome.message


@pytest.mark.skipif(_probe() is not None, reason=str(_probe()))
@pytest.mark.parametrize("problem", [RAGGED, SHARED])
def test_flex_matches_reference(registry: Registry, problem: str) -> None:
    outcome = run(registry, "torch_flex", problem)
    assert outcome.status == Status.OK, outcome.message


def test_flex_hnd_is_unsupported_with_reason(registry: Registry) -> None:
    outcome = run(registry, "torch_flex", RAGGED + ",layout=hnd")
    assert outcome.status == Status.UNSUPPORTED and "hnd" in outcome.message


@pytest.mark.skipif(_probe() is not None, reason=str(_probe()))
def test_flex_block_mask_lists_exactly_each_sequences_pages() -> None:
    """The fused kernel trusts the page lists (full pages skip the mask_mod): check them."""
    p = F.parse(
        "batch=4,lengths=16/1/33/40,q_heads=4,kv_heads=2,head_dim=64,block_size=8,shared_prefix=8"
    )
    inputs = F.make_inputs(p, "fp16", "cpu", 5)
    pool = inputs["k_cache"].shape[0]
    mask = paged_block_mask(inputs["block_tables"], inputs["context_lens"], 8, pool)
    dense = mask.to_dense()[:, 0, 0, :pool].bool()
    for b, n in enumerate(context_lengths(p)):
        pages = inputs["block_tables"][b, : -(-n // 8)].tolist()
        expected = torch.zeros(pool, dtype=torch.bool)
        expected[pages] = True
        assert torch.equal(dense[b], expected), b
        assert int(mask.full_kv_num_blocks[b, 0, 0]) == n // 8
