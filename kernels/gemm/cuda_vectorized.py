"""CUDA C++ ladder step 4: 128-bit global loads and conflict-free (padded) shared memory."""

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
    ELEM_BYTES,
    kernel_build,
    launch_gemm,
    mma_constraints,
    tile_grid,
    warps,
)

SOURCE = "cuda_vectorized.cu"


def static_shared(c: Mapping[str, Value]) -> bool:
    """the padded A and B tiles fit the 48 KB of static shared memory"""
    bm, bn, bk, pad = int(c["BM"]), int(c["BN"]), int(c["BK"]), int(c["PAD"])
    return ELEM_BYTES * (bm * (bk + pad) + bk * (bn + pad)) <= 48 * 1024


SPACE = Space(
    params=(
        Pow2("BM", 32, 256), Pow2("BN", 32, 256), Categorical("BK", (16, 32, 64)),
        Categorical("WARPS_M", (1, 2, 4)), Categorical("WARPS_N", (1, 2, 4)),
        Categorical("PAD", (8, 0)),
    ),
    constraints=(*mma_constraints(8), static_shared),
)


def plan(problem: Problem, config: Config, dtype: str) -> KernelBuild:
    return kernel_build(SOURCE, config, dtype, 32 * warps(config))


@variant(
    family="gemm",
    name="cuda_vectorized",
    language="cuda",
    space=SPACE,
    defaults=[{"BM": 128, "BN": 128, "BK": 32, "WARPS_M": 2, "WARPS_N": 2, "PAD": 8}],
    dtypes=DTYPES,
    requires=requirements((8, 0)),
    static_check=static_check(plan),
    sources=(SOURCE, COMMON_HEADER),
    order=4,
)
def build(problem: Problem, config: Config, inputs: Inputs) -> Launch:
    """Step 3 with the tile loads widened to 16 bytes (LDG.E.128: eight elements per
    instruction, an eighth of the load instructions) and each shared-memory row padded by
    PAD = 8 elements, which shifts consecutive rows by four banks so the 32 lanes reading
    an mma fragment hit 32 different banks instead of replaying (PAD = 0 keeps the
    conflicts, to measure them). Needs K and N multiples of 8 and 16-byte aligned tensors;
    other shapes are reported unsupported."""
    return launch_gemm("cuda_vectorized", plan, tile_grid, problem, config, inputs, vector=True)
