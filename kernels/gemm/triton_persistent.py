"""Ladder step 5: a persistent kernel, one program per SM walking the tiles with a scheduler."""

from __future__ import annotations

from collections.abc import Mapping

import triton
import triton.language as tl

from kernbench.backends.triton import ArgValue, KernelCall
from kernbench.family import Inputs
from kernbench.problem import Problem
from kernbench.space import Categorical, Config, Int, Pow2, Space, Value
from kernbench.variant import Launch, variant

from .triton_common import (
    acc_fits,
    blocks,
    build_with,
    dot_tile,
    has_c,
    sm_count,
    static_check_of,
    store_tile,
    tile_coords,
    tiles,
)


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
        offs_m = pid_m * BLOCK_M + tl.arange(0, BLOCK_M)
        offs_n = pid_n * BLOCK_N + tl.arange(0, BLOCK_N)
        acc = dot_tile(
            a_ptr,
            b_ptr,
            M,
            N,
            K,
            0,
            K,
            stride_am,
            stride_ak,
            stride_bk,
            stride_bn,
            offs_m,
            offs_n,
            BLOCK_K,
        )
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


SPACE = Space(
    params=(
        Pow2("BLOCK_M", 32, 256),
        Pow2("BLOCK_N", 32, 256),
        Pow2("BLOCK_K", 32, 128),
        Pow2("GROUP_M", 1, 16),
        Int("num_stages", 2, 5),
        Categorical("num_warps", (4, 8)),
        Categorical("PROGRAMS_PER_SM", (1, 2)),
    ),
    constraints=(acc_fits,),
)


def plan(
    problem: Problem, config: Mapping[str, Value], args: Mapping[str, ArgValue]
) -> list[KernelCall]:
    """min(tiles, SMs x PROGRAMS_PER_SM) programs, each taking every num_programs-th tile."""
    programs = min(tiles(problem, config), sm_count(args["a_ptr"]) * int(config["PROGRAMS_PER_SM"]))
    return [
        KernelCall(
            gemm_persistent_kernel,
            (programs,),
            {**blocks(config), "GROUP_M": config["GROUP_M"], "HAS_C": has_c(problem)},
            num_warps=int(config["num_warps"]),
            num_stages=int(config["num_stages"]),
            args={"num_programs": programs},
        )
    ]


@variant(
    family="gemm",
    name="triton_persistent",
    language="triton",
    space=SPACE,
    defaults=[
        {
            "BLOCK_M": 128,
            "BLOCK_N": 256,
            "BLOCK_K": 64,
            "GROUP_M": 8,
            "num_stages": 3,
            "num_warps": 8,
            "PROGRAMS_PER_SM": 1,
        },
        {
            "BLOCK_M": 128,
            "BLOCK_N": 128,
            "BLOCK_K": 64,
            "GROUP_M": 8,
            "num_stages": 4,
            "num_warps": 4,
            "PROGRAMS_PER_SM": 2,
        },
    ],
    static_check=static_check_of(plan),
    sources=["triton_common.py"],
    order=5,
)
def build(problem: Problem, config: Config, inputs: Inputs) -> Launch:
    """Step 3's tile loop inside a persistent kernel: the grid is the SM count (times
    PROGRAMS_PER_SM) instead of the tile count, and each program walks the grouped tile
    order with a stride of the grid size. Launch and block-scheduling costs are paid once
    per SM, the last wave is no longer a partly idle grid, and one tile's epilogue can
    overlap the next tile's loads. On the CPU device a fixed count of 4 SMs stands in."""
    return build_with(plan, problem, config, inputs)
