"""Comparison and selection: setp, set, selp, slct, testp (PTX ISA "Comparison and
Selection Instructions"), including f16/bf16 and their x2 packed forms."""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import numeric as nm
from ..ptx.ir import Imm, Instruction, Pair
from .table import Compute, NotSupported, Registry

FAMILY = Registry()

_CMP = {"eq", "ne", "lt", "le", "gt", "ge", "lo", "ls", "hi", "hs",
        "equ", "neu", "ltu", "leu", "gtu", "geu", "num", "nan"}  # fmt: skip
_BOOL = {"and": np.logical_and, "or": np.logical_or, "xor": np.logical_xor}
_PACKED = {"f16x2": "f16", "bf16x2": "bf16"}


def _pred(x: Any) -> Any:
    return np.asarray(x.value != 0) if isinstance(x, Imm) else np.asarray(x, bool)


def _values(x: Any, t: str, ftz: bool) -> Any:
    v = nm.typed(x, t)
    if ftz and t in ("f32", "f16"):
        v = nm.flush(v)
    return v


def comparator(ins: Instruction, t: str, cmp: str) -> Any:
    """(a, b) -> bool array: ``a cmp b`` read as type ``t`` (one half for packed types).

    Floats: ordered ops (eq, ne, lt...) are false when either is NaN, the ``u`` ops
    (equ, neu, ltu...) true; num = neither NaN, nan = either NaN. Integers: lt/le/gt/ge
    by the type's signedness, lo/ls/hi/hs unsigned.
    """
    ftz = "ftz" in ins.mods
    if nm.is_float(t):
        ordered = cmp.rstrip("u") if cmp in ("equ", "neu", "ltu", "leu", "gtu", "geu") else cmp
        if ordered not in ("eq", "ne", "lt", "le", "gt", "ge", "num", "nan"):
            raise NotSupported(ins, f"{cmp} on floats")
        fn = {"eq": np.equal, "ne": np.not_equal, "lt": np.less, "le": np.less_equal,
              "gt": np.greater, "ge": np.greater_equal}.get(ordered)  # fmt: skip
        unordered_true = ordered != cmp

        def run_f(a: Any, b: Any) -> Any:
            x, y = _values(a, t, ftz), _values(b, t, ftz)
            un = np.isnan(x) | np.isnan(y)
            if cmp == "num":
                return ~un
            if cmp == "nan":
                return un
            assert fn is not None
            r = fn(x, y)
            return (r | un) if unordered_true else (r & ~un)

        return run_f
    if cmp not in ("eq", "ne", "lt", "le", "gt", "ge", "lo", "ls", "hi", "hs"):
        raise NotSupported(ins, f"{cmp} on integers")
    uns = cmp in ("lo", "ls", "hi", "hs") or not nm.is_signed(t)
    op = {"lo": "lt", "ls": "le", "hi": "gt", "hs": "ge"}.get(cmp, cmp)
    fn = {"eq": np.equal, "ne": np.not_equal, "lt": np.less, "le": np.less_equal,
          "gt": np.greater, "ge": np.greater_equal}[op]  # fmt: skip
    if uns:
        return lambda a, b: fn(nm.unsigned(a, t), nm.unsigned(b, t))
    return lambda a, b: fn(nm.signed(a, t), nm.signed(b, t))


def _half(x: Any, i: int) -> Any:
    if isinstance(x, Imm):
        x = nm.bits(x, 32)
    return ((nm.bits(x, 32) >> np.uint32(16 * i)) & np.uint32(0xFFFF)).astype(np.uint16)


def _decode(ins: Instruction) -> tuple[str, str, Any]:
    cmp = next((m for m in ins.mods if m in _CMP), None)
    if cmp is None:
        raise NotSupported(ins, "missing comparison operator")
    boolop = next((m for m in ins.mods if m in _BOOL), None)
    return cmp, boolop or "", _BOOL.get(boolop or "")


@FAMILY.elementwise("setp")
def setp(ins: Instruction) -> Compute:
    """``setp.CmpOp{.BoolOp}{.ftz}.type p[|q], a, b{, {!}c}``: p = (a CmpOp b) BoolOp c,
    q = !(a CmpOp b) BoolOp c. For f16x2/bf16x2, p is the lower half's result, q the upper."""
    cmp, _, combine = _decode(ins)
    t = nm.find_type(ins.mods)
    if t is None:
        raise NotSupported(ins, "missing type")
    pair = isinstance(ins.operands[0], Pair)
    if t in _PACKED:
        if not pair:
            raise NotSupported(ins, "setp on a packed type writes p|q")
        half = comparator(ins, _PACKED[t], cmp)

        def run_x2(a: Any, b: Any, *c: Any) -> tuple[Any, Any]:
            lo, hi = half(_half(a, 0), _half(b, 0)), half(_half(a, 1), _half(b, 1))
            if combine is not None:
                lo, hi = combine(lo, _pred(c[0])), combine(hi, _pred(c[0]))
            return lo, hi

        return run_x2
    base = comparator(ins, t, cmp)

    def run(a: Any, b: Any, *c: Any) -> Any:
        r = base(a, b)
        if combine is None:
            return (r, ~r) if pair else r
        cc = _pred(c[0])
        p = combine(r, cc)
        return (p, combine(~r, cc)) if pair else p

    return run


@FAMILY.elementwise("set")
def set_(ins: Instruction) -> Compute:
    """``set.CmpOp{.BoolOp}{.ftz}.dtype.stype d, a, b{, c}``: d = 0xFFFFFFFF (u32/s32) or
    1.0f (f32) when true, 0 otherwise. Packed f16x2/bf16x2 sources compare per half, giving
    per half 1.0 (dtype f16x2/bf16x2) or 0xFFFF (u32/s32)."""
    cmp, _, combine = _decode(ins)
    types = nm.types_in(ins.mods)
    if len(types) < 2:
        raise NotSupported(ins, "set needs dtype and stype")
    dtype, stype = types[0], types[1]
    if stype in _PACKED:
        half = comparator(ins, _PACKED[stype], cmp)
        true = {"f16x2": 0x3C00, "bf16x2": 0x3F80}.get(dtype, 0xFFFF)

        def run_x2(a: Any, b: Any, *c: Any) -> Any:
            out = np.uint32(0)
            for i in range(2):
                r = half(_half(a, i), _half(b, i))
                if combine is not None:
                    r = combine(r, _pred(c[0]))
                out = out | (np.where(r, np.uint32(true), np.uint32(0)) << np.uint32(16 * i))
            return out

        return run_x2
    base = comparator(ins, stype, cmp)
    true_bits = {"f32": 0x3F800000, "f16": 0x3C00, "bf16": 0x3F80}.get(dtype, 0xFFFFFFFF)

    def run(a: Any, b: Any, *c: Any) -> Any:
        r = base(a, b)
        if combine is not None:
            r = combine(r, _pred(c[0]))
        return np.where(r, np.uint32(true_bits), np.uint32(0))

    return run


@FAMILY.elementwise("selp")
def selp(ins: Instruction) -> Compute:
    """``selp.type d, a, b, c``: d = c ? a : b."""
    t = nm.find_type(ins.mods)
    if t is None:
        raise NotSupported(ins, "missing type")
    w = nm.width(t)
    return lambda a, b, c: np.where(_pred(c), nm.bits(a, w, t), nm.bits(b, w, t))


@FAMILY.elementwise("slct")
def slct(ins: Instruction) -> Compute:
    """``slct{.ftz}.dtype.{s32,f32} d, a, b, c``: d = (c >= 0) ? a : b; -0.0 counts as
    >= 0, a NaN c selects b (our choice: the comparison is false); .ftz flushes c."""
    types = nm.types_in(ins.mods)
    if len(types) < 2:
        raise NotSupported(ins, "slct needs dtype and ctype")
    dt, ct = types[0], types[1]
    w = nm.width(dt)
    ftz = "ftz" in ins.mods

    def run(a: Any, b: Any, c: Any) -> Any:
        cv = _values(c, ct, ftz)
        return np.where(cv >= 0, nm.bits(a, w, dt), nm.bits(b, w, dt))

    return run


@FAMILY.elementwise("testp")
def testp(ins: Instruction) -> Compute:
    """``testp.op.{f32,f64} p, a``: finite, infinite, number (not NaN), notanumber, normal
    (finite, nonzero, not subnormal), subnormal (nonzero, below the smallest normal)."""
    t = nm.find_type(ins.mods)
    op = next((m for m in ins.mods if m in ("finite", "infinite", "number", "notanumber",
                                            "normal", "subnormal")), None)  # fmt: skip
    if t not in ("f32", "f64") or op is None:
        raise NotSupported(ins, "testp needs an op and f32/f64")

    def run(a: Any) -> Any:
        v = nm.typed(a, t)
        tiny = np.finfo(v.dtype).tiny
        mag = np.abs(v)
        return {
            "finite": lambda: np.isfinite(v),
            "infinite": lambda: np.isinf(v),
            "number": lambda: ~np.isnan(v),
            "notanumber": lambda: np.isnan(v),
            "normal": lambda: np.isfinite(v) & (mag >= tiny),
            "subnormal": lambda: (mag > 0) & (mag < tiny),
        }[op]()

    return run


OPCODES = FAMILY.table
