"""Ladder step 4: split-K, for outputs too small to occupy the GPU when K is long."""

from __future__ import annotations

from collections.abc import Mapping

import torch
import triton
import triton.language as tl

from kernbench.backends.triton import ArgValue, KernelCall, launch_options
from kernbench.family import Inputs
from kernbench.problem import Problem
from kernbench.space import Config, Pow2, Space, Value
from kernbench.variant import Launch, variant

from .triton_common import (
    PIPELINE_PARAMS,
    acc_fits,
    blocks,
    build_with,
    dot_tile,
    has_c,
    static_check_of,
    store_tile,
    tile_coords,
    tiles,
)


@triton.jit
def gemm_splitk_partial_kernel(  # type: ignore[no-untyped-def]
    a_ptr,
    b_ptr,
    ws_ptr,
    M,
    N,
    K,
    k_per_split,
    stride_am,
    stride_ak,
    stride_bk,
    stride_bn,
    BLOCK_M: tl.constexpr,
    BLOCK_N: tl.constexpr,
    BLOCK_K: tl.constexpr,
    GROUP_M: tl.constexpr,
):
    """Program (tile, s) writes the fp32 partial product over K slice s to ws[s] (M x N)."""
    split = tl.program_id(1)
    pid_m, pid_n = tile_coords(tl.program_id(0), M, N, BLOCK_M, BLOCK_N, GROUP_M)
    offs_m = pid_m * BLOCK_M + tl.arange(0, BLOCK_M)
    offs_n = pid_n * BLOCK_N + tl.arange(0, BLOCK_N)
    k_lo = split * k_per_split
    k_hi = tl.minimum(k_lo + k_per_split, K)
    acc = dot_tile(
        a_ptr,
        b_ptr,
        M,
        N,
        K,
        k_lo,
        k_hi,
        stride_am,
        stride_ak,
        stride_bk,
        stride_bn,
        offs_m,
        offs_n,
        BLOCK_K,
    )
    mask = (offs_m[:, None] < M) & (offs_n[None, :] < N)
    tl.store(ws_ptr + split * M * N + offs_m[:, None] * N + offs_n[None, :], acc, mask=mask)


@triton.jit
def gemm_splitk_reduce_kernel(  # type: ignore[no-untyped-def]
    ws_ptr,
    c_ptr,
    out_ptr,
    M,
    N,
    stride_cm,
    stride_cn,
    stride_om,
    stride_on,
    alpha,
    beta,
    SPLIT_K: tl.constexpr,
    BLOCK_M: tl.constexpr,
    BLOCK_N: tl.constexpr,
    HAS_C: tl.constexpr,
):
    """Sum the SPLIT_K partials of one tile in a fixed order, then the shared epilogue."""
    offs_m = tl.program_id(0) * BLOCK_M + tl.arange(0, BLOCK_M)
    offs_n = tl.program_id(1) * BLOCK_N + tl.arange(0, BLOCK_N)
    mask = (offs_m[:, None] < M) & (offs_n[None, :] < N)
    ptrs = ws_ptr + offs_m[:, None] * N + offs_n[None, :]
    acc = tl.zeros((BLOCK_M, BLOCK_N), dtype=tl.float32)
    for s in tl.static_range(SPLIT_K):
        acc += tl.load(ptrs + s * M * N, mask=mask, other=0.0)
    store_tile(
        acc,
        offs_m,
        offs_n,
        M,
        N,
        c_ptr,
        stride_cm,
        stride_cn,
        out_ptr,
        stride_om,
        stride_on,
        alpha,
        beta,
        HAS_C,
    )


REDUCE_BLOCK = 64
"""Tile edge of the reduction kernel: it only streams fp32 partials, so tile shape barely matters."""

SPACE = Space(
    params=(
        Pow2("BLOCK_M", 16, 128),
        Pow2("BLOCK_N", 32, 256),
        Pow2("BLOCK_K", 32, 128),
        Pow2("GROUP_M", 1, 8),
        Pow2("SPLIT_K", 2, 16),
        *PIPELINE_PARAMS,
    ),
    constraints=(acc_fits,),
)


def k_per_split(problem: Problem, config: Mapping[str, Value]) -> int:
    """K slice per split, a whole number of BLOCK_K steps."""
    block_k = int(config["BLOCK_K"])
    steps = triton.cdiv(triton.cdiv(problem.int("k"), block_k), int(config["SPLIT_K"]))
    return steps * block_k


def plan(
    problem: Problem, config: Mapping[str, Value], args: Mapping[str, ArgValue]
) -> list[KernelCall]:
    """Partial products into the fp32 workspace ``ws_ptr``, then a deterministic reduction."""
    split = int(config["SPLIT_K"])
    m, n = problem.int("m"), problem.int("n")
    partial = KernelCall(
        gemm_splitk_partial_kernel,
        (tiles(problem, config), split),
        {**blocks(config), "GROUP_M": config["GROUP_M"]},
        **launch_options(config),
        args={"k_per_split": k_per_split(problem, config)},
    )
    reduce = KernelCall(
        gemm_splitk_reduce_kernel,
        (triton.cdiv(m, REDUCE_BLOCK), triton.cdiv(n, REDUCE_BLOCK)),
        {
            "SPLIT_K": split,
            "BLOCK_M": REDUCE_BLOCK,
            "BLOCK_N": REDUCE_BLOCK,
            "HAS_C": has_c(problem),
        },
        num_warps=4,
        num_stages=1,
    )
    return [partial, reduce]


@variant(
    family="gemm",
    name="triton_splitk",
    language="triton",
    space=SPACE,
    defaults=[
        {
            "BLOCK_M": 64,
            "BLOCK_N": 128,
            "BLOCK_K": 64,
            "GROUP_M": 8,
            "SPLIT_K": 4,
            "num_stages": 3,
            "num_warps": 4,
        },
        {
            "BLOCK_M": 16,
            "BLOCK_N": 128,
            "BLOCK_K": 128,
            "GROUP_M": 1,
            "SPLIT_K": 8,
            "num_stages": 4,
            "num_warps": 4,
        },
    ],
    static_check=static_check_of(plan, extra={"ws_ptr": "*fp32"}),
    sources=["triton_common.py"],
    order=4,
)
def build(problem: Problem, config: Config, inputs: Inputs) -> Launch:
    """Step 3's pipelined tile loop, with K cut into SPLIT_K slices computed by separate
    programs. When M x N has fewer tiles than the GPU has SMs (decode-sized M, long K) this
    multiplies the parallelism by SPLIT_K. Partials go to an fp32 workspace and a second
    kernel sums them in a fixed order and applies alpha/beta, so results are deterministic
    and never touch the NaN-poisoned output with atomics; the price is 2 x SPLIT_K x M x N
    x 4 bytes of extra traffic."""
    split = int(config["SPLIT_K"])
    ws = torch.empty(
        split, problem.int("m"), problem.int("n"), device=inputs["a"].device, dtype=torch.float32
    )
    return build_with(plan, problem, config, inputs, extra={"ws_ptr": ws})
