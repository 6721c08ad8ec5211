"""CUDA C++ ladder step 5: a cp.async multistage pipeline (prefetch depth tunable)."""

from __future__ import annotations

from collections.abc import Mapping

from kernbench.backends.cuda import KernelBuild, requirements, static_check
from kernbench.family import Inputs
from kernbench.problem import Problem
from kernbench.space import Categorical, Config, Pow2, Space, Value
from kernbench.variant import Launch, variant

from .cuda_ladder import (
    COMMON_HEADER,
    DTYPES,
    kernel_build,
    launch_gemm,
    mma_constraints,
    pipeline_shared,
    tile_grid,
    warps,
)

SOURCE = "cuda_cp_async.cu"


def fits_shared(c: Mapping[str, Value]) -> bool:
    """all STAGES tiles fit the 227 KB of shared memory a Hopper block may use"""
    return pipeline_shared(c) <= 227 * 1024


SPACE = Space(
    params=(
        Pow2("BM", 32, 256), Pow2("BN", 32, 256), Categorical("BK", (16, 32, 64)),
        Categorical("WARPS_M", (1, 2, 4)), Categorical("WARPS_N", (1, 2, 4)),
        Categorical("STAGES", (2, 3, 4, 5)),
    ),
    constraints=(*mma_constraints(8), fits_shared),
)


def plan(problem: Problem, config: Config, dtype: str) -> KernelBuild:
    return kernel_build(SOURCE, config, dtype, 32 * warps(config), pipeline_shared(config))


@variant(
    family="gemm",
    name="cuda_cp_async",
    language="cuda",
    space=SPACE,
    defaults=[{"BM": 128, "BN": 128, "BK": 32, "WARPS_M": 2, "WARPS_N": 2, "STAGES": 3}],
    dtypes=DTYPES,
    requires=requirements((8, 0)),
    static_check=static_check(plan),
    sources=(SOURCE, COMMON_HEADER),
    order=5,
)
def build(problem: Problem, config: Config, inputs: Inputs) -> Launch:
    """Step 4's 16-byte copies become cp.async (LDGSTS): they go from global to shared
    memory without passing through registers and without blocking the warp, so a ring of
    STAGES shared-memory buffers keeps STAGES - 1 future k-tiles in flight while the tensor
    cores work on the current one (zero-filled copies handle the edges). Latency of global
    memory now hides behind math; deeper pipelines cost shared memory (dynamic, opted in
    above 48 KB) and occupancy. Needs K and N multiples of 8."""
    return launch_gemm("cuda_cp_async", plan, tile_grid, problem, config, inputs, vector=True)
