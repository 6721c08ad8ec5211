"""Ladder step 2: grouped tile ordering, so programs running together share operand tiles in L2."""

from __future__ import annotations

from collections.abc import Mapping

import triton
import triton.language as tl

from kernbench.backends.triton import ArgValue, KernelCall
from kernbench.family import Inputs
from kernbench.problem import Problem
from kernbench.space import Config, Pow2, Space, Value
from kernbench.variant import Launch, variant

from .triton_common import (
    build_with,
    gemm_tile,
    grid_1d,
    grouped_constexprs,
    static_check_of,
    tile_coords,
    tiles,
)


@triton.jit
def gemm_grouped_kernel(  # type: ignore[no-untyped-def]
    a_ptr,
    b_ptr,
    c_ptr,
    out_ptr,
    M,
    N,
    K,
    stride_am,
    stride_ak,
    stride_bk,
    stride_bn,
    stride_cm,
    stride_cn,
    stride_om,
    stride_on,
    alpha,
    beta,
    BLOCK_M: tl.constexpr,
    BLOCK_N: tl.constexpr,
    BLOCK_K: tl.constexpr,
    GROUP_M: tl.constexpr,
    HAS_C: tl.constexpr,
):
    pid_m, pid_n = tile_coords(tl.program_id(0), M, N, BLOCK_M, BLOCK_N, GROUP_M)
    gemm_tile(
        pid_m,
        pid_n,
        a_ptr,
        b_ptr,
        c_ptr,
        out_ptr,
        M,
        N,
        K,
        stride_am,
        stride_ak,
        stride_bk,
        stride_bn,
        stride_cm,
        stride_cn,
        stride_om,
        stride_on,
        alpha,
        beta,
        BLOCK_M,
        BLOCK_N,
        BLOCK_K,
        HAS_C,
    )


SPACE = Space(
    params=(
        Pow2("BLOCK_M", 16, 128),
        Pow2("BLOCK_N", 16, 128),
        Pow2("BLOCK_K", 16, 64),
        Pow2("GROUP_M", 1, 16),
    )
)


def grouped_call(
    problem: Problem, config: Mapping[str, Value], num_warps: int, num_stages: int
) -> KernelCall:
    """One program per tile on a 1-D grid, tiles numbered in groups of GROUP_M tile rows."""
    return KernelCall(
        gemm_grouped_kernel,
        grid_1d(tiles(problem, config)),
        grouped_constexprs(problem, config),
        num_warps=num_warps,
        num_stages=num_stages,
    )


def plan(
    problem: Problem, config: Mapping[str, Value], args: Mapping[str, ArgValue]
) -> list[KernelCall]:
    """Step 1's launch options (4 warps, num_stages=1) with the grouped order."""
    return [grouped_call(problem, config, num_warps=4, num_stages=1)]


@variant(
    family="gemm",
    name="triton_grouped",
    language="triton",
    space=SPACE,
    defaults=[{"BLOCK_M": 64, "BLOCK_N": 64, "BLOCK_K": 32, "GROUP_M": 8}],
    static_check=static_check_of(plan),
    sources=["triton_common.py"],
    order=2,
)
def build(problem: Problem, config: Config, inputs: Inputs) -> Launch:
    """Same tile kernel as step 1, but program ids are mapped to tiles in groups of GROUP_M
    tile rows that sweep the columns together. Programs resident at the same time then read
    the same few A row-panels and B column-panels, which stay in L2 instead of being fetched
    from HBM once per tile row; GROUP_M=1 is step 1's row-major order."""
    return build_with(plan, problem, config, inputs)
