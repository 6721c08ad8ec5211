"""CUDA C++ ladder step 5: a cp.async multistage pipeline (prefetch depth tunable)."""

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

SOURCE = "cuda_cp_async.cu"

SPACE = Space(
    params=(*MMA_BLOCK, *WARP_GRID, STAGES), constraints=(*mma_constraints(8), pipeline_fits_shared)
)


def plan(problem: Problem, config: Config, dtype: str) -> KernelBuild:
    return mma_build(SOURCE, config, dtype, pipeline_shared(config))


@ladder_step(
    order=5,
    space=SPACE,
    defaults=[{"BM": 128, "BN": 128, "BK": 32, "WARPS_M": 2, "WARPS_N": 2, "STAGES": 3}],
    plan=plan,
    sources=(SOURCE, *MMA_SOURCES),
)
def build(problem: Problem, config: Config, inputs: Inputs) -> Launch:
    """Step 4's 16-byte copies become cp.async (LDGSTS): they go from global to shared
    memory without passing through registers and without blocking the warp, so a ring of
    STAGES shared-memory buffers keeps STAGES - 1 future k-tiles in flight while the tensor
    cores work on the current one (zero-filled copies handle the edges). Latency of global
    memory now hides behind math; deeper pipelines cost shared memory (dynamic, opted in
    above 48 KB) and occupancy. Needs K and N multiples of 8."""
    return launch_gemm("cuda_cp_async", plan, tile_grid, problem, config, inputs, vector=True)
