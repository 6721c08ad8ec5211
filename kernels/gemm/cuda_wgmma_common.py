"""What the Hopper steps of the CUDA GEMM ladder (8-10) share: sm_90a builds, TMA tensor maps
and the launch with tensor maps (and clusters) as arguments.

Every Hopper kernel takes ``(map_a, map_b, [map_out,] Out, C, M, N, K, alpha, beta)`` over
row-major matrices: A is read in boxes of ``rows x 64`` (K-major), B in boxes of ``64 x 64``
(N-major), both with the 128-byte swizzle wgmma's descriptors expect.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from kernbench.backends.cuda import KernelBuild, Plan, requirements
from kernbench.family import Inputs
from kernbench.problem import Problem
from kernbench.space import Config, Space, Value
from kernbench.variant import Build, Launch, Unsupported, Variant

from .cuda_ladder import (
    COMMON_HEADER,
    SHARED_LIMIT,
    Grid,
    kernel_build,
    ladder_step,
    output_args,
    prepare,
)

ARCH = "sm_90a"
OPS_HEADER = "cuda_wgmma_ops.cuh"
SOURCES = (COMMON_HEADER, OPS_HEADER)
TILE_K = 64
"""One 128-byte swizzle row of 16-bit elements: the k extent of every TMA box."""
ALIGN_SLACK = 1024
"""Dynamic shared memory is over-allocated by this much so tiles can start 1024-aligned."""
WS_THREADS = 384
"""Steps 9 and 10: one producer and two consumer warpgroups."""


def accumulators(c: Mapping[str, Value], rows_per_warpgroup: int) -> int:
    """fp32 accumulators per thread of one consumer warpgroup: 64-row wgmma tiles, BN/2 each."""
    return rows_per_warpgroup // 64 * int(c["BN"]) // 2


def consumers_fit_registers(c: Mapping[str, Value]) -> bool:
    """each consumer's fp32 accumulators (BM/2 rows x BN) fit in 232 registers: BM/128 * BN/2 <= 128"""
    return accumulators(c, int(c["BM"]) // 2) <= 128


def hopper_build(source: str, config: Config, dtype: str, threads: int, shared: int) -> KernelBuild:
    """The kernel build, with the alignment slack added to the dynamic shared memory."""
    return kernel_build(source, config, dtype, threads, shared + ALIGN_SLACK)


def hopper_step(
    *, order: int, space: Space, defaults: Sequence[Mapping[str, Value]], plan: Plan, source: str
) -> Callable[[Build], Variant]:
    """The ``@variant`` of a Hopper step: compute capability 9.0, compiled for sm_90a whatever
    the target says (these kernels exist only there)."""
    return ladder_step(
        order=order,
        space=space,
        defaults=defaults,
        plan=plan,
        sources=(source, *SOURCES),
        requires=requirements((9, 0)),
        arch=ARCH,
    )


def _emulated() -> Any:
    from kernbench.device import active

    device = active()
    return device if device is not None and device.is_emulated else None


def compute_capability(inputs: Inputs) -> tuple[int, int]:
    """The compute capability the launch runs on: the emulated device's, else the GPU's."""
    device = _emulated()
    if device is not None:
        major, minor = device.compute_capability
    else:
        import torch

        major, minor = torch.cuda.get_device_capability(inputs["out"].device)
    return int(major), int(minor)


EMULATED_SM_COUNT = 132
"""SMs the emulated sm_90a device reports to persistent kernels (an H100 SXM's)."""


def sm_count(inputs: Inputs) -> int:
    """Multiprocessors of the device the launch runs on (persistent grids size to it)."""
    device = _emulated()
    if device is not None:
        return int(device.sm_count or EMULATED_SM_COUNT)
    import torch

    return int(torch.cuda.get_device_properties(inputs["out"].device).multi_processor_count)


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
    from kernbench.backends.cuda_launch import load
    from kernbench.backends.cuda_tensormap import encode_tiled_2d

    blocks, build = prepare(name, plan, grid, problem, config, inputs, vector=True)
    if compute_capability(inputs) != (9, 0):
        raise Unsupported(
            f"{name} uses sm_90a instructions (wgmma, TMA): compute capability 9.0 only"
        )
    if build.dynamic_shared > SHARED_LIMIT:
        raise Unsupported(f"{name}: {build.dynamic_shared} B of shared memory > {SHARED_LIMIT} B")
    kernel = load(build, arch=ARCH)
    maps = [encode_tiled_2d(inputs["a"], a_rows, TILE_K), encode_tiled_2d(inputs["b"], TILE_K, 64)]
    if out_box is not None:
        maps.append(encode_tiled_2d(inputs["out"], out_box[0], out_box[1], swizzle="128B"))
    return kernel.launcher(
        blocks, build.threads, (*maps, *output_args(problem, inputs)), cluster=cluster
    )
