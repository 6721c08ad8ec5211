"""CUDA C++ ladder step 10 (sm_90a): persistent, L2-aware tile order, TMA store, clusters."""

from __future__ import annotations

from collections.abc import Mapping

from kernbench.backends.cuda import KernelBuild
from kernbench.family import Inputs
from kernbench.problem import Problem
from kernbench.space import Categorical, Config, Int, Space, Value
from kernbench.variant import Launch

from .cuda_ladder import ELEM_BYTES, SHARED_LIMIT, Grid, cdiv
from .cuda_wgmma_common import (
    ALIGN_SLACK,
    TILE_K,
    WS_THREADS,
    consumers_fit_registers,
    hopper_build,
    hopper_step,
    launch_hopper,
    sm_count,
)

SOURCE = "cuda_persistent.cu"


def shared_bytes(c: Mapping[str, Value]) -> int:
    """STAGES A and B tiles, the BM x BN output staging buffer, two mbarriers per stage."""
    bm, bn = int(c["BM"]), int(c["BN"])
    return int(c["STAGES"]) * ((bm + bn) * TILE_K * ELEM_BYTES + 16) + bm * bn * ELEM_BYTES


def fits_shared(c: Mapping[str, Value]) -> bool:
    """the stages, the output staging tile and 1 KB of alignment slack fit in 227 KB"""
    return shared_bytes(c) + ALIGN_SLACK <= SHARED_LIMIT


SPACE = Space(
    params=(
        Categorical("BM", (128, 256)),
        Categorical("BN", (128, 256)),
        Int("STAGES", 2, 5),
        Categorical("CLUSTER_M", (1, 2)),
        Categorical("GROUP_M", (1, 4, 8, 16)),
    ),
    constraints=(consumers_fit_registers, fits_shared),
)


def plan(problem: Problem, config: Config, dtype: str) -> KernelBuild:
    return hopper_build(SOURCE, config, dtype, WS_THREADS, shared_bytes(config))


def persistent_grid(sm_count: int) -> Grid:
    """As many clusters as the GPU holds at one block per SM, never more than there are tiles."""

    def grid(problem: Problem, config: Config) -> tuple[int, ...]:
        cm = int(config["CLUSTER_M"])
        tiles = cdiv(problem.int("m"), cm * int(config["BM"])) * cdiv(
            problem.int("n"), int(config["BN"])
        )
        return (min(tiles, sm_count // cm) * cm,)

    return grid


@hopper_step(
    order=10,
    space=SPACE,
    defaults=[{"BM": 128, "BN": 256, "STAGES": 3, "CLUSTER_M": 2, "GROUP_M": 8}],
    plan=plan,
    source=SOURCE,
)
def build(problem: Problem, config: Config, inputs: Inputs) -> Launch:
    """Step 9 launched one block per tile, so each block paid its prologue and epilogue with
    the tensor cores idle. Here one block per SM stays resident and walks the tiles in a
    grouped order (GROUP_M tile rows at a time: the tiles in flight share A rows and B
    columns, which then come from L2 rather than HBM); the producer prefetches the next
    tile while the consumers run the epilogue, which stages the result in swizzled shared
    memory and writes it with one TMA store per box. Pairs of blocks form a cluster
    (CLUSTER_M = 2) that takes vertically adjacent tiles: each loads half of the shared B
    tile and TMA multicasts it into both, halving B's L2 traffic. Needs K and N multiples of 8."""
    cm = int(config["CLUSTER_M"])
    return launch_hopper(
        "cuda_persistent",
        plan,
        persistent_grid(sm_count(inputs)),
        problem,
        config,
        inputs,
        a_rows=int(config["BM"]),
        out_box=(int(config["BM"]) // 2, 64),
        cluster=(cm, 1, 1),
    )
