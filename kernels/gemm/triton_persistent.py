"""Ladder step 5: a persistent kernel, one program per SM walking the tiles with a scheduler."""

from __future__ import annotations

from collections.abc import Mapping

import triton
import triton.language as tl

from kernbench.backends.triton import ArgValue, KernelCall, launch_options
from kernbench.family import Inputs
from kernbench.problem import Problem
from kernbench.space import Categorical, Config, Space, Value
from kernbench.variant import Launch, variant

from .triton_common import (
    LARGE_TILE_DEFAULTS,
    acc_fits,
    build_with,
    gemm_tile,
    grouped_constexprs,
    persistent_programs,
    static_check_of,
    tile_coords,
)
from .triton_pipelined import SPACE as PIPELINED_SPACE


@triton.jit
def gemm_persistent_kernel(  # type: ignore[no-untyped-def]
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
    num_programs,
    BLOCK_M: tl.constexpr,
    BLOCK_N: tl.constexpr,
    BLOCK_K: tl.constexpr,
    GROUP_M: tl.constexpr,
    HAS_C: tl.constexpr,
):
    num_tiles = tl.cdiv(M, BLOCK_M) * tl.cdiv(N, BLOCK_N)
    for tile_id in range(tl.program_id(0), num_tiles, num_programs):
        pid_m, pid_n = tile_coords(tile_id, M, N, BLOCK_M, BLOCK_N, GROUP_M)
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
    params=(*PIPELINED_SPACE.params, Categorical("PROGRAMS_PER_SM", (1, 2))),
    constraints=(acc_fits,),
)
"""Step 3's tiles and launch options, plus how many programs share an SM."""


def plan(
    problem: Problem, config: Mapping[str, Value], args: Mapping[str, ArgValue]
) -> list[KernelCall]:
    """min(tiles, SMs x PROGRAMS_PER_SM) programs, each taking every num_programs-th tile."""
    programs = persistent_programs(problem, config, args, int(config["PROGRAMS_PER_SM"]))
    return [
        KernelCall(
            gemm_persistent_kernel,
            (programs,),
            grouped_constexprs(problem, config),
            **launch_options(config),
            args={"num_programs": programs},
        )
    ]


@variant(
    family="gemm",
    name="triton_persistent",
    language="triton",
    space=SPACE,
    defaults=[
        {**LARGE_TILE_DEFAULTS[0], "PROGRAMS_PER_SM": 1},
        {**LARGE_TILE_DEFAULTS[1], "PROGRAMS_PER_SM": 2},
    ],
    static_check=static_check_of(plan),
    sources=["triton_common.py", "triton_pipelined.py"],
    order=5,
)
def build(problem: Problem, config: Config, inputs: Inputs) -> Launch:
    """Step 3's tile loop inside a persistent kernel: the grid is the SM count (times
    PROGRAMS_PER_SM) instead of the tile count, and each program walks the grouped tile
    order with a stride of the grid size. Launch and block-scheduling costs are paid once
    per SM, the last wave is no longer a partly idle grid, and one tile's epilogue can
    overlap the next tile's loads. On the CPU device a fixed count of 4 SMs stands in."""
    return build_with(plan, problem, config, inputs)
