"""Paged decode, cascade: the shared prefix is read once for the whole batch, then each suffix."""

from __future__ import annotations

from collections.abc import Mapping

import triton
import triton.language as tl

from kernbench.backends.triton import ArgValue, KernelCall, launch_options
from kernbench.family import Inputs
from kernbench.problem import Problem
from kernbench.space import Categorical, Config, Space, Value
from kernbench.staticcheck import Resources, Target
from kernbench.variant import Launch, Unsupported, variant

from .triton_common import (
    COMMON_PARAMS,
    SPLITS,
    attend_tokens,
    build_with,
    chunk_bounds,
    group_of,
    heuristic_splits,
    partials_call,
    reduce_call,
    static_check_of,
    store_partial,
    suffix_splits,
    tile_constexprs,
    warps_have_tokens,
)


@triton.jit
def prefix_kernel(  # type: ignore[no-untyped-def]
    q_ptr,
    k_ptr,
    v_ptr,
    table_ptr,
    acc_ptr,
    ml_ptr,
    qk_scale,
    batch,
    prefix_len,
    num_splits,
    stride_qb,
    stride_qh,
    stride_kb,
    stride_kt,
    stride_kh,
    stride_vb,
    stride_vt,
    stride_vh,
    stride_ab,
    stride_ah,
    stride_as,
    stride_mb,
    stride_mh,
    stride_ms,
    GROUP: tl.constexpr,
    BLOCK_M: tl.constexpr,
    PAGE: tl.constexpr,
    BLOCK_N: tl.constexpr,
    HEAD_DIM: tl.constexpr,
):
    """One (kv head, tile of BLOCK_M query rows from any sequences, prefix chunk).

    Rows are (sequence, query head of the group) pairs, so one K/V tile of the shared
    prefix feeds a tensor-core product for up to BLOCK_M queries of the batch.
    """
    kv_head = tl.program_id(0)
    r = tl.program_id(1) * BLOCK_M + tl.arange(0, BLOCK_M)
    split = tl.program_id(2)
    row_ok = r < batch * GROUP
    b = r // GROUP
    qh = kv_head * GROUP + r % GROUP
    offs_d = tl.arange(0, HEAD_DIM)
    q = tl.load(
        q_ptr + b[:, None] * stride_qb + qh[:, None] * stride_qh + offs_d[None, :],
        mask=row_ok[:, None],
        other=0.0,
    )
    start, end = chunk_bounds(0, prefix_len, split, num_splits, BLOCK_N)
    # Every table starts with the same prefix blocks: table 0 addresses them for all rows.
    m_i, l_i, acc = attend_tokens(
        q,
        k_ptr,
        v_ptr,
        table_ptr,
        kv_head,
        start,
        end,
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
        True,
    )
    store_partial(
        acc_ptr,
        ml_ptr,
        acc,
        m_i,
        l_i,
        b,
        qh,
        split,
        row_ok,
        stride_ab,
        stride_ah,
        stride_as,
        stride_mb,
        stride_mh,
        stride_ms,
        HEAD_DIM,
    )


def scores_tile_fits(c: Mapping[str, Value]) -> bool:
    """the prefix scores tile BLOCK_M x BLOCK_N must stay within 128 x 128"""
    return int(c["BLOCK_M"]) * int(c["BLOCK_N"]) <= 128 * 128


SPACE = Space(
    params=(
        *COMMON_PARAMS,
        Categorical("BLOCK_M", (16, 32, 64, 128)),
        Categorical("PREFIX_SPLITS", SPLITS.values),
        SPLITS,
    ),
    constraints=(warps_have_tokens, scores_tile_fits),
)


def prefix_splits(problem: Problem, config: Mapping[str, Value], sms: int) -> int:
    """PREFIX_SPLITS of the config, or the heuristic's count over kv heads x row tiles."""
    chosen = int(config["PREFIX_SPLITS"])
    if chosen:
        return chosen
    rows = problem.int("batch") * group_of(problem)
    programs = problem.int("kv_heads") * triton.cdiv(rows, int(config["BLOCK_M"]))
    return heuristic_splits(programs, problem.int("shared_prefix"), sms)


def slots(problem: Problem, config: Mapping[str, Value], sms: int) -> int:
    """Prefix chunks, then suffix chunks, per (sequence, query head)."""
    if problem.int("shared_prefix") == 0:
        return 0
    return prefix_splits(problem, config, sms) + suffix_splits(problem, config, sms)


def plan(
    problem: Problem, config: Mapping[str, Value], args: Mapping[str, ArgValue]
) -> list[KernelCall]:
    """Prefix pass over the batch's rows, suffix split pass, one merge of all slots."""
    sms = int(args["sms"])
    n_prefix, n_suffix = prefix_splits(problem, config, sms), suffix_splits(problem, config, sms)
    block_m = int(config["BLOCK_M"])
    rows = problem.int("batch") * group_of(problem)
    prefix = KernelCall(
        prefix_kernel,
        (problem.int("kv_heads"), triton.cdiv(rows, block_m), n_prefix),
        {"GROUP": group_of(problem), "BLOCK_M": block_m, **tile_constexprs(problem, config)},
        **launch_options(config),
        args={
            "batch": problem.int("batch"),
            "prefix_len": problem.int("shared_prefix"),
            "num_splits": n_prefix,
        },
    )
    suffix = partials_call(
        problem, config, n_suffix, token_offset=problem.int("shared_prefix"), slot_offset=n_prefix
    )
    return [prefix, suffix, reduce_call(problem, n_prefix + n_suffix)]


def require_prefix(problem: Problem) -> None:
    """Without a shared prefix there is no cascade plan: the candidate is unsupported."""
    if problem.int("shared_prefix") == 0:
        raise Unsupported("triton_cascade needs a shared prefix (shared_prefix=0 here)")


_compile_plan = static_check_of(plan, slots)


def static_check(problem: Problem, config: Config, dtype: str, target: Target) -> list[Resources]:
    """Compile the cascade plan for the target, after the same prefix test as ``build``."""
    require_prefix(problem)
    return list(_compile_plan(problem, config, dtype, target))


@variant(
    family="paged_attention",
    name="triton_cascade",
    language="triton",
    space=SPACE,
    defaults=[
        {
            "BLOCK_N": 64,
            "BLOCK_H": 0,
            "num_warps": 4,
            "num_stages": 2,
            "BLOCK_M": 64,
            "PREFIX_SPLITS": 0,
            "NUM_SPLITS": 0,
        }
    ],
    static_check=static_check,
    sources=["triton_common.py"],
    order=3,
)
def build(problem: Problem, config: Config, inputs: Inputs) -> Launch:
    """Cascade attention for batches whose block tables share a prefix: the prefix's K/V is
    read once per kv head and chunk for BLOCK_M queries of the whole batch at a time, each
    sequence's own suffix goes through the split-KV pass, and one log-sum-exp merge combines
    prefix and suffix chunks. Reads the prefix once instead of batch times."""
    require_prefix(problem)
    return build_with(plan, slots, problem, config, inputs)
