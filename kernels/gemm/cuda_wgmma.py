"""CUDA C++ ladder step 8 (sm_90a): TMA loads and wgmma from one warpgroup."""

from __future__ import annotations

from collections.abc import Mapping

from kernbench.backends.cuda import KernelBuild
from kernbench.family import Inputs
from kernbench.problem import Problem
from kernbench.space import Categorical, Config, Space, Value
from kernbench.variant import Launch

from .cuda_ladder import ELEM_BYTES, tile_grid
from .cuda_wgmma_common import TILE_K, accumulators, hopper_build, hopper_step, launch_hopper

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


@hopper_step(order=8, space=SPACE, defaults=[{"BM": 128, "BN": 128}], plan=plan, source=SOURCE)
def build(problem: Problem, config: Config, inputs: Inputs) -> Launch:
    """Hopper's two new units replace the whole mma.sync machinery of steps 3-7. The TMA
    engine copies a tile between global and shared memory from one thread's request (a
    tensor map describes the matrix; edges are zero-filled; the 128-byte swizzle that avoids
    bank conflicts is applied in flight) and signals an mbarrier when the bytes land.
    wgmma then multiplies 64 x BN x 16 straight from shared memory for a whole warpgroup
    of 128 threads, asynchronously, with no ldmatrix and no register fragments of A or B.
    One warpgroup, one buffer: loads and math still take turns, so the tensor cores idle
    while each tile arrives (step 9 fixes that). Needs K and N multiples of 8."""
    return launch_hopper(
        "cuda_wgmma", plan, tile_grid, problem, config, inputs, a_rows=int(config["BM"])
    )
