"""Integer arithmetic (PTX ISA "Integer Arithmetic Instructions"), bit-exact.

Wrapping arithmetic is done on unsigned views (two's complement makes signed and unsigned
add/sub/mul.lo the same bits); products that need high bits widen to 64 bits, or split into
32-bit halves for 64x64 -> 128.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import numeric as nm
from ..ptx.ir import Instruction
from .bits import FAMILY as BITS
from .table import Compute, NotSupported, Registry, type_of

FAMILY = Registry()

U32 = np.uint32(0xFFFFFFFF)


def _no_carry(ins: Instruction) -> None:
    if "cc" in ins.mods:
        raise NotSupported(ins, "carry flag (.cc) is machine state")


def _sat32(v: Any) -> Any:
    return np.clip(v, -(2**31), 2**31 - 1).astype(np.int32).view(np.uint32)


def mul_hi64(a: Any, b: Any, signed: bool) -> Any:
    """High 64 bits of the 128-bit product of two 64-bit values (uint64 result bits)."""
    ua, ub = nm.bits(a, 64), nm.bits(b, 64)
    m32 = np.uint64(0xFFFFFFFF)
    s32 = np.uint64(32)
    a0, a1 = ua & m32, ua >> s32
    b0, b1 = ub & m32, ub >> s32
    p00, p01, p10, p11 = a0 * b0, a0 * b1, a1 * b0, a1 * b1
    mid = (p00 >> s32) + (p01 & m32) + (p10 & m32)
    hi = p11 + (p01 >> s32) + (p10 >> s32) + (mid >> s32)
    if signed:  # (a - 2^64 [a<0]) * (b - 2^64 [b<0]): subtract b, a from the high word
        hi = hi - np.where(ua >> np.uint64(63), ub, np.uint64(0))
        hi = hi - np.where(ub >> np.uint64(63), ua, np.uint64(0))
    return hi


def _product(t: str, part: str) -> Any:
    """(a, b) -> the ``part`` (lo, hi, wide) of a*b as raw bits (wide: 2N bits)."""
    w = nm.width(t)
    s = nm.is_signed(t)
    dt = nm.UINT[w]
    if part == "lo":
        return lambda a, b: nm.bits(a, w, t) * nm.bits(b, w, t)
    if w == 64:
        if part == "wide":
            raise ValueError("no 128-bit wide product")
        return lambda a, b: mul_hi64(nm.bits(a, 64, t), nm.bits(b, 64, t), s)
    big = np.int64 if s else np.uint64

    def full(a: Any, b: Any) -> Any:
        return nm.int_value(a, t).astype(big) * nm.int_value(b, t).astype(big)

    if part == "wide":
        return lambda a, b: full(a, b).view(np.uint64).astype(nm.UINT[2 * w])
    return lambda a, b: (full(a, b) >> big(w)).astype(nm.SINT[w] if s else dt).view(dt)


@FAMILY.elementwise("add", "sub")
def add_sub(ins: Instruction) -> Compute | None:
    """``add/sub{.sat}.type``: wrap modulo 2^N; ``.sat`` (s32 only) clamps to the s32 range."""
    t = type_of(ins)
    if nm.is_float(t) or t in ("f16x2", "bf16x2"):
        from . import floating, packed  # float add/sub share the opcode

        return (packed if t in ("f16", "bf16", "f16x2", "bf16x2") else floating).arith(ins)
    _no_carry(ins)
    if t in ("u16x2", "s16x2"):
        if "sat" in ins.mods:
            raise NotSupported(ins, ".sat on 16x2")
        return _simd16(ins, t, ins.opcode)
    w = nm.width(t)
    if "sat" in ins.mods:
        if t != "s32":
            raise NotSupported(ins, ".sat is for s32")
        op = np.add if ins.opcode == "add" else np.subtract
        return lambda a, b: _sat32(op(nm.signed(a, t).astype(np.int64), nm.signed(b, t)))
    if ins.opcode == "add":
        return lambda a, b: nm.bits(a, w, t) + nm.bits(b, w, t)
    return lambda a, b: nm.bits(a, w, t) - nm.bits(b, w, t)


def _simd16(ins: Instruction, t: str, op: str) -> Compute:
    """Two 16-bit lanes in a 32-bit register (``add.s16x2``, ``min.u16x2``...)."""
    h = "s16" if t == "s16x2" else "u16"
    relu = "relu" in ins.mods

    def halves(x: Any) -> tuple[Any, Any]:
        v = nm.bits(x, 32)
        lo = (v & np.uint32(0xFFFF)).astype(np.uint16)
        hi = (v >> np.uint32(16)).astype(np.uint16)
        return nm.int_value(lo, h), nm.int_value(hi, h)

    def lane(x: Any, y: Any) -> Any:
        if op == "add":
            r = x + y
        elif op == "sub":
            r = x - y
        elif op == "min":
            r = np.minimum(x, y)
        else:
            r = np.maximum(x, y)
        if relu:
            r = np.maximum(r, 0)
        return r.view(np.uint16).astype(np.uint32)

    def run(a: Any, b: Any) -> Any:
        (a0, a1), (b0, b1) = halves(a), halves(b)
        return lane(a0, b0) | (lane(a1, b1) << np.uint32(16))

    return run


@FAMILY.elementwise("mul")
def mul(ins: Instruction) -> Compute | None:
    """``mul{.hi,.lo,.wide}.type``: lo = low N bits, hi = high N bits of the 2N-bit
    product, wide = all 2N bits (16 and 32-bit types)."""
    t = type_of(ins)
    if nm.is_float(t) or t in ("f16x2", "bf16x2"):
        from . import floating, packed

        return (packed if t in ("f16", "bf16", "f16x2", "bf16x2") else floating).arith(ins)
    part = next((m for m in ins.mods if m in ("lo", "hi", "wide")), None)
    if part is None:
        raise NotSupported(ins, "integer mul needs .lo, .hi or .wide")
    if part == "wide" and nm.width(t) == 64:
        raise NotSupported(ins, "mul.wide of 64-bit types")
    return _product(t, part)


@FAMILY.elementwise("mad")
def mad(ins: Instruction) -> Compute | None:
    """``mad{.hi,.lo,.wide}{.sat}.type d, a, b, c``: the mul part plus c (c and d are 2N
    bits for .wide). ``mad.hi.sat.s32`` adds in full precision and clamps to s32."""
    t = type_of(ins)
    if nm.is_float(t) or t in ("f16x2", "bf16x2"):
        from . import floating, packed

        return (packed if t in ("f16", "bf16", "f16x2", "bf16x2") else floating).arith(ins)
    _no_carry(ins)
    part = next((m for m in ins.mods if m in ("lo", "hi", "wide")), None)
    if part is None:
        raise NotSupported(ins, "integer mad needs .lo, .hi or .wide")
    w = nm.width(t)
    if part == "wide" and w == 64:
        raise NotSupported(ins, "mad.wide of 64-bit types")
    prod = _product(t, part)
    if "sat" in ins.mods:
        if t != "s32" or part != "hi":
            raise NotSupported(ins, ".sat is for mad.hi.s32")
        return lambda a, b, c: _sat32(prod(a, b).view(np.int32).astype(np.int64) + nm.signed(c, t))
    cw = 2 * w if part == "wide" else w
    return lambda a, b, c: prod(a, b) + nm.bits(c, cw)


def _mul24(t: str, hi: bool) -> Any:
    s = t == "s32"

    def run(a: Any, b: Any) -> Any:
        x = nm.bits(a, 32).astype(np.int64) & 0xFFFFFF
        y = nm.bits(b, 32).astype(np.int64) & 0xFFFFFF
        if s:  # sign-extend the 24-bit operands
            x = np.where(x & 0x800000, x - (1 << 24), x)
            y = np.where(y & 0x800000, y - (1 << 24), y)
        p = x * y  # 48-bit product
        return ((p >> 16) if hi else p).astype(np.uint64).astype(np.uint32)

    return run


@FAMILY.elementwise("mul24")
def mul24(ins: Instruction) -> Compute:
    """``mul24.{lo,hi}.{u32,s32}``: product of the low 24 bits (sign-extended for s32);
    .lo = bits 31..0, .hi = bits 47..16 of the 48-bit product."""
    t = type_of(ins)
    return _mul24(t, "hi" in ins.mods)


@FAMILY.elementwise("mad24")
def mad24(ins: Instruction) -> Compute:
    """``mad24.{lo,hi}{.sat}.{u32,s32}``: mul24 plus c (``.sat`` only for hi.s32)."""
    t = type_of(ins)
    prod = _mul24(t, "hi" in ins.mods)
    if "sat" in ins.mods:
        if t != "s32":
            raise NotSupported(ins, "mad24.sat is for s32")
        return lambda a, b, c: _sat32(prod(a, b).view(np.int32).astype(np.int64) + nm.signed(c, t))
    return lambda a, b, c: prod(a, b) + nm.bits(c, 32)


@FAMILY.elementwise("sad")
def sad(ins: Instruction) -> Compute:
    """``sad.type d, a, b, c``: d = c + |a - b| (the difference taken in the type's sign)."""
    t = type_of(ins)
    w = nm.width(t)
    dt = nm.UINT[w]

    def run(a: Any, b: Any, c: Any) -> Any:
        x, y = nm.int_value(a, t), nm.int_value(b, t)
        diff = np.where(x < y, y.view(dt) - x.view(dt), x.view(dt) - y.view(dt))
        return nm.bits(c, w) + diff

    return run


@FAMILY.elementwise("div", "rem")
def div_rem(ins: Instruction) -> Compute | None:
    """``div/rem.type``: C semantics (quotient truncates toward zero, remainder takes the
    dividend's sign). Division by zero is unspecified in the ISA; here div gives all ones
    (-1 for signed), rem gives the dividend. INT_MIN / -1 wraps to INT_MIN, rem gives 0."""
    t = type_of(ins)
    if ins.opcode == "div" and nm.is_float(t):
        from . import floating

        return floating.div(ins)
    w = nm.width(t)
    dt = nm.UINT[w]
    is_div = ins.opcode == "div"

    if not nm.is_signed(t):

        def run_u(a: Any, b: Any) -> Any:
            x, y = nm.bits(a, w, t), nm.bits(b, w, t)
            zero = y == 0
            ys = np.where(zero, dt(1), y)
            if is_div:
                return np.where(zero, dt(~dt(0)), x // ys)
            return np.where(zero, x, x % ys)

        return run_u

    st = nm.SINT[w]

    def run_s(a: Any, b: Any) -> Any:
        x, y = nm.signed(a, t), nm.signed(b, t)
        zero = y == 0
        ovf = (y == -1) & (x == st(np.iinfo(st).min))
        ys = np.where(zero | ovf, st(1), y)
        ax, ay = np.abs(x).view(dt), np.abs(ys).view(dt)  # |INT_MIN| reads right unsigned
        q = ax // ay
        r = ax % ay
        neg_q = (x < 0) != (ys < 0)
        if is_div:
            qv = np.where(neg_q, dt(0) - q, q)
            qv = np.where(ovf, x.view(dt), qv)
            return np.where(zero, dt(~dt(0)), qv)
        rv = np.where(x < 0, dt(0) - r, r)
        rv = np.where(ovf, dt(0), rv)
        return np.where(zero, x.view(dt), rv)

    return run_s


@FAMILY.elementwise("abs", "neg")
def abs_neg(ins: Instruction) -> Compute | None:
    """``abs/neg.{s16,s32,s64}``: two's complement (abs(INT_MIN) = INT_MIN)."""
    t = type_of(ins)
    if nm.is_float(t) or t in ("f16x2", "bf16x2"):
        from . import floating, packed

        return (packed if t in ("f16", "bf16", "f16x2", "bf16x2") else floating).sign_op(ins)
    w = nm.width(t)
    dt = nm.UINT[w]
    if ins.opcode == "neg":
        return lambda a: dt(0) - nm.bits(a, w, t)
    return lambda a: np.where(nm.signed(a, t) < 0, dt(0) - nm.bits(a, w, t), nm.bits(a, w, t))


@FAMILY.elementwise("min", "max")
def min_max(ins: Instruction) -> Compute | None:
    """``min/max{.relu}.type``: by the type's signedness; ``.relu`` also clamps at 0."""
    t = type_of(ins)
    if nm.is_float(t) or t in ("f16x2", "bf16x2"):
        from . import floating, packed

        return (packed if t in ("f16", "bf16", "f16x2", "bf16x2") else floating).min_max(ins)
    if t in ("u16x2", "s16x2"):
        return _simd16(ins, t, ins.opcode)
    w = nm.width(t)
    fn = np.minimum if ins.opcode == "min" else np.maximum
    relu = "relu" in ins.mods
    dt = nm.UINT[w]

    def run(a: Any, b: Any) -> Any:
        r = fn(nm.int_value(a, t), nm.int_value(b, t))
        if relu:
            r = np.maximum(r, 0)
        return r.view(dt) if r.dtype != dt else r

    return run


@FAMILY.elementwise("dp4a")
def dp4a(ins: Instruction) -> Compute:
    """``dp4a.atype.btype d, a, b, c``: c + sum of the four byte products (bytes signed
    for .s32 types); d is s32 unless both are u32 (same bits either way, mod 2^32)."""
    ta, tb = nm.types_in(ins.mods)[:2]

    def split(x: Any, t: str) -> list[Any]:
        v = nm.bits(x, 32)
        out = []
        for i in range(4):
            byte = ((v >> np.uint32(8 * i)) & np.uint32(0xFF)).astype(np.int64)
            out.append(np.where(byte >= 128, byte - 256, byte) if t == "s32" else byte)
        return out

    def run(a: Any, b: Any, c: Any) -> Any:
        acc = nm.bits(c, 32).astype(np.int64)
        for x, y in zip(split(a, ta), split(b, tb), strict=True):
            acc = acc + x * y
        return acc.astype(np.uint64).astype(np.uint32)

    return run


@FAMILY.elementwise("dp2a")
def dp2a(ins: Instruction) -> Compute:
    """``dp2a.{lo,hi}.atype.btype d, a, b, c``: c + a.h0*b.byte(k) + a.h1*b.byte(k+1),
    with k = 0 (.lo) or 2 (.hi); a holds two 16-bit values, b four bytes."""
    ta, tb = nm.types_in(ins.mods)[:2]
    k = 2 if "hi" in ins.mods else 0

    def run(a: Any, b: Any, c: Any) -> Any:
        va, vb = nm.bits(a, 32), nm.bits(b, 32)
        acc = nm.bits(c, 32).astype(np.int64)
        for i in range(2):
            h = ((va >> np.uint32(16 * i)) & np.uint32(0xFFFF)).astype(np.int64)
            if ta == "s32":
                h = np.where(h >= 1 << 15, h - (1 << 16), h)
            y = ((vb >> np.uint32(8 * (k + i))) & np.uint32(0xFF)).astype(np.int64)
            if tb == "s32":
                y = np.where(y >= 128, y - 256, y)
            acc = acc + h * y
        return acc.astype(np.uint64).astype(np.uint32)

    return run


@FAMILY.elementwise("addc", "subc", "madc")
def with_carry(ins: Instruction) -> Compute:
    """The extended-precision forms read and write the condition-code carry, machine state
    an elementwise function cannot hold: refused at load time with that reason."""
    raise NotSupported(ins, "carry flag (CC.CF) is machine state, not modelled")


# Bit counting and bit-field ops live in .bits; they belong to this family's table.
OPCODES = {**FAMILY.table, **BITS.table}
