"""CUDA C++ ladder step 6: mma fragments loaded from shared memory with ldmatrix."""

from __future__ import annotations

from kernbench.backends.cuda import KernelBuild
from kernbench.family import Inputs
from kernbench.problem import Problem
from kernbench.space import Config, Space
from kernbench.variant import Launch

from .cuda_ladder import (
    MMA_BLOCK,
    MMA_SOURCES,
    STAGES,
    WARP_GRID,
    ladder_step,
    launch_gemm,
    mma_build,
    mma_constraints,
    pipeline_fits_shared,
    pipeline_shared,
    tile_grid,
)

SOURCE = "cuda_ldmatrix.cu"

SPACE = Space(
    params=(*MMA_BLOCK, *WARP_GRID, STAGES),
    constraints=(*mma_constraints(16), pipeline_fits_shared),
)


def plan(problem: Problem, config: Config, dtype: str) -> KernelBuild:
    return mma_build(SOURCE, config, dtype, pipeline_shared(config))


@ladder_step(
    order=6,
    space=SPACE,
    defaults=[{"BM": 128, "BN": 128, "BK": 32, "WARPS_M": 2, "WARPS_N": 2, "STAGES": 3}],
    plan=plan,
    sources=(SOURCE, *MMA_SOURCES),
)
def build(problem: Problem, config: Config, inputs: Inputs) -> Launch:
    """Step 5 with the per-lane fragment reads replaced by ldmatrix (LDSM): one
    ldmatrix.x4 loads a whole 16x16 A fragment for the warp, and one transposing
    ldmatrix.x4.trans two 16x8 B fragments straight from the row-major B tile, instead of
    4 and 8 scalar shared loads (B's pairs ran down K, so each took two 16-bit loads).
    Fewer instructions and no packing leave the issue slots to the mma pipe. Needs K and N
    multiples of 8 and BN / WARPS_N a multiple of 16."""
    return launch_gemm("cuda_ldmatrix", plan, tile_grid, problem, config, inputs, vector=True)
