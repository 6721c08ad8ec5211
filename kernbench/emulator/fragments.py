"""Where each element of a warp's ``mma.sync`` fragment lives in its matrix (sm_80 layouts).

The PTX ISA ("Matrix Fragments for mma.m16n8k*") numbers a thread's fragment elements
``a0, a1, ...`` and gives each one's (row, col) from ``groupID = laneid >> 2`` and
``threadID_in_group = laneid % 4``. Elements are packed into 32-bit registers in order, the
lower-numbered element in the lower bits (``a0`` in bits 0-15 of the first ``.f16x2``), so
element ``i`` is register ``i // per_reg``, slot ``i % per_reg``. Every table here is written
from those formulas; B is indexed (k, n) as the ISA's K x N matrix; "c" is also D.

The element decoders (:func:`to_float64`) live here too, because wgmma reuses them.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

import numpy as np

Coord = Callable[[int, int, int], tuple[int, int]]
"""(groupID, threadID_in_group, element index) -> (row, col)."""

_LITTLE = sys.byteorder == "little"

ELEM_BITS = {
    "f16": 16, "bf16": 16, "tf32": 32, "f32": 32, "f64": 64, "s8": 8, "u8": 8,
    "s32": 32, "e4m3": 8, "e5m2": 8,
}  # fmt: skip


@dataclass(frozen=True, eq=False)
class Fragment:
    """A warp's fragment of one operand: ``row``/``col`` are (32 lanes, regs, per_reg) ints."""

    rows: int
    cols: int
    elem_bits: int
    row: np.ndarray
    col: np.ndarray
    to_matrix: np.ndarray
    """Flat (lane, reg, slot) index -> flat (row * cols + col): every fragment is a bijection."""
    from_matrix: np.ndarray
    """The inverse of ``to_matrix``."""

    @property
    def n_regs(self) -> int:
        return int(self.row.shape[1])

    @property
    def per_reg(self) -> int:
        return int(self.row.shape[2])

    @property
    def reg_bits(self) -> int:
        return self.elem_bits * self.per_reg


def _build(rows: int, cols: int, elem_bits: int, n_elems: int, coord: Coord) -> Fragment:
    reg_bits = 64 if elem_bits == 64 else 32
    per_reg = reg_bits // elem_bits
    n_regs = n_elems // per_reg
    row = np.zeros((32, n_regs, per_reg), np.int64)
    col = np.zeros_like(row)
    for lane in range(32):
        g, t = lane >> 2, lane & 3
        for i in range(n_elems):
            row[lane, i // per_reg, i % per_reg], col[lane, i // per_reg, i % per_reg] = coord(
                g, t, i
            )
    to_matrix = (row * cols + col).reshape(-1)
    from_matrix = np.empty_like(to_matrix)
    from_matrix[to_matrix] = np.arange(to_matrix.size)
    for arr in (row, col, to_matrix, from_matrix):
        arr.flags.writeable = False
    return Fragment(rows, cols, elem_bits, row, col, to_matrix, from_matrix)


def _c16x8(g: int, t: int, i: int) -> tuple[int, int]:
    # C/D of every m16n8 shape: c0,c1 row g; c2,c3 row g+8; col 2t + (i & 1).
    return g + 8 * (i >> 1), 2 * t + (i & 1)


def _c8x8(g: int, t: int, i: int) -> tuple[int, int]:
    # C/D of m8n8k4 (f64) and m8n8k16 (s8): row g, col 2t + i.
    return g, 2 * t + i


# A operands (row = m, col = k) and B operands (row = k, col = n), per shape and element width.
_A: dict[tuple[str, int], tuple[int, Coord]] = {
    # 16-bit k16: a0,a1 (g, 2t..) a2,a3 (g+8, 2t..) a4,a5 (g, 2t+8..) a6,a7 (g+8, 2t+8..)
    ("m16n8k16", 16): (8, lambda g, t, i: (g + 8 * ((i >> 1) & 1), 2 * t + (i & 1) + 8 * (i >> 2))),
    # 16-bit k8: a0,a1 row g; a2,a3 row g+8; col 2t + (i & 1)
    ("m16n8k8", 16): (4, lambda g, t, i: (g + 8 * (i >> 1), 2 * t + (i & 1))),
    # tf32 k8: a0 (g, t) a1 (g+8, t) a2 (g, t+4) a3 (g+8, t+4)
    ("m16n8k8", 32): (4, lambda g, t, i: (g + 8 * (i & 1), t + 4 * (i >> 1))),
    # tf32 k4: a0 (g, t) a1 (g+8, t)
    ("m16n8k4", 32): (2, lambda g, t, i: (g + 8 * i, t)),
    # 8-bit k32: a0..a3 (g, 4t..) a4..a7 (g+8, 4t..) a8..a11 (g, 4t+16..) a12..a15 (g+8, 4t+16..)
    ("m16n8k32", 8): (
        16,
        lambda g, t, i: (g + 8 * ((i >> 2) & 1), 4 * t + (i & 3) + 16 * (i >> 3)),
    ),
    # 8-bit k16: a0..a3 (g, 4t..) a4..a7 (g+8, 4t..)
    ("m16n8k16", 8): (8, lambda g, t, i: (g + 8 * (i >> 2), 4 * t + (i & 3))),
    # m8n8k16 s8: a0..a3 (g, 4t + i)
    ("m8n8k16", 8): (4, lambda g, t, i: (g, 4 * t + i)),
    # m8n8k4 f64: a0 (g, t)
    ("m8n8k4", 64): (1, lambda g, t, i: (g, t)),
}
_B: dict[tuple[str, int], tuple[int, Coord]] = {
    # 16-bit k16: b0,b1 k = 2t..; b2,b3 k = 2t+8..; n = g
    ("m16n8k16", 16): (4, lambda g, t, i: (2 * t + (i & 1) + 8 * (i >> 1), g)),
    ("m16n8k8", 16): (2, lambda g, t, i: (2 * t + i, g)),
    # tf32 k8: b0 k = t, b1 k = t+4
    ("m16n8k8", 32): (2, lambda g, t, i: (t + 4 * i, g)),
    ("m16n8k4", 32): (1, lambda g, t, i: (t, g)),
    # 8-bit k32: b0..b3 k = 4t..; b4..b7 k = 4t+16..
    ("m16n8k32", 8): (8, lambda g, t, i: (4 * t + (i & 3) + 16 * (i >> 2), g)),
    ("m16n8k16", 8): (4, lambda g, t, i: (4 * t + i, g)),
    ("m8n8k16", 8): (4, lambda g, t, i: (4 * t + i, g)),
    ("m8n8k4", 64): (1, lambda g, t, i: (t, g)),
}


def shape_mnk(shape: str) -> tuple[int, int, int]:
    """``"m16n8k16"`` -> (16, 8, 16)."""
    m, rest = shape[1:].split("n")
    n, k = rest.split("k")
    return int(m), int(n), int(k)


@cache
def mma_fragment(shape: str, operand: str, type_: str) -> Fragment:
    """The fragment of ``operand`` ("a", "b", or "c" for C and D) of ``mma.<shape>`` in ``type_``.

    Raises KeyError for a (shape, element width) the ISA does not define (or we do not).
    """
    m, n, k = shape_mnk(shape)
    bits = ELEM_BITS[type_]
    if operand == "c":
        n_elems = (m * n) // 32
        return _build(m, n, bits, n_elems, _c16x8 if m == 16 else _c8x8)
    table, rows, cols = (_A, m, k) if operand == "a" else (_B, k, n)
    n_elems, coord = table[(shape, bits)]
    return _build(rows, cols, bits, n_elems, coord)


_UINT = {8: np.uint8, 16: np.uint16, 32: np.uint32, 64: np.uint64}


def _split(regs: np.ndarray, frag: Fragment) -> np.ndarray:
    """Registers (W, 32, n_regs) -> elements (W, 32 * n_regs * per_reg), slot 0 = low bits."""
    w = regs.shape[0]
    r = np.ascontiguousarray(np.asarray(regs).astype(_UINT[frag.reg_bits], copy=False))
    if frag.per_reg == 1:
        return r.reshape(w, -1)
    if _LITTLE:
        return r.view(_UINT[frag.elem_bits]).reshape(w, -1)
    shifts = np.arange(frag.per_reg, dtype=np.uint64) * np.uint64(frag.elem_bits)
    mask = np.uint64((1 << frag.elem_bits) - 1)
    parts = (r.astype(np.uint64)[..., None] >> shifts) & mask
    return parts.astype(_UINT[frag.elem_bits]).reshape(w, -1)


def gather(regs: np.ndarray, frag: Fragment) -> np.ndarray:
    """Registers (W, 32, n_regs) of raw bits -> the matrix (W, rows, cols) of element bits
    (unsigned, element-width dtype)."""
    elems = _split(regs, frag)
    return elems[:, frag.from_matrix].reshape(-1, frag.rows, frag.cols)


def scatter(matrix: np.ndarray, frag: Fragment) -> np.ndarray:
    """The matrix (W, rows, cols) of element bits -> registers (W, 32, n_regs), register-width
    unsigned dtype."""
    m = np.asarray(matrix)
    w = m.shape[0]
    flat = m.reshape(w, -1).astype(_UINT[frag.elem_bits], copy=False)
    elems = np.ascontiguousarray(flat[:, frag.to_matrix]).reshape(w, 32, frag.n_regs, frag.per_reg)
    if frag.per_reg == 1:
        return elems.reshape(w, 32, frag.n_regs)
    if _LITTLE:
        return elems.view(_UINT[frag.reg_bits]).reshape(w, 32, frag.n_regs)
    shifts = np.arange(frag.per_reg, dtype=np.uint64) * np.uint64(frag.elem_bits)
    packed = np.bitwise_or.reduce(elems.astype(np.uint64) << shifts, axis=-1)
    return packed.astype(_UINT[frag.reg_bits])


@cache
def _fp8_table(exp_bits: int) -> np.ndarray:
    """The 256 values of an 8-bit float: e4m3 (bias 7, no infinity, S.1111.111 NaN) or e5m2
    (bias 15, IEEE-style infinities and NaNs), per the PTX ISA's alternate float formats."""
    man_bits = 7 - exp_bits
    bias = (1 << (exp_bits - 1)) - 1
    out = np.empty(256, np.float64)
    for bits in range(256):
        sign = -1.0 if bits & 0x80 else 1.0
        e = (bits >> man_bits) & ((1 << exp_bits) - 1)
        f = bits & ((1 << man_bits) - 1)
        if exp_bits == 4 and e == 15 and f == 7:
            out[bits] = np.nan
        elif exp_bits == 5 and e == 31:
            out[bits] = np.nan if f else sign * np.inf
        elif e == 0:
            out[bits] = sign * f * 2.0 ** (1 - bias - man_bits)
        else:
            out[bits] = sign * (1 + f / (1 << man_bits)) * 2.0 ** (e - bias)
    out.flags.writeable = False
    return out


def to_float64(bits: np.ndarray, type_: str) -> np.ndarray:
    """Raw element bits (any unsigned int array) -> exact float64 values (ints for s8/u8/s32).

    tf32: the ISA leaves the low 13 bits of a .tf32 operand unused, so they are dropped
    (truncation) before the value is read.
    """
    b = np.asarray(bits)
    if type_ == "f16":
        return b.astype(np.uint16).view(np.float16).astype(np.float64)
    if type_ == "bf16":
        return (b.astype(np.uint32) << np.uint32(16)).view(np.float32).astype(np.float64)
    if type_ == "tf32":
        return (b.astype(np.uint32) & np.uint32(0xFFFFE000)).view(np.float32).astype(np.float64)
    if type_ == "f32":
        return b.astype(np.uint32).view(np.float32).astype(np.float64)
    if type_ == "f64":
        return b.astype(np.uint64).view(np.float64).copy()
    if type_ == "s8":
        return b.astype(np.uint8).view(np.int8).astype(np.float64)
    if type_ == "u8":
        return b.astype(np.uint8).astype(np.float64)
    if type_ == "s32":
        return b.astype(np.uint32).view(np.int32).astype(np.float64)
    if type_ in ("e4m3", "e5m2"):
        return _fp8_table(4 if type_ == "e4m3" else 5)[b.astype(np.uint8)]
    raise KeyError(type_)


def from_float64(values: np.ndarray, type_: str) -> np.ndarray:
    """float64 -> raw bits of ``type_`` (f16/f32: one round-to-nearest-even; NaN canonical).

    numpy converts float64 to float16 directly (no detour through float32), so an f16
    accumulator sees exactly one rounding. NaN results are the canonical 0x7FFF / 0x7FFFFFFF
    (the ISA does not define the payload an mma produces).
    """
    v = np.asarray(values, np.float64)
    nan = np.isnan(v)
    with np.errstate(over="ignore", invalid="ignore"):
        if type_ == "f16":
            out16 = v.astype(np.float16).view(np.uint16)
            return np.where(nan, np.uint16(0x7FFF), out16)
        if type_ == "f32":
            out32 = v.astype(np.float32).view(np.uint32)
            return np.where(nan, np.uint32(0x7FFFFFFF), out32)
        if type_ == "f64":
            return v.view(np.uint64).copy()
    raise KeyError(type_)
