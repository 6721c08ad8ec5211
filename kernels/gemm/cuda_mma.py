"""CUDA C++ ladder step 3: tensor cores through mma.sync m16n8k16, accumulators in registers."""

from __future__ import annotations

from collections.abc import Mapping

from kernbench.backends.cuda import KernelBuild
from kernbench.family import Inputs
from kernbench.problem import Problem
from kernbench.space import Config, Space, Value
from kernbench.variant import Launch

from .cuda_ladder import (
    ELEM_BYTES,
    MMA_BLOCK,
    MMA_SOURCES,
    WARP_GRID,
    ladder_step,
    launch_gemm,
    mma_build,
    mma_constraints,
    tile_grid,
)

SOURCE = "cuda_mma.cu"


def static_shared(c: Mapping[str, Value]) -> bool:
    """the A and B tiles fit the 48 KB of static shared memory"""
    bm, bn, bk = int(c["BM"]), int(c["BN"]), int(c["BK"])
    return ELEM_BYTES * (bm * bk + bk * bn) <= 48 * 1024


SPACE = Space(params=(*MMA_BLOCK, *WARP_GRID), constraints=(*mma_constraints(8), static_shared))


def plan(problem: Problem, config: Config, dtype: str) -> KernelBuild:
    return mma_build(SOURCE, config, dtype)


@ladder_step(
    order=3,
    space=SPACE,
    defaults=[{"BM": 128, "BN": 128, "BK": 32, "WARPS_M": 2, "WARPS_N": 2}],
    plan=plan,
    sources=(SOURCE, *MMA_SOURCES),
)
def build(problem: Problem, config: Config, inputs: Inputs) -> Launch:
    """The inner product moves to the tensor cores: each warp owns a (BM/WARPS_M) x
    (BN/WARPS_N) tile of 16x8 outputs, reads its A and B fragments from shared memory and
    issues mma.sync m16n8k16 (bf16/fp16 in, fp32 accumulators held in registers for the
    whole K loop). One instruction now does 4096 FLOPs, so the loads become the limit:
    global loads are still one element each, shared rows are unpadded (bank conflicts on
    the fragment reads) and every tile is loaded, then waited for, then used. Any shape."""
    return launch_gemm("cuda_mma", plan, tile_grid, problem, config, inputs, vector=False)
