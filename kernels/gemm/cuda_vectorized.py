"""CUDA C++ ladder step 4: 128-bit global loads and conflict-free (padded) shared memory."""

from __future__ import annotations

from collections.abc import Mapping

from kernbench.backends.cuda import KernelBuild
from kernbench.family import Inputs
from kernbench.problem import Problem
from kernbench.space import Categorical, Config, Space, Value
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

SOURCE = "cuda_vectorized.cu"


def static_shared(c: Mapping[str, Value]) -> bool:
    """the padded A and B tiles fit the 48 KB of static shared memory"""
    bm, bn, bk, pad = int(c["BM"]), int(c["BN"]), int(c["BK"]), int(c["PAD"])
    return ELEM_BYTES * (bm * (bk + pad) + bk * (bn + pad)) <= 48 * 1024


SPACE = Space(
    params=(*MMA_BLOCK, *WARP_GRID, Categorical("PAD", (8, 0))),
    constraints=(*mma_constraints(8), static_shared),
)


def plan(problem: Problem, config: Config, dtype: str) -> KernelBuild:
    return mma_build(SOURCE, config, dtype)


@ladder_step(
    order=4,
    space=SPACE,
    defaults=[{"BM": 128, "BN": 128, "BK": 32, "WARPS_M": 2, "WARPS_N": 2, "PAD": 8}],
    plan=plan,
    sources=(SOURCE, *MMA_SOURCES),
)
def build(problem: Problem, config: Config, inputs: Inputs) -> Launch:
    """Step 3 with the tile loads widened to 16 bytes (LDG.E.128: eight elements per
    instruction, an eighth of the load instructions) and each shared-memory row padded by
    PAD = 8 elements, which shifts consecutive rows by four banks so the 32 lanes reading
    an mma fragment hit 32 different banks instead of replaying (PAD = 0 keeps the
    conflicts, to measure them). Needs K and N multiples of 8 and 16-byte aligned tensors;
    other shapes are reported unsupported."""
    return launch_gemm("cuda_vectorized", plan, tile_grid, problem, config, inputs, vector=True)
