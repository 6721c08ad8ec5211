"""Half-precision arithmetic: f16, bf16 and their packed x2 forms (PTX ISA "Half Precision
Floating-Point Instructions").

Each half is computed exactly in float64 (error-free transform for sums) and rounded once
to the format (:func:`~kernbench.emulator.numeric.round_to`). A packed x2 register holds
element 0 in bits 15..0 and element 1 in bits 31..16. NaN results are the canonical 0x7FFF.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .. import numeric as nm
from ..ptx.ir import Instruction
from .table import Compute, NotSupported

_BASE = {"f16": "f16", "bf16": "bf16", "f16x2": "f16", "bf16x2": "bf16"}


def _type(ins: Instruction) -> tuple[str, bool]:
    t = nm.find_type(ins.mods)
    if t not in _BASE:
        raise NotSupported(ins, f"not a half type: {t}")
    return _BASE[t], t.endswith("x2")


def halves(x: Any) -> tuple[Any, Any]:
    """A 32-bit packed operand -> (low half, high half) as uint16 arrays."""
    v = nm.bits(x, 32)
    return (v & np.uint32(0xFFFF)).astype(np.uint16), (v >> np.uint32(16)).astype(np.uint16)


def pack(lo: Any, hi: Any) -> Any:
    """Two 16-bit halves -> the uint32 packed register (lo in bits 15..0)."""
    return np.asarray(lo).astype(np.uint32) | (np.asarray(hi).astype(np.uint32) << np.uint32(16))


def lift(fn: Callable[..., Any], x2: bool) -> Callable[..., Any]:
    """Apply a per-half function of 16-bit operands to both halves when packed."""
    if not x2:
        return lambda *a: fn(*[nm.bits(v, 16) for v in a])

    def run(*a: Any) -> Any:
        parts = [halves(v) for v in a]
        return pack(fn(*[p[0] for p in parts]), fn(*[p[1] for p in parts]))

    return run


def _values(b: Any, fmt: str, ftz: bool) -> Any:
    with np.errstate(invalid="ignore"):  # signalling NaN patterns widen quietly
        v = nm.decode(b, fmt).astype(np.float64)
    if ftz:
        tiny = 2.0**-14 if fmt == "f16" else 2.0**-126
        v = np.where(np.abs(v) < tiny, 0.0 * v, v)
    return v


def arith(ins: Instruction) -> Compute:
    """add/sub/mul/fma(/mad).{rn}{.ftz}{.sat}{.relu}.{f16,f16x2,bf16,bf16x2}."""
    fmt, x2 = _type(ins)
    if "oob" in ins.mods:
        raise NotSupported(ins, ".oob (out-of-bounds NaN handling)")
    op = {"mad": "fma"}.get(ins.opcode, ins.opcode)
    mode = next((m for m in ins.mods if m in ("rn", "rz", "rm", "rp")), "rn")
    ftz = "ftz" in ins.mods
    sat = "sat" in ins.mods
    relu = "relu" in ins.mods
    n = 3 if op == "fma" else 2

    def one(*b: Any) -> Any:
        with np.errstate(all="ignore"):
            v = [_values(x, fmt, ftz) for x in b[:n]]
            if op == "mul":
                x, err = v[0] * v[1], None  # exact
            else:
                p = v[0] * v[1] if op == "fma" else v[0]
                q = v[2] if op == "fma" else (v[1] if op == "add" else -v[1])
                x, e = nm.two_sum(p, q)
                err = np.where(np.isfinite(x), e, 0.0)
            if err is not None:
                x = nm.to_odd(x, err)
            if sat:
                x = np.where(np.isnan(x), 0.0, np.clip(x, 0.0, 1.0) + 0.0)
            if fmt == "bf16" and mode == "rn" and not (ftz or relu):
                return nm.f64_to_bf16_rn(x)
            out = nm.round_to(x, fmt, mode, ftz=ftz, relu=relu)
        return out.astype(np.uint16)

    if fmt == "f16" and mode == "rn" and not (ftz or sat or relu):
        return lift(_fast_f16(op), x2)
    return lift(one, x2)


def _fast_f16(op: str) -> Callable[..., Any]:
    """f16 add/sub/mul/fma to nearest in float64, then numpy's (correctly rounded) float64 ->
    float16 cast. Sums and products of f16 are exact in float64. An fma sum c + a*b may
    not be, but then it is never near an f16 rounding boundary: the exact sum is a multiple
    of 2^-48 below 2^17, so float64 is exact below 2^5; above, a boundary M (a multiple of
    2^-6, never itself an f16 value) within 2^-37 of the sum would need a*b = (M - c) + d
    with 0 < |d| < 2^-37, spanning more than the 22 bits a product of two f16 has."""

    def run(*b: Any) -> Any:
        with np.errstate(all="ignore"):
            v = [nm.bits(x, 16).view(np.float16).astype(np.float64) for x in b]
            if op == "fma":
                r = v[0] * v[1] + v[2]
            elif op == "mul":
                r = v[0] * v[1]
            else:
                r = v[0] + v[1] if op == "add" else v[0] - v[1]
            return np.where(np.isnan(r), np.uint16(0x7FFF), r.astype(np.float16).view(np.uint16))

    return run


def sign_op(ins: Instruction) -> Compute:
    """neg/abs{.ftz}.{f16,f16x2,bf16,bf16x2}: flip or clear the sign bit of each half."""
    fmt, x2 = _type(ins)
    ftz = "ftz" in ins.mods and fmt == "f16"
    neg = ins.opcode == "neg"

    def one(b: Any) -> Any:
        b = nm.bits(b, 16)
        if ftz:
            sub = (b & np.uint16(0x7C00)) == 0
            b = np.where(sub, b & np.uint16(0x8000), b)
        return (b ^ np.uint16(0x8000)) if neg else (b & np.uint16(0x7FFF))

    return lift(one, x2)


def _flushed_bits(b: Any, fmt: str, ftz: bool) -> Any:
    """A half's bits, a subnormal made signed zero under .ftz."""
    b = nm.bits(b, 16)
    if not ftz:
        return b
    expo = np.uint16(0x7C00 if fmt == "f16" else 0x7F80)
    return np.where((b & expo) == 0, b & np.uint16(0x8000), b)


def min_max(ins: Instruction) -> Compute:
    """min/max{.ftz}{.NaN}{.xorsign.abs}.{f16,f16x2,bf16,bf16x2}: as for f32 (-0 < +0, NaN
    operands ignored unless .NaN; NaN results canonical 0x7FFF)."""
    fmt, x2 = _type(ins)
    ftz = "ftz" in ins.mods
    nan_mode = "NaN" in ins.mods
    is_min = ins.opcode == "min"
    xorsign = "xorsign" in ins.mods

    def one(a: Any, b: Any) -> Any:
        x, y = _values(a, fmt, ftz), _values(b, fmt, ftz)
        sign = (nm.bits(a, 16) ^ nm.bits(b, 16)) & np.uint16(0x8000)
        if xorsign:
            x, y = np.abs(x), np.abs(y)
        xb, yb = _flushed_bits(a, fmt, ftz), _flushed_bits(b, fmt, ftz)
        pick_y = (y < x) if is_min else (y > x)
        zeros = (x == 0) & (y == 0)
        pick_y |= zeros & (np.signbit(y) if is_min else ~np.signbit(y))
        pick_y = (pick_y | np.isnan(x)) & ~np.isnan(y)
        out = np.where(pick_y, yb, xb)
        if xorsign:
            out = out | sign
        both = np.isnan(x) & np.isnan(y)
        bad = (np.isnan(x) | np.isnan(y)) if nan_mode else both
        return np.where(bad, np.uint16(0x7FFF), out)

    return lift(one, x2)


def unary(ins: Instruction) -> Compute:
    """ex2.approx{.ftz}.{f16,f16x2,bf16,bf16x2} (ISA: max relative error 2^-9.9 for f16)
    and tanh.approx.{f16,f16x2,bf16,bf16x2} (ISA: max relative error 2^-8 or so), computed
    in float64 and rounded to nearest."""
    fmt, x2 = _type(ins)
    fn = {"ex2": np.exp2, "tanh": np.tanh}.get(ins.opcode)
    if fn is None:
        raise NotSupported(ins)
    ftz = "ftz" in ins.mods

    def one(b: Any) -> Any:
        with np.errstate(all="ignore"):
            return nm.round_to(fn(_values(b, fmt, ftz)), fmt, ftz=ftz).astype(np.uint16)

    return lift(one, x2)
