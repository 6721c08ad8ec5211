"""wgmma.mma_async (sm_90a): register layouts and the arithmetic, as pure numpy.

A warpgroup is 128 threads (4 warps). Thread ``tid`` is warp ``w = tid // 32``, lane ``l``.

* Accumulator D of ``m64nNk*`` (PTX ISA "wgmma register fragments", matrix D): warp ``w``
  owns rows 16w..16w+15; f32/s32 register ``r`` of thread ``tid`` is element
  (16w + l // 4 + 8 * ((r // 2) % 2), 8 * (r // 4) + 2 * (l % 4) + r % 2), N/2 registers.
  With f16 accumulators, register ``r`` packs elements 2r (low half) and 2r + 1 of that
  numbering: N/4 registers.
* A from registers: warp ``w`` holds rows 16w.. of A in the layout of the sm_80 ``mma``
  A fragment of the same element width (m16n8k16 for f16/bf16: 4 regs of x2; m16n8k8 for
  tf32; m16n8k32 for 8-bit types).

The caller (the machine) reads shared-memory operands through
:func:`~.canonical.wgmma_operand_offsets` (the transpose immediates choose K- or MN-major)
and hands this module the values as float64; products are exact, sums float64, one rounding.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Literal

import numpy as np

from ..fragments import ELEM_BITS, from_float64, mma_fragment, to_float64
from ..ops.table import NotSupported
from ..ptx.ir import Imm, Instruction, Reg, Vec
from .canonical import wgmma_operand_offsets

WgmmaFn = Callable[[np.ndarray, np.ndarray, np.ndarray, np.ndarray], np.ndarray]

_SHAPE = re.compile(r"^m64n(\d+)k(\d+)$")
_K = {"f16": 16, "bf16": 16, "tf32": 8, "e4m3": 32, "e5m2": 32, "s8": 32, "u8": 32}
_DTYPES = {
    "f16": {"f16", "f32"}, "bf16": {"f32"}, "tf32": {"f32"}, "e4m3": {"f16", "f32"},
    "e5m2": {"f16", "f32"}, "s8": {"s32"}, "u8": {"s32"},
}  # fmt: skip
_INT_N = {8, 16, 24, *range(32, 257, 16)}


def elem_bytes(type_: str) -> int:
    """Bytes per element of a wgmma input type."""
    return ELEM_BITS[type_] // 8


def values(bits: np.ndarray, type_: str) -> np.ndarray:
    """Raw element bits -> float64 (f16 via numpy's half, bf16 shifted into f32, tf32 with
    its low 13 bits dropped, fp8 by table, s8/u8 exactly)."""
    return to_float64(bits, type_)


def values_from_bytes(raw: np.ndarray, type_: str) -> np.ndarray:
    """Bytes read at each element's address, shape (..., elem_bytes) little-endian ->
    float64 values (...)."""
    r = np.asarray(raw, np.uint8).astype(np.uint32)
    bits = np.zeros(r.shape[:-1], np.uint32)
    for i in range(r.shape[-1]):
        bits |= r[..., i] << np.uint32(8 * i)
    return to_float64(bits, type_)


@cache
def accumulator_layout(n: int, packed_f16: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """(row, col) of D for every (thread, register[, half]): shapes (128, N/2) for 32-bit
    accumulators, (128, N/4, 2) for f16x2 (half 0 = low 16 bits)."""
    tid = np.arange(128)[:, None]
    r = np.arange(n // 2)[None, :]
    w, lane = tid // 32, tid % 32
    row = 16 * w + lane // 4 + 8 * ((r // 2) % 2)
    col = 8 * (r // 4) + 2 * (lane % 4) + r % 2
    if packed_f16:
        row, col = row.reshape(128, n // 4, 2), col.reshape(128, n // 4, 2)
    row.flags.writeable = False
    col.flags.writeable = False
    return row, col


@cache
def a_register_layout(type_: str) -> tuple[np.ndarray, np.ndarray]:
    """(row, col) of A (64 x K) for every (thread, register, slot) of register-sourced A:
    shapes (128, 4, per_reg)."""
    shape = {16: "m16n8k16", 32: "m16n8k8", 8: "m16n8k32"}[ELEM_BITS[type_]]
    frag = mma_fragment(shape, "a", type_)
    w = np.arange(4)[:, None, None, None]
    row = (frag.row[None] + 16 * w).reshape(128, frag.n_regs, frag.per_reg)
    col = np.broadcast_to(frag.col[None], (4, *frag.col.shape)).reshape(row.shape)
    row.flags.writeable = False
    col = col.copy()
    col.flags.writeable = False
    return row, col


def a_from_registers(regs: np.ndarray, type_: str) -> np.ndarray:
    """Register-sourced A, (G, 128, 4) raw uint32 -> (G, 64, K) float64."""
    row, col = a_register_layout(type_)
    bits = ELEM_BITS[type_]
    per_reg = row.shape[2]
    g = np.asarray(regs).astype(np.uint64)
    shifts = np.arange(per_reg, dtype=np.uint64) * np.uint64(bits)
    elems = (g[..., None] >> shifts) & np.uint64((1 << bits) - 1)
    out = np.zeros((g.shape[0], 64, _K[type_]), np.float64)
    out[:, row, col] = to_float64(elems, type_)
    return out


@dataclass(frozen=True)
class WgmmaSpec:
    """A decoded ``wgmma.mma_async``: what the machine needs to fetch its operands."""

    n: int
    k: int
    dtype: str
    atype: str
    btype: str
    a_in_registers: bool
    scale_a: int
    scale_b: int
    trans_a: int
    """0: A is K-major; 1: M-major (only f16/bf16 with A in shared memory)."""
    trans_b: int
    """0: B is K-major; 1: N-major (only f16/bf16)."""
    satfinite: bool

    @property
    def n_d(self) -> int:
        """Accumulator registers per thread."""
        return self.n // 4 if self.dtype == "f16" else self.n // 2


def _imm(ins: Instruction, op: object, allowed: tuple[int, ...], what: str) -> int:
    if not isinstance(op, Imm) or op.value not in allowed:
        raise NotSupported(ins, f"{what} must be an immediate in {allowed}")
    return int(op.value)


def decode(ins: Instruction) -> WgmmaSpec:
    """Check and decode ``wgmma.mma_async.sync.aligned.m64nNkK[.satfinite].d.a.b`` and its
    operands ``d, a, b-desc, scale-d[, imm-scale-a, imm-scale-b[, imm-trans-a], imm-trans-b]``."""
    mods = ins.mods
    if ins.opcode != "wgmma" or mods[:1] != ("mma_async",):
        raise NotSupported(ins, "expected wgmma.mma_async")
    shapes = [m for m in mods if _SHAPE.match(m)]
    types = [m for m in mods if m in ELEM_BITS]
    extra = [m for m in mods[1:] if m not in {"sync", "aligned", "satfinite", *shapes, *types}]
    if extra or len(shapes) != 1 or len(types) != 3:
        raise NotSupported(ins, f"modifiers {'.'.join(extra) or '(shape/types)'}")
    match = _SHAPE.match(shapes[0])
    assert match is not None
    n, k = int(match.group(1)), int(match.group(2))
    d_t, a_t, b_t = types
    int_types = {"s8", "u8"}
    fp8 = {"e4m3", "e5m2"}
    family_ok = a_t == b_t or {a_t, b_t} <= int_types or {a_t, b_t} <= fp8
    if a_t not in _K or not family_ok or d_t not in _DTYPES[a_t]:
        raise NotSupported(ins, f"types .{d_t}.{a_t}.{b_t}")
    if k != _K[a_t]:
        raise NotSupported(ins, f"k{k} with .{a_t} (needs k{_K[a_t]})")
    if n % 8 or not 8 <= n <= 256 or (a_t in int_types and n not in _INT_N):
        raise NotSupported(ins, f"n{n}")
    satfinite = "satfinite" in mods
    if satfinite and a_t not in int_types:
        raise NotSupported(ins, ".satfinite needs integer inputs")
    ops = ins.operands
    if len(ops) < 4:
        raise NotSupported(ins, "too few operands")
    a_regs = isinstance(ops[1], Vec)
    if not a_regs and not isinstance(ops[1], Reg | Imm):
        raise NotSupported(ins, "A must be a descriptor or a register vector")
    rest = list(ops[4:])
    scale_a = scale_b = 1
    if a_t not in int_types:
        if len(rest) < 2:
            raise NotSupported(ins, "missing imm-scale-a / imm-scale-b")
        scale_a = _imm(ins, rest[0], (1, -1), "imm-scale-a")
        scale_b = _imm(ins, rest[1], (1, -1), "imm-scale-b")
        rest = rest[2:]
    trans_a = trans_b = 0
    if a_t in ("f16", "bf16"):
        want = 1 if a_regs else 2
        if len(rest) != want:
            raise NotSupported(ins, f"expected {want} transpose immediate(s)")
        if not a_regs:
            trans_a = _imm(ins, rest[0], (0, 1), "imm-trans-a")
        trans_b = _imm(ins, rest[-1], (0, 1), "imm-trans-b")
    elif rest:
        raise NotSupported(ins, f"no transpose immediates with .{a_t}")
    return WgmmaSpec(n, k, d_t, a_t, b_t, a_regs, scale_a, scale_b, trans_a, trans_b, satfinite)


def wgmma_factory(ins: Instruction) -> WgmmaFn:
    """``f(a, b, d, scale_d) -> d``: ``a`` (G, 64, K) and ``b`` (G, N, K) float64 values (as
    read through the operand offsets or :func:`a_from_registers`), ``d`` the accumulator
    registers (G, 128, n_d) uint32, ``scale_d`` bool (G,): False ignores the old D
    (D = A*B), True accumulates (D = A*B + D). Returns the new registers (G, 128, n_d)."""
    spec = decode(ins)
    packed = spec.dtype == "f16"
    row, col = accumulator_layout(spec.n, packed)
    sa, sb = float(spec.scale_a), float(spec.scale_b)

    def run(a: np.ndarray, b: np.ndarray, d: np.ndarray, scale_d: np.ndarray) -> np.ndarray:
        g = a.shape[0]
        regs = np.asarray(d).astype(np.uint32)
        keep = np.asarray(scale_d, bool).reshape(g, 1, 1)
        if spec.dtype == "s32":
            # |products| <= 255 * 255, k = 32: exact in float64
            prod = np.matmul(a, np.swapaxes(b, 1, 2)).astype(np.int64)
            old = np.zeros((g, 64, spec.n), np.int64)
            old[:, row, col] = regs.view(np.int32)
            acc = prod + np.where(keep, old, 0)
            if spec.satfinite:
                acc = np.clip(acc, -(2**31), 2**31 - 1)
            return (acc[:, row, col] & 0xFFFFFFFF).astype(np.uint32)
        old_f = np.zeros((g, 64, spec.n), np.float64)
        if packed:
            halves = np.stack([regs & 0xFFFF, regs >> 16], axis=-1)
            old_f[:, row, col] = to_float64(halves, "f16")
        else:
            old_f[:, row, col] = to_float64(regs, "f32")
        with np.errstate(all="ignore"):
            acc_f = np.matmul(sa * a, np.swapaxes(sb * b, 1, 2))
            acc_f = np.where(keep, acc_f + old_f, acc_f)
        if packed:
            h = from_float64(acc_f, "f16").astype(np.uint32)[:, row, col]
            out: np.ndarray = h[..., 0] | (h[..., 1] << np.uint32(16))
            return out
        return from_float64(acc_f, "f32").astype(np.uint32)[:, row, col]

    return run


def operand_offsets(spec: WgmmaSpec, desc: int, which: str) -> np.ndarray:
    """Shared byte addresses of A (64 x K) or B (N x K) read through ``desc``: the transpose
    immediate picks the canonical layout (0: K-major, 1: M/N-major, as in cute's GMMA::Major)."""
    if which == "a":
        rows, trans, type_ = 64, spec.trans_a, spec.atype
    elif which == "b":
        rows, trans, type_ = spec.n, spec.trans_b, spec.btype
    else:
        raise ValueError(f"which must be 'a' or 'b', not {which!r}")
    major: Literal["K", "MN"] = "MN" if trans else "K"
    return wgmma_operand_offsets(
        desc, major=major, rows=rows, k=spec.k, elem_bytes=elem_bytes(type_)
    )
