"""Warp-collective matrix semantics of sm_80: ``mma.sync``, ``ldmatrix``, ``stmatrix`` (pure parts).

These factories decode an instruction once and return pure functions over a whole warp's
registers; the core wires them in as machine ops (it gathers the 32 lanes' registers, calls
the function, scatters the result under the mask, and does the shared-memory traffic for
``ldmatrix``/``stmatrix`` at the row addresses lanes provide).

Arithmetic (DESIGN.md): products of f16/bf16/tf32/fp8 elements are exact in float64 (f64
products round as float64 does), the sum is taken in float64 and rounded once to the
accumulator type (round-to-nearest-even; NaN results canonical). Integer mma is exact in
int64, then wraps modulo 2^32, or clamps to the s32 range with ``.satfinite``. tf32 operands
are truncated: the ISA ignores their low 13 bits.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import numpy as np

from ..fragments import ELEM_BITS, from_float64, gather, mma_fragment, scatter, to_float64
from ..ptx.ir import Instruction
from .table import NotSupported

MmaFn = Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray]
RowsFn = Callable[[np.ndarray], np.ndarray]

_SHAPE = re.compile(r"^m\d+n\d+k\d+$")

# input type -> (shapes, allowed (d, c) accumulator pairs)
_FLOAT_PAIRS = {(d, c) for d in ("f16", "f32") for c in ("f16", "f32")}
_ALLOWED: dict[str, tuple[set[str], set[tuple[str, str]]]] = {
    "f16": ({"m16n8k8", "m16n8k16"}, _FLOAT_PAIRS),
    "bf16": ({"m16n8k8", "m16n8k16"}, {("f32", "f32")}),
    "tf32": ({"m16n8k4", "m16n8k8"}, {("f32", "f32")}),
    "s8": ({"m8n8k16", "m16n8k16", "m16n8k32"}, {("s32", "s32")}),
    "u8": ({"m8n8k16", "m16n8k16", "m16n8k32"}, {("s32", "s32")}),
    "e4m3": ({"m16n8k16", "m16n8k32"}, {("f32", "f32"), ("f16", "f16")}),
    "e5m2": ({"m16n8k16", "m16n8k32"}, {("f32", "f32"), ("f16", "f16")}),
    "f64": ({"m8n8k4"}, {("f64", "f64")}),
}
_INT = {"s8", "u8"}
_FP8 = {"e4m3", "e5m2"}


def _decode_mma(ins: Instruction) -> tuple[str, str, str, str, str, bool]:
    mods = ins.mods
    shapes = [m for m in mods if _SHAPE.match(m)]
    types = [m for m in mods if m in ELEM_BITS]
    if "sync" not in mods or "aligned" not in mods or len(shapes) != 1 or len(types) != 4:
        raise NotSupported(ins, "expected mma.sync.aligned.<shape>.row.col.<d>.<a>.<b>.<c>")
    known = {"sync", "aligned", "row", "col", "satfinite", shapes[0], *types}
    extra = [m for m in mods if m not in known]
    if extra:
        raise NotSupported(ins, f"modifier .{extra[0]}")
    layouts = [m for m in mods if m in ("row", "col")]
    if layouts != ["row", "col"]:
        raise NotSupported(ins, "only the .row.col layout is supported (all sm_80 shapes need it)")
    shape = shapes[0]
    d, a, b, c = types
    satfinite = "satfinite" in mods
    family = a
    same_family = (a in _INT and b in _INT) or (a in _FP8 and b in _FP8) or a == b
    if family not in _ALLOWED or not same_family:
        raise NotSupported(ins, f"input types .{a}.{b}")
    shapes_ok, pairs = _ALLOWED[family]
    if shape not in shapes_ok:
        raise NotSupported(ins, f"shape .{shape} with .{a} inputs")
    if (d, c) not in pairs:
        raise NotSupported(ins, f"accumulator types .{d} / .{c} with .{a} inputs")
    if satfinite and family not in _INT:
        raise NotSupported(ins, ".satfinite on a floating-point mma")
    return shape, d, a, b, c, satfinite


def mma_factory(ins: Instruction) -> MmaFn:
    """``mma.sync.aligned``: returns ``f(a, b, c) -> d`` over W warps' registers.

    ``a``, ``b``, ``c`` are (W, 32, n_regs) raw register bits (uint32; uint64 for f64) in
    the ISA's fragment order; ``d`` is (W, 32, n_d) uint32 (uint64 for f64).
    """
    shape, d_t, a_t, b_t, c_t, satfinite = _decode_mma(ins)
    fa = mma_fragment(shape, "a", a_t)
    fb = mma_fragment(shape, "b", b_t)
    fc = mma_fragment(shape, "c", c_t)
    fd = mma_fragment(shape, "c", d_t)
    out_dtype = np.uint64 if d_t == "f64" else np.uint32

    def run(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> np.ndarray:
        ab, bb, cb = gather(a, fa), gather(b, fb), gather(c, fc)
        if a_t in _INT:
            # |products| <= 255 * 255 and k <= 32: the float64 matmul is exact
            prod = np.matmul(to_float64(ab, a_t), to_float64(bb, b_t)).astype(np.int64)
            acc = prod + to_float64(cb, c_t).astype(np.int64)
            if satfinite:
                acc = np.clip(acc, -(2**31), 2**31 - 1)
            bits = (acc & 0xFFFFFFFF).astype(np.uint64)
        else:
            with np.errstate(all="ignore"):
                acc_f = np.matmul(to_float64(ab, a_t), to_float64(bb, b_t)) + to_float64(cb, c_t)
            bits = from_float64(acc_f, d_t).astype(np.uint64)
        return scatter(bits, fd).astype(out_dtype)

    return run


def _decode_matrix_move(ins: Instruction, what: str) -> tuple[int, bool]:
    """``.sync.aligned.m8n8.{x1,x2,x4}{.trans}.shared{::cta}.b16`` -> (matrices, trans)."""
    mods = ins.mods
    nums = [m for m in mods if m in ("x1", "x2", "x4")]
    known = {"sync", "aligned", "m8n8", "x1", "x2", "x4", "trans", "shared", "shared::cta", "b16"}
    extra = [m for m in mods if m not in known]
    if extra:
        raise NotSupported(ins, f"{what} .{extra[0]} (only .m8n8 .b16 is supported)")
    if "m8n8" not in mods or "b16" not in mods or len(nums) != 1:
        raise NotSupported(ins, f"expected {what}.sync.aligned.m8n8.x{{1,2,4}}[.trans].shared.b16")
    return int(nums[0][1]), "trans" in mods


def ldmatrix_factory(ins: Instruction) -> tuple[int, RowsFn]:
    """``ldmatrix``: returns (n_rows, f). Lanes 0..n_rows-1 give the row addresses (row ``r``
    of matrix ``m`` comes from lane ``8m + r``); ``f(rows)`` maps the bytes read there,
    (W, n_rows, 16) uint8, to the destination registers (W, 32, n_mats) uint32.

    Per the ISA, register ``m`` of lane ``l`` holds row ``l // 4``, columns ``2(l % 4)`` and
    ``2(l % 4) + 1`` of matrix ``m`` (low half = lower column); with ``.trans`` it holds the
    same positions of the transposed matrix, i.e. column ``l // 4`` of rows ``2(l % 4)`` and
    ``2(l % 4) + 1``.
    """
    n_mats, trans = _decode_matrix_move(ins, "ldmatrix")
    lane = np.arange(32)
    mat = np.arange(n_mats)
    # (32, n_mats) indexes of the row read and the b16 element within it, for each half.
    if trans:
        row_lo = 8 * mat[None, :] + 2 * (lane[:, None] % 4)
        row_hi = row_lo + 1
        col_lo = col_hi = np.broadcast_to(lane[:, None] // 4, row_lo.shape)
    else:
        row_lo = row_hi = 8 * mat[None, :] + lane[:, None] // 4
        col_lo = np.broadcast_to(2 * (lane[:, None] % 4), row_lo.shape)
        col_hi = col_lo + 1

    def run(rows: np.ndarray) -> np.ndarray:
        r = np.asarray(rows, np.uint8).astype(np.uint32)
        elems = r[..., 0::2] | (r[..., 1::2] << np.uint32(8))  # (W, n_rows, 8) little-endian
        lo = elems[:, row_lo, col_lo]
        hi = elems[:, row_hi, col_hi]
        out: np.ndarray = lo | (hi << np.uint32(16))
        return out

    return 8 * n_mats, run


def stmatrix_factory(ins: Instruction) -> tuple[int, RowsFn]:
    """``stmatrix`` (sm_90): returns (n_rows, f); ``f(regs)`` maps the source registers
    (W, 32, n_mats) to the rows (W, n_rows, 16) uint8 written at lanes 0..n_rows-1's
    addresses. The fragment layout is ldmatrix's, run backwards."""
    n_mats, trans = _decode_matrix_move(ins, "stmatrix")
    lane = np.arange(32)
    n_rows = 8 * n_mats
    # For every destination (row, b16 column): which lane and register half holds it.
    src_lane = np.zeros((n_rows, 8), np.int64)
    src_mat = np.zeros((n_rows, 8), np.int64)
    src_half = np.zeros((n_rows, 8), np.int64)
    for m in range(n_mats):
        for li in lane:
            for half in (0, 1):
                if trans:
                    r, col = 2 * (li % 4) + half, li // 4
                else:
                    r, col = li // 4, 2 * (li % 4) + half
                src_lane[8 * m + r, col] = li
                src_mat[8 * m + r, col] = m
                src_half[8 * m + r, col] = half

    def run(regs: np.ndarray) -> np.ndarray:
        g = np.asarray(regs).astype(np.uint32)
        elems = (g[:, src_lane, src_mat] >> (16 * src_half).astype(np.uint32)) & np.uint32(0xFFFF)
        out = np.empty((*elems.shape[:2], 16), np.uint8)
        out[..., 0::2] = (elems & 0xFF).astype(np.uint8)
        out[..., 1::2] = (elems >> 8).astype(np.uint8)
        return out

    return n_rows, run


def movmatrix_factory(ins: Instruction) -> Callable[[np.ndarray], np.ndarray]:
    """``movmatrix.sync.aligned.m8n8.trans.b16 d, a``: transposes an 8x8 b16 matrix held in
    the ldmatrix fragment layout (lane ``l`` holds row ``l // 4``, columns ``2(l % 4)``,
    ``2(l % 4) + 1``). Returns ``f(a (W, 32) uint32) -> d (W, 32) uint32``."""
    if set(ins.mods) != {"sync", "aligned", "m8n8", "trans", "b16"}:
        raise NotSupported(ins, "expected movmatrix.sync.aligned.m8n8.trans.b16")
    lane = np.arange(32)
    r, p = lane // 4, lane % 4
    # d[l] low half = M[2p][r], high half = M[2p + 1][r]; M[i][j] is lane 4i + j // 2, half j % 2
    src_lo, src_hi = 4 * (2 * p) + r // 2, 4 * (2 * p + 1) + r // 2
    shift = (16 * (r % 2)).astype(np.uint32)

    def run(a: np.ndarray) -> np.ndarray:
        g = np.asarray(a).astype(np.uint32)
        lo = (g[:, src_lo] >> shift) & np.uint32(0xFFFF)
        hi = (g[:, src_hi] >> shift) & np.uint32(0xFFFF)
        out: np.ndarray = lo | (hi << np.uint32(16))
        return out

    return run
