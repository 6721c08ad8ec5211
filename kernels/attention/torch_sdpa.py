"""Baseline with torch alone: gather the pages into a padded batch, then ``scaled_dot_product_attention``."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from kernbench.family import Inputs
from kernbench.problem import Problem
from kernbench.space import Config
from kernbench.variant import Launch, variant

_ENABLE_GQA = "enable_gqa" in (F.scaled_dot_product_attention.__doc__ or "")


@variant(family="paged_attention", name="torch_sdpa", language="torch", baseline=True)
def build(problem: Problem, config: Config, inputs: Inputs) -> Launch:
    """What a user with only torch writes: index the cache with the block tables (a copy of
    every sequence's K and V, padded to the longest), then ``scaled_dot_product_attention``
    with a length mask and GQA (``enable_gqa``, or ``repeat_interleave`` on older torch)."""
    q, k_cache, v_cache, out = inputs["q"], inputs["k_cache"], inputs["v_cache"], inputs["out"]
    lens = inputs["context_lens"]
    batch, bs = problem.int("batch"), problem.int("block_size")
    kv_heads, group = problem.int("kv_heads"), problem.int("q_heads") // problem.int("kv_heads")
    width = math.ceil(int(lens.max()) / bs)
    tables = inputs["block_tables"][:, :width].long()
    positions = torch.arange(width * bs, device=q.device)
    mask = (positions[None, :] < lens[:, None]).view(batch, 1, 1, width * bs)
    hnd = problem["layout"] == "hnd"
    scale = float(inputs["scale"])
    query = q.unsqueeze(2)

    def gathered(cache: torch.Tensor) -> torch.Tensor:
        pages = cache[
            tables
        ]  # [batch, width, bs, kv_heads, dim] (nhd) or [batch, width, kv_heads, bs, dim]
        if hnd:
            pages = pages.transpose(2, 3)
        seq = pages.reshape(batch, width * bs, kv_heads, -1).transpose(1, 2)
        if group > 1 and not _ENABLE_GQA:
            seq = seq.repeat_interleave(group, dim=1)
        return seq

    gqa = {"enable_gqa": True} if group > 1 and _ENABLE_GQA else {}

    def launch() -> None:
        o = F.scaled_dot_product_attention(
            query, gathered(k_cache), gathered(v_cache), attn_mask=mask, scale=scale, **gqa
        )
        out.copy_(o.squeeze(2))

    return launch
