"""What the Triton GEMM ladder shares: the K loop, tile orderings, the epilogue and the glue.

Every step keeps the same argument names (``a_ptr``, ``stride_am``, ..., ``alpha``, ``beta``)
so one table of arguments serves all kernels, both at launch (tensors) and in the static
check (pointer types). Operands are addressed through their strides, so row-major,
column-major and other strided views all work; the output is written through its strides.
fp32 operands go through ``tl.dot``'s default input precision, which is tf32 on NVIDIA GPUs.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import triton
import triton.language as tl

from kernbench.backends.triton import ArgValue, Plan, launcher, plan_resources
from kernbench.family import Inputs
from kernbench.problem import Problem
from kernbench.space import Categorical, Config, Int, Value
from kernbench.staticcheck import Resources, Target
from kernbench.variant import Launch, StaticCheck

MAX_ACC_REGISTERS = 128
"""fp32 accumulator registers per thread a config may ask for, leaving room for the rest."""

PIPELINE_PARAMS = (Int("num_stages", 2, 5), Categorical("num_warps", (4, 8)))
"""The launch options every step from 3 on tunes: pipelining depth and warps per program."""

LARGE_TILE_DEFAULTS: tuple[Config, Config] = (
    {"BLOCK_M": 128, "BLOCK_N": 256, "BLOCK_K": 64, "GROUP_M": 8, "num_stages": 3, "num_warps": 8},
    {"BLOCK_M": 128, "BLOCK_N": 128, "BLOCK_K": 64, "GROUP_M": 8, "num_stages": 4, "num_warps": 4},
)
"""Starting configs of the large-tile steps (3, 5, 6), so they are compared like for like."""


@triton.jit
def tile_coords(tile_id, M, N, BLOCK_M: tl.constexpr, BLOCK_N: tl.constexpr, GROUP_M: tl.constexpr):  # type: ignore[no-untyped-def]
    """Tile (row, column) of ``tile_id``; GROUP_M rows of tiles sweep the columns together."""
    grid_m = tl.cdiv(M, BLOCK_M)
    grid_n = tl.cdiv(N, BLOCK_N)
    per_group = GROUP_M * grid_n
    first_m = (tile_id // per_group) * GROUP_M
    rows = tl.minimum(grid_m - first_m, GROUP_M)
    pid_m = first_m + (tile_id % per_group) % rows
    pid_n = (tile_id % per_group) // rows
    return pid_m, pid_n


@triton.jit
def dot_tile(  # type: ignore[no-untyped-def]
    a_ptr,
    b_ptr,
    M,
    N,
    K,
    k_lo,
    k_hi,
    stride_am,
    stride_ak,
    stride_bk,
    stride_bn,
    offs_m,
    offs_n,
    BLOCK_K: tl.constexpr,
):
    """fp32 sum over k in [k_lo, k_hi) of A[offs_m, k] * B[k, offs_n]; out-of-range reads are 0."""
    offs_k = tl.arange(0, BLOCK_K)
    acc = tl.zeros((offs_m.shape[0], offs_n.shape[0]), dtype=tl.float32)
    for k0 in range(k_lo, k_hi, BLOCK_K):
        ks = k0 + offs_k
        k_ok = ks < k_hi
        a = tl.load(
            a_ptr + offs_m[:, None] * stride_am + ks[None, :] * stride_ak,
            mask=(offs_m[:, None] < M) & k_ok[None, :],
            other=0.0,
        )
        b = tl.load(
            b_ptr + ks[:, None] * stride_bk + offs_n[None, :] * stride_bn,
            mask=k_ok[:, None] & (offs_n[None, :] < N),
            other=0.0,
        )
        acc = tl.dot(a, b, acc)
    return acc


@triton.jit
def store_tile(  # type: ignore[no-untyped-def]
    acc,
    offs_m,
    offs_n,
    M,
    N,
    c_ptr,
    stride_cm,
    stride_cn,
    out_ptr,
    stride_om,
    stride_on,
    alpha,
    beta,
    HAS_C: tl.constexpr,
):
    """out = alpha * acc (+ beta * C), rounded to the output's dtype, inside the bounds only."""
    mask = (offs_m[:, None] < M) & (offs_n[None, :] < N)
    acc = acc * alpha
    if HAS_C:
        c = tl.load(
            c_ptr + offs_m[:, None] * stride_cm + offs_n[None, :] * stride_cn, mask=mask, other=0.0
        )
        acc += beta * c.to(tl.float32)
    tl.store(
        out_ptr + offs_m[:, None] * stride_om + offs_n[None, :] * stride_on,
        acc.to(out_ptr.dtype.element_ty),
        mask=mask,
    )


@triton.jit
def gemm_tile(  # type: ignore[no-untyped-def]
    pid_m,
    pid_n,
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
    stride_cn,
    stride_om,
    stride_on,
    alpha,
    beta,
    BLOCK_M: tl.constexpr,
    BLOCK_N: tl.constexpr,
    BLOCK_K: tl.constexpr,
    HAS_C: tl.constexpr,
):
    """Output tile (pid_m, pid_n) start to finish: the whole K loop, then the epilogue.

    Steps 1, 2 and 5 differ only in which tile a program computes, so they share this body.
    """
    offs_m = pid_m * BLOCK_M + tl.arange(0, BLOCK_M)
    offs_n = pid_n * BLOCK_N + tl.arange(0, BLOCK_N)
    acc = dot_tile(
        a_ptr,
        b_ptr,
        M,
        N,
        K,
        0,
        K,
        stride_am,
        stride_ak,
        stride_bk,
        stride_bn,
        offs_m,
        offs_n,
        BLOCK_K,
    )
    store_tile(
        acc,
        offs_m,
        offs_n,
        M,
        N,
        c_ptr,
        stride_cm,
        stride_cn,
        out_ptr,
        stride_om,
        stride_on,
        alpha,
        beta,
        HAS_C,
    )


def _strides(rows: int, cols: int, layout: Value) -> tuple[int, int]:
    return (1, rows) if layout == "col" else (cols, 1)


def has_c(problem: Problem) -> bool:
    """A nonzero beta: the epilogue reads C."""
    return float(problem["beta"]) != 0.0


def shared_args(problem: Problem, dtype: str, inputs: Inputs | None = None) -> dict[str, ArgValue]:
    """Arguments common to the ladder: tensors from ``inputs``, else the types the problem implies."""
    m, n, k = problem.int("m"), problem.int("n"), problem.int("k")
    if inputs is None:
        ptr = "*" + dtype
        a, b, c, out = ptr, ptr, ptr, ptr
        sa = _strides(m, k, problem["layout_a"])
        sb = _strides(k, n, problem["layout_b"])
        so = sc = (n, 1)
    else:
        a, b, out = inputs["a"], inputs["b"], inputs["out"]
        c = inputs["c"] if has_c(problem) else out
        sa, sb, sc, so = a.stride(), b.stride(), c.stride(), out.stride()
    return {
        "a_ptr": a,
        "b_ptr": b,
        "c_ptr": c,
        "out_ptr": out,
        "M": m,
        "N": n,
        "K": k,
        "stride_am": sa[0],
        "stride_ak": sa[1],
        "stride_bk": sb[0],
        "stride_bn": sb[1],
        "stride_cm": sc[0],
        "stride_cn": sc[1],
        "stride_om": so[0],
        "stride_on": so[1],
        "alpha": float(problem["alpha"]),
        "beta": float(problem["beta"]),
    }


def blocks(config: Mapping[str, Value]) -> dict[str, Value]:
    """The tile sizes of a config, as the kernels' constexpr names."""
    return {k: config[k] for k in ("BLOCK_M", "BLOCK_N", "BLOCK_K")}


def grouped_constexprs(problem: Problem, config: Mapping[str, Value]) -> dict[str, Value]:
    """Constexprs of the kernels that compute whole tiles in grouped order (steps 2-6)."""
    return {**blocks(config), "GROUP_M": config["GROUP_M"], "HAS_C": has_c(problem)}


def acc_fits(config: Mapping[str, Value]) -> bool:
    """The fp32 accumulator tile needs at most 128 registers per thread."""
    warps = int(config.get("num_warps", 4))
    return int(config["BLOCK_M"]) * int(config["BLOCK_N"]) <= MAX_ACC_REGISTERS * 32 * warps


def build_with(
    plan: Plan,
    problem: Problem,
    config: Config,
    inputs: Inputs,
    extra: Mapping[str, ArgValue] | None = None,
) -> Launch:
    """The launch of a plan on real tensors (``extra``: buffers the variant allocates)."""
    shared = {**shared_args(problem, "", inputs), **(extra or {})}
    return launcher(plan(problem, config, shared), shared)


def static_check_of(plan: Plan, extra: Mapping[str, ArgValue] | None = None) -> StaticCheck:
    """A variant's ``static_check``: compile every call of ``plan`` for the target.

    ``extra`` types the variant's own buffers, e.g. ``{"ws_ptr": "*fp32"}``.
    """

    def check(problem: Problem, config: Config, dtype: str, target: Target) -> list[Resources]:
        shared = {**shared_args(problem, dtype), **(extra or {})}
        return plan_resources(plan, problem, config, shared, target)

    return check


def grid_1d(count: int) -> tuple[int]:
    return (max(1, count),)


def tiles(problem: Problem, config: Mapping[str, Value]) -> int:
    return triton.cdiv(problem.int("m"), int(config["BLOCK_M"])) * triton.cdiv(
        problem.int("n"), int(config["BLOCK_N"])
    )


def persistent_programs(
    problem: Problem, config: Mapping[str, Value], args: Mapping[str, ArgValue], per_sm: int = 1
) -> int:
    """Grid of a persistent kernel: ``per_sm`` programs per SM, never more than there are tiles."""
    return min(tiles(problem, config), sm_count(args["a_ptr"]) * per_sm)


def sm_count(tensor: Any) -> int:
    """Streaming multiprocessors of the tensor's GPU; a small fixed count on the CPU."""
    if getattr(tensor, "is_cuda", False):
        import torch

        return int(torch.cuda.get_device_properties(tensor.device).multi_processor_count)
    return 4
