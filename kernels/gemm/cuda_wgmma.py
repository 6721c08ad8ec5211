"""CUDA C++ ladder step 8 (sm_90a): TMA loads and wgmma from one warpgroup."""

from __future__ import annotations

from collections.abc import Mapping

from kernbench.backends.cuda import KernelBuild
from kernbench.family import Inputs
from kernbench.problem import Problem
from kernbench.space import Categorical, Config, Space, Value
from kernbench.variant import Launch, variant

from .cuda_ladder import DTYPES, ELEM_BYTES, cdiv
from .cuda_wgmma_common import (
    SOURCES,
    TILE_K,
    accumulators,
    hopper_build,
    hopper_requirements,
    hopper_static_check,
    launch_hopper,
)

SOURCE = "cuda_wgmma.cu"


def fits_registers(c: Mapping[str, Value]) -> bool:
    """the warpgroup's fp32 accumulators fit its registers: BM/64 * BN/2 <= 128 per thread"""
    return accumulators(c, int(c["BM"])) <= 128


SPACE = Space(
    params=(Categorical("BM", (64, 128)), Categorical("BN", (64, 128, 256))),
    constraints=(fits_registers,),
)


def shared_bytes(c: Mapping[str, Value]) -> int:
    """One A and one B tile, plus the mbarrier."""
    return (int(c["BM"]) + int(c["BN"])) * TILE_K * ELEM_BYTES + 8


def plan(problem: Problem, config: Config, dtype: str) -> KernelBuild:
    return hopper_build(SOURCE, config, dtype, 128, shared_bytes(config))


def grid(problem: Problem, config: Config) -> tuple[int, ...]:
    return cdiv(problem.int("n"), int(config["BN"])), cdiv(problem.int("m"), int(config["BM"]))


@variant(
    family="gemm",
    name="cuda_wgmma",
    language="cuda",
    space=SPACE,
    defaults=[{"BM": 128, "BN": 128}],
    dtypes=DTYPES,
    requires=hopper_requirements(),
    static_check=hopper_static_check(plan),
    sources=(SOURCE, *SOURCES),
    order=8,
)
def build(problem: Problem, config: Config, inputs: Inputs) -> Launch:
    """Hopper's two new units replace the whole mma.sync machinery of steps 3-7. The TMA
    engine copies a tile between global and shared memory from one thread's request (a
    tensor map describes the matrix; edges are zero-filled; the 128-byte swizzle that avoids
    bank conflicts is applied in flight) and signals an mbarrier when the bytes land.
    wgmma then multiplies 64 x BN x 16 straight from shared memory for a whole warpgroup
    of 128 threads, asynchronously, with no ldmatrix and no register fragments of A or B.
    One warpgroup, one buffer: loads and math still take turns, so the tensor cores idle
    while each tile arrives (step 9 fixes that). Needs K and N multiples of 8."""
    return launch_hopper("cuda_wgmma", plan, grid, problem, config, inputs, a_rows=int(config["BM"]))
