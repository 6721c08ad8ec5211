"""CUDA C++ ladder step 1: naive SIMT GEMM, one thread per output element."""

from __future__ import annotations

from collections.abc import Mapping

from kernbench.backends.cuda import KernelBuild
from kernbench.family import Inputs
from kernbench.problem import Problem
from kernbench.space import Config, Pow2, Space, Value
from kernbench.variant import Launch

from .cuda_ladder import COMMON_HEADER, cdiv, kernel_build, ladder_step, launch_gemm

SOURCE = "cuda_naive.cu"


def block_threads(c: Mapping[str, Value]) -> bool:
    """a block has 64 to 1024 threads"""
    return 64 <= int(c["BLOCK_X"]) * int(c["BLOCK_Y"]) <= 1024


SPACE = Space(
    params=(Pow2("BLOCK_X", 8, 128), Pow2("BLOCK_Y", 1, 32)), constraints=(block_threads,)
)


def plan(problem: Problem, config: Config, dtype: str) -> KernelBuild:
    return kernel_build(SOURCE, config, dtype, int(config["BLOCK_X"]) * int(config["BLOCK_Y"]))


def grid(problem: Problem, config: Config) -> tuple[int, ...]:
    return cdiv(problem.int("n"), int(config["BLOCK_X"])), cdiv(
        problem.int("m"), int(config["BLOCK_Y"])
    )


@ladder_step(
    order=1,
    space=SPACE,
    defaults=[{"BLOCK_X": 32, "BLOCK_Y": 8}],
    plan=plan,
    sources=(SOURCE, COMMON_HEADER),
)
def build(problem: Problem, config: Config, inputs: Inputs) -> Launch:
    """One thread computes one output element with a K-long dot product read straight from
    global memory. Threads of a warp run along N, so B and the output are read and written
    coalesced, but every element of A and B is fetched K-fold redundantly across threads
    (only the caches soften it) and all math runs on the SIMT cores: the baseline the rest
    of the ladder removes, bottleneck by bottleneck. Any shape, no alignment needs."""
    return launch_gemm("cuda_naive", plan, grid, problem, config, inputs, vector=False)
