"""What the Hopper steps of the CUDA GEMM ladder (8-10) share: sm_90a builds, TMA tensor maps
and the launch with tensor maps (and clusters) as arguments.

Every Hopper kernel takes ``(map_a, map_b, [map_out,] Out, C, M, N, K, alpha, beta)`` over
row-major matrices: A is read in boxes of ``rows x 64`` (K-major), B in boxes of ``64 x 64``
(N-major), both with the 128-byte swizzle wgmma's descriptors expect.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from kernbench.backends.cuda import KernelBuild, requirements
from kernbench.backends.cuda import static_check as cuda_static_check
from kernbench.family import Inputs
from kernbench.problem import Problem
from kernbench.space import Config, Value
from kernbench.variant import Launch, Requirements, StaticCheck, Unsupported

from .cuda_ladder import COMMON_HEADER, check_inputs, kernel_build

ARCH = "sm_90a"
OPS_HEADER = "cuda_wgmma_ops.cuh"
SOURCES = (COMMON_HEADER, OPS_HEADER)
TILE_K = 64
"""One 128-byte swizzle row of 16-bit elements: the k extent of every TMA box."""
SHARED_LIMIT = 227 * 1024
ALIGN_SLACK = 1024
"""Dynamic shared memory is over-allocated by this much so tiles can start 1024-aligned."""

Plan = Callable[[Problem, Config, str], KernelBuild]
Grid = Callable[[Problem, Config], tuple[int, ...]]


def accumulators(c: Mapping[str, Value], rows_per_warpgroup: int) -> int:
    """fp32 accumulators per thread of one consumer warpgroup: 64-row wgmma tiles, BN/2 each."""
    return rows_per_warpgroup // 64 * int(c["BN"]) // 2


def hopper_build(source: str, config: Config, dtype: str, threads: int, shared: int) -> KernelBuild:
    """The kernel build, with the alignment slack added to the dynamic shared memory."""
    return kernel_build(source, config, dtype, threads, shared + ALIGN_SLACK)


def hopper_requirements() -> Requirements:
    return requirements((9, 0))


def hopper_static_check(plan: Plan) -> StaticCheck:
    """Compile for sm_90a whatever the target says: these kernels exist only there."""
    return cuda_static_check(plan, ARCH)


def launch_hopper(
    name: str,
    plan: Plan,
    grid: Grid,
    problem: Problem,
    config: Config,
    inputs: Inputs,
    *,
    a_rows: int,
    out_box: tuple[int, int] | None = None,
    cluster: Sequence[int] | None = None,
) -> Launch:
    """Check the inputs, compile for sm_90a (cached), encode the tensor maps and return the launch.

    ``a_rows`` is the height of one A box; ``out_box`` (rows, cols) adds a tensor map of the
    output for TMA stores, written as ``map_out`` after ``map_b``.
    """
    import torch

    from kernbench.backends.cuda_launch import Kernel
    from kernbench.backends.cuda_tensormap import encode_tiled_2d

    check_inputs(problem, inputs, name, vector=True)
    a, b, out = inputs["a"], inputs["b"], inputs["out"]
    capability = torch.cuda.get_device_capability(out.device)
    if capability != (9, 0):
        raise Unsupported(f"{name} uses sm_90a instructions (wgmma, TMA): compute capability 9.0 only")
    dtype = {torch.float16: "fp16", torch.bfloat16: "bf16"}.get(a.dtype)
    if dtype is None:
        raise Unsupported(f"{name} computes fp16 and bf16 only (got {a.dtype})")
    blocks = grid(problem, config)
    if any(d > 65535 for d in blocks[1:]):
        raise Unsupported(f"{name}: grid {blocks} exceeds the CUDA grid limits")
    build = plan(problem, config, dtype)
    if build.dynamic_shared > SHARED_LIMIT:
        raise Unsupported(f"{name}: {build.dynamic_shared} B of shared memory > {SHARED_LIMIT} B")
    kernel = Kernel(build.compile(ARCH), build.kernel, build.dynamic_shared)
    maps = [encode_tiled_2d(a, a_rows, TILE_K), encode_tiled_2d(b, TILE_K, 64)]
    if out_box is not None:
        maps.append(encode_tiled_2d(out, out_box[0], out_box[1], swizzle="128B"))
    beta = float(inputs["beta"])
    args = (
        *maps, out, inputs.get("c") if beta != 0.0 else None,
        problem.int("m"), problem.int("n"), problem.int("k"), float(inputs["alpha"]), beta,
    )
    return kernel.launcher(blocks, build.threads, args, cluster=cluster)
