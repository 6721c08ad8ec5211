"""CUDA C++ ladder step 7: tuned tiles, threadblock swizzle, epilogue through shared memory."""

from __future__ import annotations

from collections.abc import Mapping

from kernbench.backends.cuda import KernelBuild
from kernbench.family import Inputs
from kernbench.problem import Problem
from kernbench.space import Categorical, Config, Space, Value
from kernbench.variant import Launch

from .cuda_ladder import (
    MMA_SOURCES,
    SHARED_LIMIT,
    STAGES,
    WARP_GRID,
    cdiv,
    ladder_step,
    launch_gemm,
    mma_build,
    mma_constraints,
    pipeline_shared,
)

SOURCE = "cuda_tuned.cu"


def fits_shared(c: Mapping[str, Value]) -> bool:
    """the STAGES tiles (and the output tile) fit the 227 KB a Hopper block may use"""
    return pipeline_shared(c, epilogue=True) <= SHARED_LIMIT


SPACE = Space(
    params=(
        Categorical("BM", (64, 128, 256)),
        Categorical("BN", (64, 128, 256)),
        Categorical("BK", (32, 64)),
        *WARP_GRID,
        STAGES,
        Categorical("GROUP_M", (1, 4, 8, 16)),
    ),
    constraints=(*mma_constraints(16), fits_shared),
)


def plan(problem: Problem, config: Config, dtype: str) -> KernelBuild:
    return mma_build(SOURCE, config, dtype, pipeline_shared(config, epilogue=True))


def grid(problem: Problem, config: Config) -> tuple[int, ...]:
    """A 1-D grid: the kernel maps block ids to tiles in GROUP_M-row groups."""
    return (cdiv(problem.int("m"), int(config["BM"])) * cdiv(problem.int("n"), int(config["BN"])),)


@ladder_step(
    order=7,
    space=SPACE,
    defaults=[
        {"BM": 128, "BN": 256, "BK": 32, "WARPS_M": 2, "WARPS_N": 4, "STAGES": 3, "GROUP_M": 8},
        {"BM": 128, "BN": 128, "BK": 32, "WARPS_M": 2, "WARPS_N": 2, "STAGES": 4, "GROUP_M": 8},
    ],
    plan=plan,
    sources=(SOURCE, *MMA_SOURCES),
)
def build(problem: Problem, config: Config, inputs: Inputs) -> Launch:
    """Step 6 made to scale: larger block tiles (up to 256 x 256, 8 warps of up to 64 x 64)
    raise the FLOPs per byte loaded; a threadblock swizzle launches blocks in groups of
    GROUP_M tile rows so that blocks running together share A rows and B columns in L2
    instead of streaming all of B per row; and the epilogue stages the output tile in the
    (now idle) pipeline buffers so it leaves in coalesced 16-byte stores rather than 4-byte
    fragments scattered over rows. The tuner picks tiles, stages and group size per shape.
    Needs K and N multiples of 8."""
    return launch_gemm("cuda_tuned", plan, grid, problem, config, inputs, vector=True)
