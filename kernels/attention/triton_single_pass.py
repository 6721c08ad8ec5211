"""Paged decode, single pass: one program per (sequence, kv head) walks the whole context."""

from __future__ import annotations

from collections.abc import Mapping

import triton
import triton.language as tl

from kernbench.backends.triton import ArgValue, KernelCall, launch_options
from kernbench.family import Inputs
from kernbench.problem import Problem
from kernbench.space import Config, Space, Value
from kernbench.variant import Launch, variant

from .triton_common import (
    COMMON_PARAMS,
    attend_tokens,
    build_with,
    head_tiles,
    query_heads,
    static_check_of,
    warps_have_tokens,
)


@triton.jit
def single_pass_kernel(  # type: ignore[no-untyped-def]
    q_ptr,
    k_ptr,
    v_ptr,
    table_ptr,
    lens_ptr,
    out_ptr,
    qk_scale,
    stride_qb,
    stride_qh,
    stride_tb,
    stride_kb,
    stride_kt,
    stride_kh,
    stride_vb,
    stride_vt,
    stride_vh,
    stride_ob,
    stride_oh,
    GROUP: tl.constexpr,
    HEADS: tl.constexpr,
    TILES: tl.constexpr,
    ROWS: tl.constexpr,
    PAGE: tl.constexpr,
    BLOCK_N: tl.constexpr,
    HEAD_DIM: tl.constexpr,
    USE_DOT: tl.constexpr,
):
    b = tl.program_id(0)
    kv_head = tl.program_id(1) // TILES
    q, qh, row_ok = query_heads(
        q_ptr,
        b,
        kv_head,
        tl.program_id(1) % TILES,
        stride_qb,
        stride_qh,
        GROUP,
        HEADS,
        ROWS,
        HEAD_DIM,
    )
    _, l_i, acc = attend_tokens(
        q,
        k_ptr,
        v_ptr,
        table_ptr + b * stride_tb,
        kv_head,
        0,
        tl.load(lens_ptr + b),
        qk_scale,
        stride_kb,
        stride_kt,
        stride_kh,
        stride_vb,
        stride_vt,
        stride_vh,
        PAGE,
        BLOCK_N,
        HEAD_DIM,
        USE_DOT,
    )
    out = acc / l_i[:, None]
    offs_d = tl.arange(0, HEAD_DIM)
    tl.store(
        out_ptr + b * stride_ob + qh[:, None] * stride_oh + offs_d[None, :],
        out.to(out_ptr.dtype.element_ty),
        mask=row_ok[:, None],
    )


SPACE = Space(params=COMMON_PARAMS, constraints=(warps_have_tokens,))


def plan(
    problem: Problem, config: Mapping[str, Value], args: Mapping[str, ArgValue]
) -> list[KernelCall]:
    """One kernel: a program per (sequence, kv head, tile of its group's query heads)."""
    grid, constexprs = head_tiles(problem, config)
    return [KernelCall(single_pass_kernel, grid, constexprs, **launch_options(config))]


def no_slots(problem: Problem, config: Mapping[str, Value], sms: int) -> int:
    return 0


@variant(
    family="paged_attention",
    name="triton_single_pass",
    language="triton",
    space=SPACE,
    defaults=[{"BLOCK_N": 64, "BLOCK_H": 0, "num_warps": 4, "num_stages": 2}],
    static_check=static_check_of(plan, no_slots),
    sources=["triton_common.py"],
    order=1,
)
def build(problem: Problem, config: Config, inputs: Inputs) -> Launch:
    """One program per (sequence, kv head; or per BLOCK_H query heads of its group) walks the
    whole context once with an online softmax: the K/V tile is read once for all the group's
    query heads. Simple and launch-cheap, but batch x kv_heads programs leave SMs idle at
    small batch and long context: the case split-KV exists for."""
    return build_with(plan, no_slots, problem, config, inputs)
