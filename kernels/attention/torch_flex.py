"""Baseline with torch alone: FlexAttention reading the paged cache through a physical block mask."""

from __future__ import annotations

import functools
import warnings
from typing import Any

import torch

from kernbench.family import Inputs
from kernbench.problem import Problem
from kernbench.space import Config
from kernbench.variant import Launch, Requirements, Unsupported, variant


def _probe() -> str | None:
    """Why FlexAttention's paged attention is not available in the installed torch, or None."""
    try:
        from torch.nn.attention.flex_attention import BlockMask, flex_attention  # noqa: F401
    except ImportError as exc:
        return f"torch {torch.__version__} has no FlexAttention ({exc})"
    if not hasattr(BlockMask, "from_kv_blocks"):
        return f"torch {torch.__version__} has no BlockMask.from_kv_blocks (paged block masks)"
    return None


def _eager(flex: Any) -> Any:
    """Unfused FlexAttention for the CPU device, without its (known) warning about being unfused."""

    def run(*args: Any, **kwargs: Any) -> Any:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="flex_attention called without torch.compile")
            return flex(*args, **kwargs)

    return run


@functools.cache
def _compiled_flex() -> Any:
    """The fused kernel: FlexAttention is only fast under ``torch.compile``."""
    from torch.nn.attention.flex_attention import flex_attention

    return torch.compile(flex_attention, dynamic=False)


def paged_block_mask(tables: torch.Tensor, lens: torch.Tensor, bs: int, pool: int) -> Any:
    """Each sequence's physical pages as a BlockMask over the pool (one kv block per page).

    Whole pages are listed as full blocks (no mask_mod), the partial last page as a masked
    block; the mask_mod maps a physical token back to its logical position to cut at the length.
    """
    from torch.nn.attention.flex_attention import BlockMask

    dev = tables.device
    batch, width = tables.shape
    lens64 = lens.long()
    pages = (lens64 + bs - 1) // bs
    column = torch.arange(width, device=dev)
    used = column[None, :] < pages[:, None]
    logical = torch.full((batch, pool), -1, dtype=torch.int32, device=dev)
    rows = torch.arange(batch, device=dev)[:, None].expand(batch, width)
    logical[rows[used], tables.long()[used]] = column.expand(batch, width)[used].int()

    def in_context(b: Any, h: Any, q_idx: Any, kv_idx: Any) -> Any:
        page = logical[b, kv_idx // bs]
        return (page >= 0) & (page * bs + kv_idx % bs < lens[b])

    full = (lens64 // bs).int()
    partial = (lens64 % bs != 0).int()
    # Index lists span the whole pool: BlockMask sizes its dense form by their width.
    full_pages = torch.zeros(batch, pool, dtype=torch.int32, device=dev)
    full_pages[:, :width] = tables
    last_page = torch.zeros_like(full_pages)
    last_page[:, :1] = tables.gather(1, (lens64 // bs).clamp(max=width - 1)[:, None])
    return BlockMask.from_kv_blocks(
        partial.view(batch, 1, 1),
        last_page.view(batch, 1, 1, pool),
        full.view(batch, 1, 1),
        full_pages.view(batch, 1, 1, pool),
        BLOCK_SIZE=(128, bs),
        mask_mod=in_context,
        seq_lengths=(1, pool * bs),
    )


@variant(
    family="paged_attention",
    name="torch_flex",
    language="torch",
    baseline=True,
    requires=Requirements(probe=_probe),
)
def build(problem: Problem, config: Config, inputs: Inputs) -> Launch:
    """FlexAttention over the whole block pool viewed as one sequence per kv head (nhd only,
    no copy): each sequence's block mask lists its physical pages (full pages, then the
    partial last page), and a mask_mod maps a physical token back to its logical position to
    cut at the context length. Compiled with ``torch.compile`` on a GPU (the first launch,
    in the correctness gate, pays for compilation); eager on the CPU."""
    from torch.nn.attention.flex_attention import flex_attention

    if problem["layout"] != "nhd":
        raise Unsupported(
            "torch_flex reads K/V as [heads, tokens, dim]: the hnd pool cannot be viewed so without a copy"
        )
    q, k_cache, v_cache, out = inputs["q"], inputs["k_cache"], inputs["v_cache"], inputs["out"]
    bs, kv_heads, d = problem.int("block_size"), problem.int("kv_heads"), problem.int("head_dim")
    pool = k_cache.shape[0]
    key = k_cache.view(1, pool * bs, kv_heads, d).transpose(1, 2)
    value = v_cache.view(1, pool * bs, kv_heads, d).transpose(1, 2)
    mask = paged_block_mask(inputs["block_tables"], inputs["context_lens"], bs, pool)
    dev = q.device
    attend = _compiled_flex() if dev.type == "cuda" else _eager(flex_attention)
    query = q.unsqueeze(2)
    gqa = problem.int("q_heads") != kv_heads
    scale = float(inputs["scale"])

    def launch() -> None:
        o = attend(query, key, value, block_mask=mask, scale=scale, enable_gqa=gqa)
        out.copy_(o.squeeze(2))

    return launch
