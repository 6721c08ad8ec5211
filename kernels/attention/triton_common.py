"""Triton building blocks the paged-attention variants share (this module is not a variant).

``attend_tokens`` is the one online-softmax loop over a token range of one block table;
``partial_kernel`` writes unnormalised split results and ``lse_reduce_kernel`` merges them by
log-sum-exp. The host helpers turn a problem and a config into launch arguments.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import torch
import triton
import triton.language as tl

from kernbench.backends.triton import (
    ArgValue,
    KernelCall,
    Plan,
    launch_options,
    launcher,
    plan_resources,
)
from kernbench.family import Inputs
from kernbench.problem import Problem
from kernbench.space import Categorical, Config, Pow2, Value
from kernbench.staticcheck import Resources, Target
from kernbench.variant import Launch, StaticCheck, Unsupported

from .cache import context_lengths, suffix_lengths
from .family import PAGED_ATTENTION

LOG2E = 1.4426950408889634
H100_SMS = 132
"""SM count assumed where there is no GPU to ask (the static check targets an H100)."""
SPLITS = Categorical("NUM_SPLITS", (0, 1, 2, 4, 8, 16, 32, 64))
"""KV splits per sequence; 0 lets :func:`heuristic_splits` choose from lengths and SM count."""
COMMON_PARAMS = (
    Pow2("BLOCK_N", 16, 256),
    Categorical("BLOCK_H", (0, 1, 2, 4, 8, 16)),
    Categorical("num_warps", (1, 2, 4, 8)),
    Categorical("num_stages", (1, 2, 3, 4)),
)
"""Tokens per iteration, query heads per program (0 = the whole GQA group), warps, stages."""


def warps_have_tokens(c: Mapping[str, Value]) -> bool:
    """BLOCK_N must give every warp at least 4 tokens"""
    return int(c["BLOCK_N"]) >= 4 * int(c["num_warps"])


@triton.jit
def attend_tokens(  # type: ignore[no-untyped-def]
    q,
    k_ptr,
    v_ptr,
    table_ptr,
    kv_head,
    start,
    end,
    qk_scale,
    stride_kb,
    stride_kt,
    stride_kh,
    stride_vb,
    stride_vt,
    stride_vh,
    PAGE: tl.constexpr,
    BLOCK_N: tl.constexpr,
    HEAD_DIM: tl.constexpr,
    USE_DOT: tl.constexpr,
):
    """Online softmax of the rows of ``q`` over tokens [start, end) of one block table.

    ``qk_scale`` includes log2(e), so the loop uses exp2. Returns the running max, the
    running sum and the unnormalised accumulator (-inf, 0 and 0 for an empty range).
    """
    offs_n = tl.arange(0, BLOCK_N)
    offs_d = tl.arange(0, HEAD_DIM)
    m_i = tl.full((q.shape[0],), float("-inf"), tl.float32)
    l_i = tl.zeros((q.shape[0],), tl.float32)
    acc = tl.zeros((q.shape[0], HEAD_DIM), tl.float32)
    head = kv_head.to(tl.int64)
    for tok0 in range(start, end, BLOCK_N):
        tok = tok0 + offs_n
        valid = tok < end
        page = tl.load(table_ptr + tok // PAGE, mask=valid, other=0).to(tl.int64)
        slot = (tok % PAGE).to(tl.int64)
        k_off = page * stride_kb + slot * stride_kt + head * stride_kh
        k = tl.load(k_ptr + k_off[:, None] + offs_d[None, :], mask=valid[:, None], other=0.0)
        if USE_DOT:
            s = tl.dot(q, tl.trans(k))
        else:
            s = tl.sum(q.to(tl.float32)[:, None, :] * k.to(tl.float32)[None, :, :], axis=2)
        s = tl.where(valid[None, :], s * qk_scale, float("-inf"))
        m_new = tl.maximum(m_i, tl.max(s, axis=1))
        alpha = tl.exp2(m_i - m_new)
        p = tl.exp2(s - m_new[:, None])
        l_i = l_i * alpha + tl.sum(p, axis=1)
        v_off = page * stride_vb + slot * stride_vt + head * stride_vh
        v = tl.load(v_ptr + v_off[:, None] + offs_d[None, :], mask=valid[:, None], other=0.0)
        if USE_DOT:
            acc = acc * alpha[:, None] + tl.dot(p.to(v.dtype), v)
        else:
            acc = acc * alpha[:, None] + tl.sum(
                p[:, :, None] * v.to(tl.float32)[None, :, :], axis=1
            )
        m_i = m_new
    return m_i, l_i, acc


@triton.jit
def query_heads(  # type: ignore[no-untyped-def]
    q_ptr,
    b,
    kv_head,
    tile,
    stride_qb,
    stride_qh,
    GROUP: tl.constexpr,
    HEADS: tl.constexpr,
    ROWS: tl.constexpr,
    HEAD_DIM: tl.constexpr,
):
    """Query rows of one program: head tile ``tile`` of kv head ``kv_head``'s GQA group.

    Returns the (ROWS, HEAD_DIM) query tile (padding rows are 0), the query head of each
    row and which rows are real.
    """
    rows = tl.arange(0, ROWS)
    g = tile * HEADS + rows
    row_ok = (rows < HEADS) & (g < GROUP)
    qh = kv_head * GROUP + g
    offs_d = tl.arange(0, HEAD_DIM)
    q = tl.load(
        q_ptr + b * stride_qb + qh[:, None] * stride_qh + offs_d[None, :],
        mask=row_ok[:, None],
        other=0.0,
    )
    return q, qh, row_ok


@triton.jit
def chunk_bounds(first, last, split, num_splits, BLOCK_N: tl.constexpr):  # type: ignore[no-untyped-def]
    """Tokens [start, end) of chunk ``split`` when [first, last) is cut into ``num_splits``
    chunks of whole BLOCK_N steps; a chunk past the end is empty."""
    chunk = tl.cdiv(tl.cdiv(last - first, num_splits), BLOCK_N) * BLOCK_N
    start = first + split * chunk
    return start, tl.minimum(start + chunk, last)


@triton.jit
def store_partial(  # type: ignore[no-untyped-def]
    acc_ptr,
    ml_ptr,
    acc,
    m_i,
    l_i,
    b,
    qh,
    slot,
    row_ok,
    stride_ab,
    stride_ah,
    stride_as,
    stride_mb,
    stride_mh,
    stride_ms,
    HEAD_DIM: tl.constexpr,
):
    """Write one chunk's unnormalised accumulator, max and sum into ``slot`` for the merge."""
    offs_d = tl.arange(0, HEAD_DIM)
    a_row = b * stride_ab + qh * stride_ah + slot * stride_as
    tl.store(acc_ptr + a_row[:, None] + offs_d[None, :], acc, mask=row_ok[:, None])
    m_row = ml_ptr + b * stride_mb + qh * stride_mh + slot * stride_ms
    tl.store(m_row, m_i, mask=row_ok)
    tl.store(m_row + 1, l_i, mask=row_ok)


@triton.jit
def partial_kernel(  # type: ignore[no-untyped-def]
    q_ptr,
    k_ptr,
    v_ptr,
    table_ptr,
    lens_ptr,
    acc_ptr,
    ml_ptr,
    qk_scale,
    token_offset,
    slot_offset,
    num_splits,
    stride_qb,
    stride_qh,
    stride_tb,
    stride_kb,
    stride_kt,
    stride_kh,
    stride_vb,
    stride_vt,
    stride_vh,
    stride_ab,
    stride_ah,
    stride_as,
    stride_mb,
    stride_mh,
    stride_ms,
    GROUP: tl.constexpr,
    HEADS: tl.constexpr,
    TILES: tl.constexpr,
    ROWS: tl.constexpr,
    PAGE: tl.constexpr,
    BLOCK_N: tl.constexpr,
    HEAD_DIM: tl.constexpr,
    USE_DOT: tl.constexpr,
):
    """One (sequence, head tile, split): tokens of one chunk from ``token_offset`` on.

    Writes the unnormalised accumulator, max and sum into slot ``slot_offset + split``;
    a split past the end of its sequence writes an empty result (max -inf, sum 0).
    """
    b = tl.program_id(0)
    kv_head = tl.program_id(1) // TILES
    split = tl.program_id(2)
    q, qh, row_ok = query_heads(
        q_ptr,
        b,
        kv_head,
        tl.program_id(1) % TILES,
        stride_qb,
        stride_qh,
        GROUP,
        HEADS,
        ROWS,
        HEAD_DIM,
    )
    start, end = chunk_bounds(token_offset, tl.load(lens_ptr + b), split, num_splits, BLOCK_N)
    m_i, l_i, acc = attend_tokens(
        q,
        k_ptr,
        v_ptr,
        table_ptr + b * stride_tb,
        kv_head,
        start,
        end,
        qk_scale,
        stride_kb,
        stride_kt,
        stride_kh,
        stride_vb,
        stride_vt,
        stride_vh,
        PAGE,
        BLOCK_N,
        HEAD_DIM,
        USE_DOT,
    )
    store_partial(
        acc_ptr,
        ml_ptr,
        acc,
        m_i,
        l_i,
        b,
        qh,
        slot_offset + split,
        row_ok,
        stride_ab,
        stride_ah,
        stride_as,
        stride_mb,
        stride_mh,
        stride_ms,
        HEAD_DIM,
    )


@triton.jit
def lse_reduce_kernel(  # type: ignore[no-untyped-def]
    acc_ptr,
    ml_ptr,
    out_ptr,
    num_slots,
    stride_ab,
    stride_ah,
    stride_as,
    stride_mb,
    stride_mh,
    stride_ms,
    stride_ob,
    stride_oh,
    SLOTS: tl.constexpr,
    HEAD_DIM: tl.constexpr,
):
    """Merge the partial results of one (sequence, query head) by log-sum-exp."""
    b = tl.program_id(0)
    h = tl.program_id(1)
    s = tl.arange(0, SLOTS)
    ok = s < num_slots
    offs_d = tl.arange(0, HEAD_DIM)
    m_row = ml_ptr + b * stride_mb + h * stride_mh + s * stride_ms
    m = tl.load(m_row, mask=ok, other=float("-inf"))
    l_s = tl.load(m_row + 1, mask=ok, other=0.0)
    w = tl.exp2(m - tl.max(m, axis=0))
    acc = tl.load(
        acc_ptr + b * stride_ab + h * stride_ah + s[:, None] * stride_as + offs_d[None, :],
        mask=ok[:, None],
        other=0.0,
    )
    out = tl.sum(w[:, None] * acc, axis=0) / tl.sum(w * l_s, axis=0)
    tl.store(out_ptr + b * stride_ob + h * stride_oh + offs_d, out.to(out_ptr.dtype.element_ty))


@dataclass(frozen=True)
class HeadTiling:
    """How a GQA group's query heads map onto programs and tile rows."""

    heads: int
    """Query heads per program."""
    tiles: int
    """Programs per kv head."""
    rows: int
    """Tile rows: 1 (CUDA-core path) or a power of two >= 16 (``tl.dot`` path)."""

    @property
    def use_dot(self) -> bool:
        return self.rows > 1

    def constexprs(self, group: int) -> dict[str, Value]:
        return {
            "GROUP": group,
            "HEADS": self.heads,
            "TILES": self.tiles,
            "ROWS": self.rows,
            "USE_DOT": self.use_dot,
        }


def head_tiling(group: int, block_h: int) -> HeadTiling:
    """``block_h`` query heads per program (0 = the whole group), rows padded for ``tl.dot``."""
    heads = group if block_h == 0 else min(block_h, group)
    rows = 1 if heads == 1 else max(16, triton.next_power_of_2(heads))
    return HeadTiling(heads, math.ceil(group / heads), rows)


def group_of(problem: Problem) -> int:
    return problem.int("q_heads") // problem.int("kv_heads")


def sm_count(device: torch.device) -> int:
    """Streaming multiprocessors of the GPU; an H100's when there is none (interpreter, static check)."""
    if device.type == "cuda":
        return int(torch.cuda.get_device_properties(device).multi_processor_count)
    return H100_SMS


def heuristic_splits(programs: int, max_tokens: int, sms: int) -> int:
    """Enough splits for two waves of programs, none shorter than 256 tokens, at most 64."""
    want = math.ceil(2 * sms / max(programs, 1))
    longest = math.ceil(max_tokens / 256)
    return max(1, min(want, longest, 64))


def suffix_splits(problem: Problem, config: Mapping[str, Value], sms: int) -> int:
    """NUM_SPLITS of the config, or the heuristic's count for the tokens after the shared prefix."""
    chosen = int(config["NUM_SPLITS"])
    if chosen:
        return chosen
    tiling = head_tiling(group_of(problem), int(config["BLOCK_H"]))
    programs = problem.int("batch") * problem.int("kv_heads") * tiling.tiles
    return heuristic_splits(programs, max(suffix_lengths(problem)), sms)


SlotsFn = Callable[[Problem, Mapping[str, Value], int], int]
"""``slots(problem, config, sms)``: partial results per (sequence, query head) a variant writes."""


def cache_strides(problem: Problem) -> dict[str, int]:
    """(block, token, head) strides of the contiguous K and V caches in the problem's layout."""
    bs, kvh, d = problem.int("block_size"), problem.int("kv_heads"), problem.int("head_dim")
    block, token, head = (
        (bs * kvh * d, kvh * d, d) if problem["layout"] == "nhd" else (kvh * bs * d, d, bs * d)
    )
    return {
        f"stride_{c}{w}": v for c in "kv" for w, v in zip("bth", (block, token, head), strict=True)
    }


def shared_args(
    problem: Problem, dtype: str, inputs: Inputs | None = None, slots: int = 0, sms: int = H100_SMS
) -> dict[str, ArgValue]:
    """Arguments by kernel parameter name: tensors from ``inputs`` (plus scratch for ``slots``
    partial results), else the pointer types the static check compiles with."""
    batch, q_heads, d = problem.int("batch"), problem.int("q_heads"), problem.int("head_dim")
    width = max(math.ceil(n / problem.int("block_size")) for n in context_lengths(problem))
    args: dict[str, ArgValue] = {
        "qk_scale": PAGED_ATTENTION.scale(problem) * LOG2E,
        "sms": sms,
        "stride_qb": q_heads * d,
        "stride_qh": d,
        "stride_ob": q_heads * d,
        "stride_oh": d,
        "stride_tb": width,
        **cache_strides(problem),
    }
    if slots:
        args.update(
            stride_ab=q_heads * slots * d,
            stride_ah=slots * d,
            stride_as=d,
            stride_mb=q_heads * slots * 2,
            stride_mh=slots * 2,
            stride_ms=2,
        )
    if inputs is None:
        ptr = "*" + dtype
        args.update(
            q_ptr=ptr,
            k_ptr=ptr,
            v_ptr=ptr,
            out_ptr=ptr,
            table_ptr="*i32",
            lens_ptr="*i32",
            acc_ptr="*fp32",
            ml_ptr="*fp32",
        )
        return args
    tensors = {
        "q_ptr": inputs["q"],
        "k_ptr": inputs["k_cache"],
        "v_ptr": inputs["v_cache"],
        "out_ptr": inputs["out"],
        "table_ptr": inputs["block_tables"],
        "lens_ptr": inputs["context_lens"],
    }
    for name, tensor in tensors.items():
        if not tensor.is_contiguous():
            raise Unsupported(f"{name[:-4]} must be contiguous: strides come from the problem")
    args.update(tensors)
    if slots:
        dev = inputs["q"].device
        args["acc_ptr"] = torch.empty(batch, q_heads, slots, d, device=dev, dtype=torch.float32)
        args["ml_ptr"] = torch.empty(batch, q_heads, slots, 2, device=dev, dtype=torch.float32)
    return args


def head_tiles(
    problem: Problem, config: Mapping[str, Value]
) -> tuple[tuple[int, int], dict[str, Value]]:
    """Grid (sequences, kv heads x head tiles) and constexprs of a kernel that tiles GQA groups."""
    group = group_of(problem)
    tiling = head_tiling(group, int(config["BLOCK_H"]))
    grid = (problem.int("batch"), problem.int("kv_heads") * tiling.tiles)
    return grid, {**tiling.constexprs(group), **tile_constexprs(problem, config)}


def partials_call(
    problem: Problem,
    config: Mapping[str, Value],
    splits: int,
    token_offset: int = 0,
    slot_offset: int = 0,
) -> KernelCall:
    """Split-KV pass over every sequence's tokens from ``token_offset`` into ``splits`` slots."""
    grid, constexprs = head_tiles(problem, config)
    return KernelCall(
        partial_kernel,
        (*grid, splits),
        constexprs,
        **launch_options(config),
        args={"token_offset": token_offset, "slot_offset": slot_offset, "num_splits": splits},
    )


def reduce_call(problem: Problem, slots: int) -> KernelCall:
    """Merge ``slots`` partial results per (sequence, query head) into ``out``."""
    return KernelCall(
        lse_reduce_kernel,
        (problem.int("batch"), problem.int("q_heads")),
        {"SLOTS": triton.next_power_of_2(slots), "HEAD_DIM": problem.int("head_dim")},
        num_warps=4,
        num_stages=1,
        args={"num_slots": slots},
    )


def tile_constexprs(problem: Problem, config: Mapping[str, Value]) -> dict[str, Value]:
    return {
        "PAGE": problem.int("block_size"),
        "BLOCK_N": int(config["BLOCK_N"]),
        "HEAD_DIM": problem.int("head_dim"),
    }


def build_with(
    plan: Plan, slots: SlotsFn, problem: Problem, config: Config, inputs: Inputs
) -> Launch:
    """The launch of a plan on the family's tensors, with the scratch its splits need."""
    sms = sm_count(inputs["q"].device)
    shared = shared_args(problem, "", inputs, slots(problem, config, sms), sms)
    return launcher(plan(problem, config, shared), shared)


def static_check_of(plan: Plan, slots: SlotsFn) -> StaticCheck:
    """A variant's ``static_check``: compile every call of its plan for the target GPU."""

    def check(problem: Problem, config: Config, dtype: str, target: Target) -> list[Resources]:
        shared = shared_args(problem, dtype, None, slots(problem, config, H100_SMS))
        return plan_resources(plan, problem, config, shared, target)

    return check
