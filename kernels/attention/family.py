"""The paged-attention family: decode attention (one query token per sequence) over a paged KV cache."""

from __future__ import annotations

import math
from typing import Any

import torch

from kernbench.errors import UsageError
from kernbench.family import (
    DEFAULT_TOLERANCES,
    Family,
    Inputs,
    Tolerance,
    element_size,
    torch_dtype,
)
from kernbench.problem import Problem, ProblemParam

from .cache import allocate, cache_shape, context_lengths, explicit_lengths, gather, suffix_lengths
from .presets import PRESETS


class PagedAttention(Family):
    """out[b, h] = softmax(scale * q[b, h] . K_b^T) V_b, K_b and V_b read through block table b."""

    name = "paged_attention"
    description = (
        "Decode attention over a paged KV cache: one query token per sequence, K/V in "
        "fixed-size blocks addressed through a block table (GQA/MQA, ragged lengths)."
    )
    params = (
        ProblemParam("batch", int, minimum=1, help="sequences, one query token each"),
        ProblemParam(
            "context",
            int,
            0,
            minimum=0,
            help="tokens per sequence after the shared prefix (the longest, for mixed lengths)",
        ),
        ProblemParam(
            "lengths",
            str,
            "uniform",
            help="uniform | random | longtail | one_long, or explicit suffix lengths 17/1/40",
        ),
        ProblemParam("q_heads", int, 32, minimum=1, help="query heads"),
        ProblemParam(
            "kv_heads", int, 8, minimum=1, help="key/value heads; must divide q_heads (GQA)"
        ),
        ProblemParam("head_dim", int, 128, (64, 128, 256)),
        ProblemParam(
            "block_size", int, 16, (1, 8, 16, 32, 64), help="tokens per cache block (page)"
        ),
        ProblemParam(
            "layout",
            str,
            "nhd",
            ("nhd", "hnd"),
            help="nhd: [blocks, block_size, kv_heads, dim]; hnd: [blocks, kv_heads, block_size, dim]",
        ),
        ProblemParam(
            "scale", float, 0.0, minimum=0.0, help="softmax scale; 0 means 1/sqrt(head_dim)"
        ),
        ProblemParam(
            "shared_prefix",
            int,
            0,
            minimum=0,
            help="tokens at the start of every sequence stored once in shared blocks",
        ),
        ProblemParam(
            "lengths_seed", int, 0, minimum=0, help="seed of the random length distributions"
        ),
    )
    dtypes = ("fp16", "bf16")
    default_dtype = "bf16"
    cpu_dtype = "fp16"
    presets = PRESETS
    default_preset = "llama3-8b"
    cpu_preset = "cpu-small"
    memory_bound = True

    def validate(self, problem: Problem) -> None:
        q_heads, kv_heads = problem.int("q_heads"), problem.int("kv_heads")
        if q_heads % kv_heads:
            raise UsageError(f"kv_heads={kv_heads} must divide q_heads={q_heads}")
        given = explicit_lengths(str(problem["lengths"]))
        context = problem.int("context")
        if given is None and context < 1:
            raise UsageError("paged_attention needs context=N (tokens per sequence), N >= 1")
        if given is not None:
            if len(given) != problem.int("batch"):
                raise UsageError(
                    f"lengths lists {len(given)} sequences but batch={problem['batch']}"
                )
            if context not in (0, max(given)):
                raise UsageError(
                    f"context={context} disagrees with the longest of lengths={problem['lengths']}"
                )
        prefix, bs = problem.int("shared_prefix"), problem.int("block_size")
        if prefix % bs:
            raise UsageError(
                f"shared_prefix={prefix} must be a multiple of block_size={bs} (shared blocks are whole)"
            )

    def scale(self, problem: Problem) -> float:
        given = float(problem["scale"])
        return given if given > 0 else 1.0 / math.sqrt(problem.int("head_dim"))

    def make_inputs(self, problem: Problem, dtype: str, device: str, seed: int) -> Inputs:
        batch, q_heads, d = problem.int("batch"), problem.int("q_heads"), problem.int("head_dim")
        alloc = allocate(problem, seed)
        dt = torch_dtype(dtype)
        gen = torch.Generator(device=device).manual_seed(seed)

        def normal(*shape: int) -> torch.Tensor:
            return torch.randn(*shape, generator=gen, device=device, dtype=dt)

        shape = cache_shape(problem, alloc.pool)
        return {
            "q": normal(batch, q_heads, d),
            "k_cache": normal(*shape),
            "v_cache": normal(*shape),
            "block_tables": torch.tensor(alloc.tables, dtype=torch.int32, device=device),
            "context_lens": torch.tensor(
                context_lengths(problem), dtype=torch.int32, device=device
            ),
            "scale": self.scale(problem),
            "out": torch.empty(batch, q_heads, d, device=device, dtype=dt),
        }

    def reference(self, problem: Problem, inputs: Inputs) -> dict[str, Any]:
        """Gather each sequence through its table; float64, float32 when K alone passes 2^30 elements."""
        q = inputs["q"]
        kv_heads, d = problem.int("kv_heads"), problem.int("head_dim")
        lens = context_lengths(problem)
        big = sum(lens) * kv_heads * d > 2**30
        ref_dtype = torch.float32 if big else torch.float64
        group = problem.int("q_heads") // kv_heads
        out = torch.empty(q.shape, dtype=ref_dtype, device=q.device)
        layout = str(problem["layout"])
        for b, n in enumerate(lens):
            table = inputs["block_tables"][b, : math.ceil(n / problem.int("block_size"))]
            k = gather(inputs["k_cache"], table, n, layout).to(ref_dtype)
            v = gather(inputs["v_cache"], table, n, layout).to(ref_dtype)
            qb = q[b].to(ref_dtype).view(kv_heads, group, d)
            scores = torch.einsum("hgd,thd->hgt", qb, k) * inputs["scale"]
            out[b] = torch.einsum("hgt,thd->hgd", torch.softmax(scores, dim=-1), v).reshape(-1, d)
        return {"out": out}

    def flops(self, problem: Problem) -> float:
        """4 * q_heads * head_dim per context token (QK^T and PV), prefix tokens per sequence."""
        return (
            4.0 * problem.int("q_heads") * problem.int("head_dim") * sum(context_lengths(problem))
        )

    def min_bytes(self, problem: Problem, dtype: str) -> float:
        """K and V of every stored token once (a shared prefix once), q, out, used table entries, lengths."""
        elem = element_size(dtype)
        batch, bs = problem.int("batch"), problem.int("block_size")
        tokens = problem.int("shared_prefix") + sum(suffix_lengths(problem))
        kv = 2 * tokens * problem.int("kv_heads") * problem.int("head_dim") * elem
        q_and_out = 2 * batch * problem.int("q_heads") * problem.int("head_dim") * elem
        table_entries = sum(math.ceil(n / bs) for n in context_lengths(problem))
        return float(kv + q_and_out + 4 * table_entries + 4 * batch)

    def tolerance(self, dtype: str, problem: Problem | None = None) -> Tolerance:
        """The dtype's defaults: P is rounded to 16 bits once before P @ V, as in every fast kernel."""
        return DEFAULT_TOLERANCES[dtype]


PAGED_ATTENTION = PagedAttention()
