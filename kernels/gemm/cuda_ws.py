"""CUDA C++ ladder step 9 (sm_90a): an mbarrier ring of stages with warp specialisation."""

from __future__ import annotations

from collections.abc import Mapping

from kernbench.backends.cuda import KernelBuild
from kernbench.family import Inputs
from kernbench.problem import Problem
from kernbench.space import Categorical, Config, Int, Space, Value
from kernbench.variant import Launch

from .cuda_ladder import ELEM_BYTES, SHARED_LIMIT, tile_grid
from .cuda_wgmma_common import (
    ALIGN_SLACK,
    TILE_K,
    WS_THREADS,
    consumers_fit_registers,
    hopper_build,
    hopper_step,
    launch_hopper,
)

SOURCE = "cuda_ws.cu"


def shared_bytes(c: Mapping[str, Value]) -> int:
    """STAGES A and B tiles and two mbarriers per stage."""
    return int(c["STAGES"]) * ((int(c["BM"]) + int(c["BN"])) * TILE_K * ELEM_BYTES + 16)


def fits_shared(c: Mapping[str, Value]) -> bool:
    """STAGES A and B tiles (plus 1 KB of alignment slack) fit in 227 KB of shared memory"""
    return shared_bytes(c) + ALIGN_SLACK <= SHARED_LIMIT


SPACE = Space(
    params=(Categorical("BM", (128, 256)), Categorical("BN", (64, 128, 256)), Int("STAGES", 2, 6)),
    constraints=(consumers_fit_registers, fits_shared),
)


def plan(problem: Problem, config: Config, dtype: str) -> KernelBuild:
    return hopper_build(SOURCE, config, dtype, WS_THREADS, shared_bytes(config))


@hopper_step(
    order=9, space=SPACE, defaults=[{"BM": 128, "BN": 256, "STAGES": 4}], plan=plan, source=SOURCE
)
def build(problem: Problem, config: Config, inputs: Inputs) -> Launch:
    """Step 8's warpgroup waited for every tile. Here warps specialise: a producer warpgroup
    (one thread issuing TMA) runs up to STAGES k-tiles ahead through a ring of shared-memory
    buffers, each guarded by two mbarriers (`full`: the bytes have landed; `empty`: both
    consumers are done with it), while two consumer warpgroups each run wgmma on half of a
    BM x BN tile, keeping one k-tile's wgmmas in flight while they issue the next (a stage is
    released once the group reading it retired). Loads hide behind math, a tile twice as
    wide (BN 256 against step 8's 128) halves the A traffic per FLOP, and setmaxnreg hands
    the producer's unused registers to the consumers so a 128 x 256 tile's accumulators
    fit. Needs K and N multiples of 8."""
    return launch_hopper(
        "cuda_ws", plan, tile_grid, problem, config, inputs, a_rows=int(config["BM"])
    )
