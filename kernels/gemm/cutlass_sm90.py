"""CUTLASS 3.x Hopper GEMM (sm_90a): the baseline of the wgmma steps, tuned like any variant."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from kernbench.backends import nvcc_lib
from kernbench.family import Inputs
from kernbench.problem import Problem
from kernbench.space import Categorical, Config, Pow2, Space, Value
from kernbench.staticcheck import Resources, Target
from kernbench.variant import Launch, Requirements, Unsupported, variant

from . import cutlass_common as common

SOURCE = Path(__file__).with_name("cutlass_sm90.cu")
ARCH = "sm_90a"
COMPILE_TIME = ("schedule", "tile_m", "tile_n", "cluster", "scheduler")
"""Parameters that select the kernel (one library each); the rest are runtime arguments."""
RASTER = {"heuristic": 0, "m": 1, "n": 2}


def _mma_threads(c: Mapping[str, Value]) -> int:
    return 256 if c["schedule"] == "cooperative" else 128


def cooperative_tile_m(c: Mapping[str, Value]) -> bool:
    """cooperative splits tile M between two consumer warpgroups of 64 rows: tile_m >= 128 (CUTLASS static_assert)"""
    return c["schedule"] != "cooperative" or int(c["tile_m"]) >= 128


def pingpong_persistent(c: Mapping[str, Value]) -> bool:
    """ping-pong runs only with the persistent scheduler (CUTLASS static_assert: no stream-K)"""
    return c["schedule"] != "pingpong" or c["scheduler"] == "persistent"


def accumulators_fit(c: Mapping[str, Value]) -> bool:
    """the fp32 accumulators must fit in registers: tile_m*tile_n / MMA threads <= 128 per thread (256 MMA threads cooperative, 128 ping-pong)"""
    return int(c["tile_m"]) * int(c["tile_n"]) // _mma_threads(c) <= 128


SPACE = Space(
    params=(
        Categorical("schedule", ("cooperative", "pingpong")),
        Pow2("tile_m", 64, 256),
        Pow2("tile_n", 64, 256),
        Categorical("cluster", ("1x1", "2x1", "1x2", "2x2")),
        Categorical("scheduler", ("persistent", "streamk")),
        Pow2("swizzle", 1, 8),
        Categorical("raster", tuple(RASTER)),
    ),
    constraints=(cooperative_tile_m, pingpong_persistent, accumulators_fit),
)

DEFAULTS = [
    {
        "schedule": "cooperative",
        "tile_m": 128,
        "tile_n": 256,
        "cluster": "2x1",
        "scheduler": "persistent",
        "swizzle": 1,
        "raster": "heuristic",
    },
]


def compile_defines(config: Mapping[str, Value]) -> dict[str, str]:
    """The macros of ``cutlass_sm90.cu`` for the compile-time part of a config."""
    cm, cn = str(config["cluster"]).split("x")
    return {
        "KB_TILE_M": str(config["tile_m"]),
        "KB_TILE_N": str(config["tile_n"]),
        "KB_TILE_K": "64",
        "KB_CLUSTER_M": cm,
        "KB_CLUSTER_N": cn,
        "KB_SCHEDULE": "0" if config["schedule"] == "cooperative" else "1",
        "KB_STREAMK": "1" if config["scheduler"] == "streamk" else "0",
    }


def library(problem: Problem, config: Mapping[str, Value], dtype: str) -> nvcc_lib.Built:
    defines = {**common.operand_defines(problem, dtype), **compile_defines(config)}
    label = "cutlass_sm90 " + " ".join(f"{k}={config[k]}" for k in COMPILE_TIME) + f" {dtype}"
    return common.build_library(SOURCE, ARCH, defines, label)


def static_check(
    problem: Problem, config: Config, dtype: str, target: Target
) -> Sequence[Resources]:
    """Build the library (cached; the worker's build is then a cache hit) and report resources."""
    return common.resources(library(problem, config, dtype), "cutlass_sm90")


@variant(
    family="gemm",
    name="cutlass_sm90",
    language="cutlass",
    space=SPACE,
    defaults=DEFAULTS,
    baseline=True,
    label="CUTLASS sm90",
    requires=Requirements(
        devices=frozenset({"cuda"}), min_compute_capability=(9, 0), probe=common.probe
    ),
    dtypes=("fp16", "bf16"),
    static_check=static_check,
    sources=("cutlass_sm90.cu", "cutlass_api.cuh"),
)
def build(problem: Problem, config: Config, inputs: Inputs) -> Launch:
    """CUTLASS 3.x sm_90a GEMM from the collective builder: TMA loads into a multistage
    mbarrier pipeline, wgmma from warp-specialised consumer warpgroups (cooperative: two
    warpgroups share one tile; ping-pong: they alternate tiles so one's epilogue hides under
    the other's mainloop), thread-block clusters with TMA multicast, a TMA-store epilogue
    and a persistent or stream-K tile scheduler with a runtime swizzle and raster order.
    The best config for a shape is the yardstick of the Hopper steps of the CUDA ladder."""
    import torch

    capability = torch.cuda.get_device_capability(inputs["out"].device)
    if capability != (9, 0):
        raise Unsupported(f"sm_90a kernels run on compute capability 9.0 only, not {capability}")
    built = library(problem, config, common.dtype_of(inputs))
    return common.gemm_launch(
        built, problem, inputs, swizzle=int(config["swizzle"]), raster=RASTER[str(config["raster"])]
    )
