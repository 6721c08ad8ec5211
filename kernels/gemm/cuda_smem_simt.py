"""CUDA C++ ladder step 2: shared-memory tiling with register blocking on the SIMT cores."""

from __future__ import annotations

from collections.abc import Mapping

from kernbench.backends.cuda import KernelBuild
from kernbench.family import Inputs
from kernbench.problem import Problem
from kernbench.space import Categorical, Config, Pow2, Space, Value
from kernbench.variant import Launch

from .cuda_ladder import COMMON_HEADER, kernel_build, ladder_step, launch_gemm, tile_grid

SOURCE = "cuda_smem_simt.cu"


def threads(c: Mapping[str, Value]) -> int:
    return (int(c["BM"]) // int(c["TM"])) * (int(c["BN"]) // int(c["TN"]))


def block_threads(c: Mapping[str, Value]) -> bool:
    """(BM/TM) x (BN/TN) threads: whole warps, at most 512"""
    return threads(c) % 32 == 0 and 32 <= threads(c) <= 512


def static_shared(c: Mapping[str, Value]) -> bool:
    """the fp32 A and B tiles fit the 48 KB of static shared memory"""
    bm, bn, bk = int(c["BM"]), int(c["BN"]), int(c["BK"])
    return 4 * (bk * (bm + 1) + bk * bn) <= 48 * 1024


SPACE = Space(
    params=(
        Pow2("BM", 32, 128),
        Pow2("BN", 32, 128),
        Pow2("BK", 8, 32),
        Categorical("TM", (2, 4, 8)),
        Categorical("TN", (2, 4, 8)),
    ),
    constraints=(block_threads, static_shared),
)


def plan(problem: Problem, config: Config, dtype: str) -> KernelBuild:
    return kernel_build(SOURCE, config, dtype, threads(config))


@ladder_step(
    order=2,
    space=SPACE,
    defaults=[{"BM": 64, "BN": 64, "BK": 16, "TM": 4, "TN": 4}],
    plan=plan,
    sources=(SOURCE, COMMON_HEADER),
)
def build(problem: Problem, config: Config, inputs: Inputs) -> Launch:
    """A block stages a BM x BK tile of A and a BK x BN tile of B in shared memory (as
    fp32, A transposed), and each thread accumulates a TM x TN patch of outputs in
    registers from TM + TN shared-memory reads per k: global traffic falls by the tile
    sizes and shared traffic by the register blocking, so the SIMT FMA units, not memory,
    set the pace. Still no tensor cores. Any shape (edge tiles are zero-filled)."""
    return launch_gemm("cuda_smem_simt", plan, tile_grid, problem, config, inputs, vector=False)
