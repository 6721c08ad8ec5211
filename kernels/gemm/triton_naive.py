"""Ladder step 1: naive blocked Triton GEMM, one output tile per program, row-major tile order."""

from __future__ import annotations

from collections.abc import Mapping

import triton
import triton.language as tl

from kernbench.backends.triton import ArgValue, KernelCall
from kernbench.family import Inputs
from kernbench.problem import Problem
from kernbench.space import Config, Pow2, Space, Value
from kernbench.variant import Launch, variant

from .triton_common import blocks, build_with, gemm_tile, has_c, static_check_of


@triton.jit
def gemm_naive_kernel(  # type: ignore[no-untyped-def]
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
    HAS_C: tl.constexpr,
):
    pid_m = tl.program_id(0)
    pid_n = tl.program_id(1)
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


SPACE = Space(params=(Pow2("BLOCK_M", 16, 128), Pow2("BLOCK_N", 16, 128), Pow2("BLOCK_K", 16, 64)))


def plan(
    problem: Problem, config: Mapping[str, Value], args: Mapping[str, ArgValue]
) -> list[KernelCall]:
    """A 2-D grid of tiles in launch order; 4 warps and no multi-buffering (num_stages=1)."""
    grid = (
        triton.cdiv(problem.int("m"), int(config["BLOCK_M"])),
        triton.cdiv(problem.int("n"), int(config["BLOCK_N"])),
    )
    return [
        KernelCall(
            gemm_naive_kernel,
            grid,
            {**blocks(config), "HAS_C": has_c(problem)},
            num_warps=4,
            num_stages=1,
        )
    ]


@variant(
    family="gemm",
    name="triton_naive",
    language="triton",
    space=SPACE,
    defaults=[{"BLOCK_M": 64, "BLOCK_N": 64, "BLOCK_K": 32}],
    static_check=static_check_of(plan),
    sources=["triton_common.py"],
    order=1,
)
def build(problem: Problem, config: Config, inputs: Inputs) -> Launch:
    """One program per output tile on a 2-D grid, tiles in row-major order; each K step loads
    its A and B slices straight from global memory into ``tl.dot``, with no software
    pipelining (num_stages=1, 4 warps). Neighbouring programs share few operand tiles in L2,
    so this is the baseline every later step improves on. fp32 runs as tf32."""
    return build_with(plan, problem, config, inputs)
