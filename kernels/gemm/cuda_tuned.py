"""CUDA C++ ladder step 7: tuned tiles, threadblock swizzle, epilogue through shared memory."""

from __future__ import annotations

from collections.abc import Mapping

from kernbench.backends.cuda import KernelBuild, requirements, static_check
from kernbench.family import Inputs
from kernbench.problem import Problem
from kernbench.space import Categorical, Config, Space, Value
from kernbench.variant import Launch, variant

from .cuda_ladder import (
    COMMON_HEADER,
    DTYPES,
    cdiv,
    kernel_build,
    launch_gemm,
    mma_constraints,
    pipeline_shared,
    warps,
)

SOURCE = "cuda_tuned.cu"


def fits_shared(c: Mapping[str, Value]) -> bool:
    """the STAGES tiles (and the output tile) fit the 227 KB a Hopper block may use"""
    return pipeline_shared(c, epilogue=True) <= 227 * 1024


SPACE = Space(
    params=(
        Categorical("BM", (64, 128, 256)), Categorical("BN", (64, 128, 256)),
        Categorical("BK", (32, 64)),
        Categorical("WARPS_M", (1, 2, 4)), Categorical("WARPS_N", (1, 2, 4)),
        Categorical("STAGES", (2, 3, 4, 5)), Categorical("GROUP_M", (1, 4, 8, 16)),
    ),
    constraints=(*mma_constraints(16), fits_shared),
)


def plan(problem: Problem, config: Config, dtype: str) -> KernelBuild:
    return kernel_build(SOURCE, config, dtype, 32 * warps(config), pipeline_shared(config, epilogue=True))


def grid(problem: Problem, config: Config) -> tuple[int, ...]:
    """A 1-D grid: the kernel maps block ids to tiles in GROUP_M-row groups."""
    return (cdiv(problem.int("m"), int(config["BM"])) * cdiv(problem.int("n"), int(config["BN"])),)


@variant(
    family="gemm",
    name="cuda_tuned",
    language="cuda",
    space=SPACE,
    defaults=[
        {"BM": 128, "BN": 256, "BK": 32, "WARPS_M": 2, "WARPS_N": 4, "STAGES": 3, "GROUP_M": 8},
        {"BM": 128, "BN": 128, "BK": 32, "WARPS_M": 2, "WARPS_N": 2, "STAGES": 4, "GROUP_M": 8},
    ],
    dtypes=DTYPES,
    requires=requirements((8, 0)),
    static_check=static_check(plan),
    sources=(SOURCE, COMMON_HEADER),
    order=7,
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
