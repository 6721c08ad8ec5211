"""CUDA C++ ladder step 6: mma fragments loaded from shared memory with ldmatrix."""

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

SOURCE = "cuda_ldmatrix.cu"


def fits_shared(c: Mapping[str, Value]) -> bool:
    """all STAGES tiles fit the 227 KB of shared memory a Hopper block may use"""
    return pipeline_shared(c) <= 227 * 1024


SPACE = Space(
    params=(
        Pow2("BM", 32, 256), Pow2("BN", 32, 256), Categorical("BK", (16, 32, 64)),
        Categorical("WARPS_M", (1, 2, 4)), Categorical("WARPS_N", (1, 2, 4)),
        Categorical("STAGES", (2, 3, 4, 5)),
    ),
    constraints=(*mma_constraints(16), fits_shared),
)


def plan(problem: Problem, config: Config, dtype: str) -> KernelBuild:
    return kernel_build(SOURCE, config, dtype, 32 * warps(config), pipeline_shared(config))


@variant(
    family="gemm",
    name="cuda_ldmatrix",
    language="cuda",
    space=SPACE,
    defaults=[{"BM": 128, "BN": 128, "BK": 32, "WARPS_M": 2, "WARPS_N": 2, "STAGES": 3}],
    dtypes=DTYPES,
    requires=requirements((8, 0)),
    static_check=static_check(plan),
    sources=(SOURCE, COMMON_HEADER),
    order=6,
)
def build(problem: Problem, config: Config, inputs: Inputs) -> Launch:
    """Step 5 with the per-lane fragment reads replaced by ldmatrix (LDSM): one
    ldmatrix.x4 loads a whole 16x16 A fragment for the warp, and one transposing
    ldmatrix.x4.trans two 16x8 B fragments straight from the row-major B tile, instead of
    4 and 8 scalar shared loads (B's pairs ran down K, so each took two 16-bit loads).
    Fewer instructions and no packing leave the issue slots to the mma pipe. Needs K and N
    multiples of 8 and BN / WARPS_N a multiple of 16."""
    return launch_gemm("cuda_ldmatrix", plan, tile_grid, problem, config, inputs, vector=True)
