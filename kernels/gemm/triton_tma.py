"""Ladder step 6: TMA loads and stores through tensor descriptors (Hopper), persistent."""

from __future__ import annotations

import inspect
from collections.abc import Mapping
from typing import Any

import triton
import triton.language as tl

from kernbench.backends.triton import ArgValue, KernelCall, launch_options
from kernbench.family import Inputs
from kernbench.problem import Problem
from kernbench.space import Categorical, Config, Pow2, Space, Value
from kernbench.variant import Launch, Requirements, Unsupported, variant

from .triton_common import (
    LARGE_TILE_DEFAULTS,
    PIPELINE_PARAMS,
    acc_fits,
    build_with,
    grouped_constexprs,
    persistent_programs,
    static_check_of,
    tile_coords,
)

HAS_WARP_SPECIALIZE = "warp_specialize" in inspect.signature(tl.range).parameters
"""``tl.range(..., warp_specialize=True)`` exists in this Triton (3.4 and later)."""


@triton.jit
def _tma_step(a_desc, b_desc, acc, k, off_m, off_n, A_COL: tl.constexpr, B_COL: tl.constexpr):  # type: ignore[no-untyped-def]
    """One K step: a TMA copy per operand (transposed views for column-major), then the MMA."""
    a = a_desc.load([k, off_m]).T if A_COL else a_desc.load([off_m, k])
    b = b_desc.load([off_n, k]).T if B_COL else b_desc.load([k, off_n])
    return tl.dot(a, b, acc)


@triton.jit
def gemm_tma_kernel(  # type: ignore[no-untyped-def]
    a_ptr,
    b_ptr,
    c_ptr,
    out_ptr,
    M,
    N,
    K,
    stride_am,
    stride_ak,
    stride_bk,
    stride_bn,
    stride_cm,
    stride_om,
    alpha,
    beta,
    num_programs,
    BLOCK_M: tl.constexpr,
    BLOCK_N: tl.constexpr,
    BLOCK_K: tl.constexpr,
    GROUP_M: tl.constexpr,
    A_COL: tl.constexpr,
    B_COL: tl.constexpr,
    HAS_C: tl.constexpr,
    WARP_SPECIALIZE: tl.constexpr,
):
    # A column-major operand is the row-major transpose: describe that and transpose the tile.
    if A_COL:
        a_desc = tl.make_tensor_descriptor(a_ptr, [K, M], [stride_ak, 1], [BLOCK_K, BLOCK_M])
    else:
        a_desc = tl.make_tensor_descriptor(a_ptr, [M, K], [stride_am, 1], [BLOCK_M, BLOCK_K])
    if B_COL:
        b_desc = tl.make_tensor_descriptor(b_ptr, [N, K], [stride_bn, 1], [BLOCK_N, BLOCK_K])
    else:
        b_desc = tl.make_tensor_descriptor(b_ptr, [K, N], [stride_bk, 1], [BLOCK_K, BLOCK_N])
    out_desc = tl.make_tensor_descriptor(out_ptr, [M, N], [stride_om, 1], [BLOCK_M, BLOCK_N])
    c_desc = tl.make_tensor_descriptor(c_ptr, [M, N], [stride_cm, 1], [BLOCK_M, BLOCK_N])
    k_tiles = tl.cdiv(K, BLOCK_K)
    num_tiles = tl.cdiv(M, BLOCK_M) * tl.cdiv(N, BLOCK_N)
    for tile_id in range(tl.program_id(0), num_tiles, num_programs):
        pid_m, pid_n = tile_coords(tile_id, M, N, BLOCK_M, BLOCK_N, GROUP_M)
        off_m = pid_m * BLOCK_M
        off_n = pid_n * BLOCK_N
        acc = tl.zeros((BLOCK_M, BLOCK_N), dtype=tl.float32)
        if WARP_SPECIALIZE:  # a static branch: older Triton never sees the keyword
            for kt in tl.range(0, k_tiles, warp_specialize=True):
                acc = _tma_step(a_desc, b_desc, acc, kt * BLOCK_K, off_m, off_n, A_COL, B_COL)
        else:
            for kt in range(0, k_tiles):
                acc = _tma_step(a_desc, b_desc, acc, kt * BLOCK_K, off_m, off_n, A_COL, B_COL)
        acc = acc * alpha
        if HAS_C:
            acc += beta * c_desc.load([off_m, off_n]).to(tl.float32)
        out_desc.store([off_m, off_n], acc.to(out_ptr.dtype.element_ty))


def _probe() -> str | None:
    if not hasattr(tl, "make_tensor_descriptor") or not hasattr(triton, "set_allocator"):
        return (
            f"triton {triton.__version__} has no tl.make_tensor_descriptor / triton.set_allocator"
        )
    return None


def _space() -> Space:
    params = [
        Pow2("BLOCK_M", 64, 256),
        Pow2("BLOCK_N", 64, 256),
        Pow2("BLOCK_K", 32, 128),
        Pow2("GROUP_M", 1, 16),
        *PIPELINE_PARAMS,
    ]
    if HAS_WARP_SPECIALIZE:
        params.append(Categorical("WARP_SPECIALIZE", (False, True)))
    return Space(params=tuple(params), constraints=(acc_fits,))


def _with_ws(config: Config) -> Config:
    """A default config, with warp specialisation off where the parameter exists."""
    return {**config, "WARP_SPECIALIZE": False} if HAS_WARP_SPECIALIZE else config


def _layouts(args: Mapping[str, ArgValue]) -> dict[str, Value]:
    """Which operands are stored column-major, read from the strides actually passed."""
    return {"A_COL": args["stride_ak"] != 1, "B_COL": args["stride_bn"] != 1}


def plan(
    problem: Problem, config: Mapping[str, Value], args: Mapping[str, ArgValue]
) -> list[KernelCall]:
    """Persistent grid (one program per SM); descriptors are built on the device per program."""
    programs = persistent_programs(problem, config, args)
    return [
        KernelCall(
            gemm_tma_kernel,
            (programs,),
            {
                **grouped_constexprs(problem, config),
                "WARP_SPECIALIZE": bool(config.get("WARP_SPECIALIZE", False)),
                **_layouts(args),
            },
            **launch_options(config),
            args={"num_programs": programs},
        )
    ]


def check_operands(inputs: Inputs) -> None:
    """TMA needs one unit stride per 2-D operand and 16-byte aligned bases and row pitches."""
    for name in ("a", "b", "out", "c"):
        t = inputs.get(name)
        if t is None:
            continue
        size = t.element_size()
        strides = t.stride()
        if 1 not in strides:
            raise Unsupported(f"triton_tma: operand {name} has no unit stride (strides {strides})")
        pitch = max(strides) * size
        if pitch % 16 or t.data_ptr() % 16:
            raise Unsupported(
                f"triton_tma: operand {name} rows are not 16-byte aligned "
                f"(row pitch {pitch} B): TMA descriptors need that"
            )
        if name in ("out", "c") and strides[1] != 1:
            raise Unsupported(f"triton_tma: {name} must be row-major")


def _allocator(size: int, alignment: int, stream: Any) -> Any:
    """Global scratch for the descriptors the kernel builds on the device."""
    import torch

    return torch.empty(size, device="cuda", dtype=torch.int8)


@variant(
    family="gemm",
    name="triton_tma",
    language="triton",
    space=_space(),
    defaults=[_with_ws(config) for config in LARGE_TILE_DEFAULTS],
    requires=Requirements(devices=frozenset({"cuda"}), min_compute_capability=(9, 0), probe=_probe),
    static_check=static_check_of(plan),
    sources=["triton_common.py"],
    order=6,
)
def build(problem: Problem, config: Config, inputs: Inputs) -> Launch:
    """Step 5's persistent kernel with operand tiles fetched by the Tensor Memory
    Accelerator: the kernel describes A, B and C once as tensor descriptors and each K step
    is one bulk asynchronous copy per operand instead of per-thread address arithmetic and
    masked loads; bounds are handled by the hardware, and the output tile is written back
    by a TMA store. This frees registers and issue slots for the wgmma tensor-core
    instructions. Where the installed Triton has it, WARP_SPECIALIZE splits the K loop into
    producer (TMA) and consumer (MMA) warps. Needs Hopper (sm_90) and 16-byte aligned rows."""
    check_operands(inputs)
    triton.set_allocator(_allocator)
    return build_with(plan, problem, config, inputs)
