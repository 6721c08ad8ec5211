"""CUTLASS 2.x tensor-core GEMM (mma.sync, cp.async): the baseline of the mma.sync steps."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from kernbench.backends import nvcc_lib
from kernbench.family import Inputs
from kernbench.problem import Problem
from kernbench.space import Config, Int, Pow2, Space, Value
from kernbench.staticcheck import Resources, Target
from kernbench.variant import Launch, Requirements, variant

from . import cutlass_common as common

SOURCE = Path(__file__).with_name("cutlass_sm80.cu")
SHARED_LIMIT = 227 * 1024


def warps_4_or_8(c: Mapping[str, Value]) -> bool:
    """4 or 8 warps per threadblock (tile/warp-tile ratio), the counts CUTLASS's generator emits for sm80 16-bit GEMMs"""
    warps = (int(c["tile_m"]) // int(c["warp_m"])) * (int(c["tile_n"]) // int(c["warp_n"]))
    return warps in (4, 8)


def warp_inside_tile(c: Mapping[str, Value]) -> bool:
    """the warp tile must not exceed the threadblock tile"""
    return int(c["warp_m"]) <= int(c["tile_m"]) and int(c["warp_n"]) <= int(c["tile_n"])


def stages_fit_shared(c: Mapping[str, Value]) -> bool:
    """all pipeline stages of the A and B tiles (16-bit) must fit in 227 KB of shared memory"""
    per_stage = (int(c["tile_m"]) + int(c["tile_n"])) * int(c["tile_k"]) * 2
    return int(c["stages"]) * per_stage <= SHARED_LIMIT


SPACE = Space(
    params=(
        Pow2("tile_m", 64, 256),
        Pow2("tile_n", 64, 256),
        Pow2("tile_k", 32, 64),
        Pow2("warp_m", 32, 64),
        Pow2("warp_n", 32, 64),
        Int("stages", 3, 5),
        Pow2("swizzle", 1, 8),
    ),
    constraints=(warp_inside_tile, warps_4_or_8, stages_fit_shared),
)

DEFAULTS = [
    {
        "tile_m": 128,
        "tile_n": 256,
        "tile_k": 32,
        "warp_m": 64,
        "warp_n": 64,
        "stages": 3,
        "swizzle": 4,
    },
]


def target_arch(target: Target | None = None) -> str:
    """SASS for the GPU at hand (an sm_80 kernel compiled for sm_90 keeps its mma.sync code)."""
    if target is not None:
        return target.arch if target.arch.startswith("sm_") else "sm_90"
    import torch

    major, minor = torch.cuda.get_device_capability()
    return f"sm_{major}{minor}"


def library(problem: Problem, config: Mapping[str, Value], dtype: str, arch: str) -> nvcc_lib.Built:
    defines = {
        **common.operand_defines(problem, dtype),
        "KB_TILE_M": str(config["tile_m"]),
        "KB_TILE_N": str(config["tile_n"]),
        "KB_TILE_K": str(config["tile_k"]),
        "KB_WARP_M": str(config["warp_m"]),
        "KB_WARP_N": str(config["warp_n"]),
        "KB_STAGES": str(config["stages"]),
        "KB_SWIZZLE": str(config["swizzle"]),
    }
    label = "cutlass_sm80 " + " ".join(f"{k}={v}" for k, v in config.items()) + f" {dtype}"
    return common.build_library(SOURCE, arch, defines, label)


def static_check(
    problem: Problem, config: Config, dtype: str, target: Target
) -> Sequence[Resources]:
    """Build for the target (cached) and report registers, shared memory and spills."""
    return common.resources(library(problem, config, dtype, target_arch(target)), "cutlass_sm80")


@variant(
    family="gemm",
    name="cutlass_sm80",
    language="cutlass",
    space=SPACE,
    defaults=DEFAULTS,
    baseline=True,
    label="CUTLASS sm80",
    requires=Requirements(
        devices=frozenset({"cuda"}), min_compute_capability=(8, 0), probe=common.probe
    ),
    dtypes=("fp16", "bf16"),
    static_check=static_check,
    sources=("cutlass_sm80.cu", "cutlass_api.cuh"),
)
def build(problem: Problem, config: Config, inputs: Inputs) -> Launch:
    """CUTLASS 2.x ``device::Gemm`` on tensor cores with ``mma.sync`` m16n8k16, a cp.async
    multistage pipeline, ldmatrix fragment loads and a threadblock swizzle: everything steps
    1-7 of the CUDA ladder build by hand, so it is the yardstick of those steps."""
    built = library(problem, config, common.dtype_of(inputs), target_arch())
    return common.gemm_launch(built, problem, inputs)
