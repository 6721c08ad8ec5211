"""f32 and f64 arithmetic (PTX ISA "Floating-Point Instructions"), bit-exact where defined.

Round to nearest even uses numpy's IEEE float32/float64 arithmetic where that is one
rounding of the exact value (add, sub, mul, div, sqrt). Directed rounding (.rz, .rm, .rp)
and fma take the exact value's rounding error from error-free transforms
(:func:`~kernbench.emulator.numeric.two_sum`, :func:`~kernbench.emulator.numeric.two_prod`):
for f32 the float64 result rounded to odd is rounded once more to f32; for f64 the RN
result steps one ulp toward the exact value. float64 lanes outside the transforms' range
(near overflow or underflow) fall back to exact rationals, one lane at a time.

f32 results that are NaN are the canonical 0x7FFFFFFF; f64 NaN keeps numpy's payload.
Approximate ops are computed in float64 and rounded to nearest (well inside each bound the
ISA states, noted per op).

``add``, ``sub``, ``mul``, ``mad``, ``div``, ``abs``, ``neg``, ``min``, ``max`` are registered by
:mod:`.integer` (one opcode, every type) and call :func:`arith`, :func:`div`,
:func:`sign_op` and :func:`min_max` here for float types.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import numpy as np

from .. import numeric as nm
from ..ptx.ir import Instruction
from .float64 import f64_add, f64_div, f64_fma, f64_mul, f64_sqrt
from .table import Compute, NotSupported, Registry, type_of

FAMILY = Registry()

_ROUND = ("rn", "rz", "rm", "rp")


def quiet(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Silence numpy's floating-point warnings (inf - inf and the like are the point)."""

    @functools.wraps(fn)
    def run(*args: Any) -> Any:
        with np.errstate(all="ignore"):
            return fn(*args)

    return run


def _mode(ins: Instruction, default: str = "rn") -> str:
    return next((m for m in ins.mods if m in _ROUND), default)


# ------------------------------------------------------------------ f32 via float64


def f32_round(x: Any, err: Any, mode: str) -> Any:
    """float64 RN value ``x`` of an exact result whose error has sign ``err`` -> f32 bits."""
    odd = x if err is None else nm.to_odd(x, err)
    if mode == "rn":  # numpy's float64 -> float32 cast rounds to nearest even (subnormals too)
        return nm.as_f32_bits(np.asarray(odd, np.float64).astype(np.float32))
    return nm.round_to(odd, "f32", mode).astype(np.uint32)


def _f32_post(bits: Any, ftz: bool, sat: bool) -> Any:
    if not (ftz or sat):
        return bits
    v = np.asarray(bits, np.uint32).view(np.float32)
    if ftz:
        v = nm.flush(v)
    if sat:
        v = nm.saturate(v)
    return nm.as_f32_bits(v)


def _f32_exact(op: str, mode: str, a: Any, b: Any = None, c: Any = None) -> tuple[Any, Any]:
    """(float64 RN of the exact f32-input result, sign of its error or None when exact)."""
    x: Any = np.asarray(a, np.float64)  # (0.0 + a would turn -0 into +0)
    y: Any = None if b is None else np.asarray(b, np.float64)
    if op in ("add", "sub"):
        y = y if op == "add" else -y
        s, e = nm.two_sum(x, y)
        return nm.rm_zero(s, x, y) if mode == "rm" else s, np.where(np.isfinite(s), e, 0.0)
    if op == "mul":
        return x * y, None  # 24 x 24 bits: exact in float64
    if op == "fma":
        p = x * y  # exact
        z = np.asarray(c, np.float64)
        s, e = nm.two_sum(p, z)
        return nm.rm_zero(s, p, z) if mode == "rm" else s, np.where(np.isfinite(s), e, 0.0)
    if op == "div":
        q = x / y
        ok = np.isfinite(q) & (q != 0) & np.isfinite(y)
        p, e = nm.two_prod(q, y)
        return q, np.where(ok, np.sign((x - p) - e) * np.sign(y), 0.0)
    if op == "sqrt":
        r = np.sqrt(x)
        ok = np.isfinite(r) & (r > 0)
        p, e = nm.two_prod(r, r)
        return r, np.where(ok, np.sign((x - p) - e), 0.0)
    raise ValueError(op)


_MID29 = np.uint64(1 << 28)
_LOW29 = np.uint64((1 << 29) - 1)


def _fma_rn_f32(a: Any, b: Any, c: Any) -> Any:
    """fma.rn.f32: the product is exact in float64, the float64 sum is one rounding, and the
    cast to f32 a second one, which can only err when the sum sits exactly on an f32
    midpoint (low 29 bits = 1000...0) or in f32's subnormal range; those lanes take the
    round-to-odd path."""
    p = a.astype(np.float64) * b
    s = p + c
    bits = np.asarray(s).view(np.uint64)
    sus = ((bits & _LOW29) == _MID29) | ((np.abs(s) < 2.0**-125) & (s != 0))
    fast = nm.as_f32_bits(np.asarray(s).astype(np.float32))
    if not np.any(sus):
        return fast
    a, b, c, fast = np.broadcast_arrays(a, b, c, fast)
    fast = fast.copy()
    idx = np.nonzero(sus)
    x, err = _f32_exact("fma", "rn", a[idx], b[idx], c[idx])
    fast[idx] = f32_round(x, err, "rn")
    return fast


def _f32_op(ins: Instruction, op: str, nargs: int) -> Compute:
    mode = _mode(ins)
    ftz = "ftz" in ins.mods
    sat = "sat" in ins.mods

    @quiet
    def run(*args: Any) -> Any:
        vals = [nm.typed(a, "f32") for a in args[:nargs]]
        if ftz:
            vals = [nm.flush(v) for v in vals]
        if mode == "rn" and op in ("add", "sub", "mul", "div", "sqrt"):
            r = {
                "add": lambda: vals[0] + vals[1],
                "sub": lambda: vals[0] - vals[1],
                "mul": lambda: vals[0] * vals[1],
                "div": lambda: vals[0] / vals[1],
                "sqrt": lambda: np.sqrt(vals[0]),
            }[op]()
            out = nm.as_f32_bits(r)
        elif mode == "rn" and op == "fma":
            out = _fma_rn_f32(*vals)
        else:
            x, err = _f32_exact(op, mode, *vals)
            out = f32_round(x, err, mode)
        return _f32_post(out, ftz, sat)

    return run


def _f64_op(ins: Instruction, op: str) -> Compute:
    mode = _mode(ins)
    fn: Any = {"add": f64_add, "sub": lambda a, b, m: f64_add(a, -b, m), "mul": f64_mul,
          "fma": f64_fma, "div": f64_div, "sqrt": f64_sqrt}[op]  # fmt: skip

    @quiet
    def run(*args: Any) -> Any:
        return np.asarray(fn(*[nm.typed(a, "f64") for a in args], mode), np.float64).view(np.uint64)

    return run


def arith(ins: Instruction) -> Compute:
    """add, sub, mul, mad, fma on f32/f64 with .rn/.rz/.rm/.rp, .ftz and .sat (f32)."""
    t = type_of(ins)
    op = {"mad": "fma"}.get(ins.opcode, ins.opcode)
    if t == "f32":
        return _f32_op(ins, op, 3 if op == "fma" else 2)
    if t == "f64":
        if "sat" in ins.mods:
            raise NotSupported(ins, ".sat on f64")
        return _f64_op(ins, op)
    raise NotSupported(ins, f"{ins.opcode}.{t}")


@FAMILY.elementwise("fma")
def fma(ins: Instruction) -> Compute:
    """fma.{rn,rz,rm,rp}{.ftz}{.sat}.f32 and fma.{rn,...}.f64: one rounding of a*b + c."""
    t = type_of(ins)
    if t in ("f16", "bf16", "f16x2", "bf16x2"):
        from . import packed

        return packed.arith(ins)
    return arith(ins)


def div(ins: Instruction) -> Compute:
    """div.{rn,rz,rm,rp}.{f32,f64} exact; div.full.f32 (ISA: max 2 ulp error) and
    div.approx.f32 (ISA: max 2 ulp for 2^-126 <= |b| <= 2^126; 0 for larger |b|, NaN when
    a is also infinite) computed as the correctly rounded quotient, which meets both."""
    t = type_of(ins)
    ftz = "ftz" in ins.mods
    if t == "f64":
        return _f64_op(ins, "div")
    if t != "f32":
        raise NotSupported(ins, f"div.{t}")
    if "approx" in ins.mods or "full" in ins.mods:
        approx = "approx" in ins.mods

        @quiet
        def run(a: Any, b: Any) -> Any:
            x, y = nm.typed(a, "f32"), nm.typed(b, "f32")
            if ftz:
                x, y = nm.flush(x), nm.flush(y)
            r = (x.astype(np.float64) / y).astype(np.float32)
            if approx:
                huge = (np.abs(y) > 2.0**126) & np.isfinite(y)
                r = np.where(huge, np.where(np.isinf(x), np.nan, 0.0 * x * y), r)
            return _f32_post(nm.as_f32_bits(r), ftz, False)

        return run
    return _f32_op(ins, "div", 2)


@FAMILY.elementwise("sqrt")
def sqrt(ins: Instruction) -> Compute:
    """sqrt.{rn,rz,rm,rp}.{f32,f64} exact; sqrt.approx.f32 (ISA: max relative error 2^-23
    roughly) as the correctly rounded root."""
    t = type_of(ins)
    if t == "f64":
        return _f64_op(ins, "sqrt")
    if "approx" in ins.mods:
        return _approx(ins, np.sqrt)
    return _f32_op(ins, "sqrt", 1)


@FAMILY.elementwise("rcp")
def rcp(ins: Instruction) -> Compute:
    """rcp.{rn,rz,rm,rp}.{f32,f64} = exact 1/a in that mode; rcp.approx.f32 (ISA: max 1
    ulp) and rcp.approx.ftz.f64 (ISA: max relative error about 2^-20; ours is exact RN)."""
    t = type_of(ins)
    if "approx" in ins.mods:
        if t == "f64":

            @quiet
            def run64(a: Any) -> Any:
                v = nm.typed(a, "f64")
                v = np.where(np.abs(v) < np.finfo(np.float64).tiny, 0.0 * v, v)
                r = 1.0 / v
                r = np.where(np.abs(r) < np.finfo(np.float64).tiny, 0.0 * r, r)
                return np.asarray(r, np.float64).view(np.uint64)

            return run64
        return _approx(ins, lambda x: 1.0 / x)
    one = np.float32(1.0) if t == "f32" else np.float64(1.0)
    inner = div(ins)
    ones = np.array(one).view(np.uint32 if t == "f32" else np.uint64)
    return lambda a: inner(ones, a)


def _approx(ins: Instruction, fn: Callable[[Any], Any]) -> Compute:
    """An approx f32 op: fn in float64 on the (ftz-flushed) input, rounded to nearest f32,
    subnormal results flushed under .ftz."""
    ftz = "ftz" in ins.mods
    if type_of(ins) != "f32":
        raise NotSupported(ins, "approx ops here are f32")

    @quiet
    def run(a: Any) -> Any:
        x = nm.typed(a, "f32")
        if ftz:
            x = nm.flush(x)
        r = np.asarray(fn(x.astype(np.float64))).astype(np.float32)
        if ftz:
            r = nm.flush(r)
        return nm.as_f32_bits(r)

    return run


@FAMILY.elementwise("rsqrt")
def rsqrt(ins: Instruction) -> Compute:
    """rsqrt.approx.f32 (ISA: max relative error 2^-22.9); rsqrt.approx.ftz.f64 (exact
    RN here). rsqrt(+-0) = +-inf, rsqrt(negative) = NaN."""
    if type_of(ins) == "f64":

        @quiet
        def run64(a: Any) -> Any:
            v = nm.typed(a, "f64")
            v = np.where(np.abs(v) < np.finfo(np.float64).tiny, 0.0 * v, v)
            return np.asarray(1.0 / np.sqrt(v), np.float64).view(np.uint64)

        return run64
    return _approx(ins, lambda x: 1.0 / np.sqrt(x))


@FAMILY.elementwise("ex2")
def ex2(ins: Instruction) -> Compute:
    """ex2.approx{.ftz}.f32 (ISA: max relative error 2^-22 over the full range; ours is
    2^x rounded to nearest); f16/bf16 forms in :mod:`.packed`."""
    t = type_of(ins)
    if t != "f32":
        from . import packed

        return packed.unary(ins)
    return _approx(ins, np.exp2)


@FAMILY.elementwise("lg2")
def lg2(ins: Instruction) -> Compute:
    """lg2.approx{.ftz}.f32 (ISA: max absolute error 2^-22 in [0.5, 2], relative 2^-22
    elsewhere); lg2(0) = -inf, lg2(negative) = NaN."""
    return _approx(ins, np.log2)


@FAMILY.elementwise("sin", "cos")
def sin_cos(ins: Instruction) -> Compute:
    """sin/cos.approx{.ftz}.f32 (ISA: max absolute error 2^-20.5 in [-100pi, 100pi])."""
    return _approx(ins, np.sin if ins.opcode == "sin" else np.cos)


@FAMILY.elementwise("tanh")
def tanh(ins: Instruction) -> Compute:
    """tanh.approx.f32 (ISA: max relative error 2^-10.987, ours is exact RN); f16/bf16
    forms in :mod:`.packed`."""
    t = type_of(ins)
    if t != "f32":
        from . import packed

        return packed.unary(ins)
    return _approx(ins, np.tanh)


def sign_op(ins: Instruction) -> Compute:
    """abs/neg.{f32,f64}: clear or flip the sign bit (NaN payload kept); .ftz flushes a
    subnormal input to zero first."""
    t = type_of(ins)
    w = nm.width(t)
    dt = nm.UINT[w]
    sign = dt(1 << (w - 1))
    ftz = "ftz" in ins.mods and t == "f32"
    neg = ins.opcode == "neg"

    def run(a: Any) -> Any:
        v = nm.bits(a, w, t)
        if ftz:
            v = np.asarray(nm.flush(v.view(np.float32))).view(np.uint32)
        return (v ^ sign) if neg else (v & ~sign)

    return run


def min_max(ins: Instruction) -> Compute:
    """min/max{.ftz}{.NaN}{.xorsign.abs}.{f32,f64}: -0 < +0; one NaN operand gives the
    other, two give the canonical NaN; with .NaN any NaN operand gives the canonical NaN.
    ``.xorsign.abs``: the min/max of |a| and |b| with the sign bit sign(a) ^ sign(b) (a
    NaN result stays the canonical NaN, our reading)."""
    t = type_of(ins)
    ftz = "ftz" in ins.mods and t == "f32"
    nan_mode = "NaN" in ins.mods
    is_min = ins.opcode == "min"
    w = nm.width(t)
    canon = np.array(0x7FFFFFFF if w == 32 else 0x7FF8000000000000, nm.UINT[w])
    xorsign = "xorsign" in ins.mods
    sign_bit = np.array(1 << (w - 1), nm.UINT[w])

    @quiet
    def run(a: Any, b: Any, *more: Any) -> Any:
        vals = [nm.typed(x, t) for x in (a, b, *more)]
        if ftz:
            vals = [nm.flush(v) for v in vals]
        if xorsign:  # min/max of |a|, |b|, then the xor of their signs
            sign = (vals[0].view(nm.UINT[w]) ^ vals[1].view(nm.UINT[w])) & sign_bit
            vals = [np.abs(v) for v in vals]
        r = vals[0]
        anynan = np.isnan(r)
        for v in vals[1:]:
            anynan = anynan | np.isnan(v)
            pick_v = (v < r) if is_min else (v > r)
            zeros = (v == 0) & (r == 0)
            pick_v |= zeros & (np.signbit(v) if is_min else ~np.signbit(v))
            pick_v |= np.isnan(r)
            r = np.where(pick_v & ~np.isnan(v), v, r)
        out = r.view(nm.UINT[w])
        if xorsign:
            out = out | sign
        bad = anynan if nan_mode else np.isnan(r)
        return np.where(bad, canon, out)

    return run


@FAMILY.elementwise("copysign")
def copysign(ins: Instruction) -> Compute:
    """copysign.{f32,f64} d, a, b: b's magnitude with a's sign (raw bits)."""
    t = type_of(ins)
    w = nm.width(t)
    dt = nm.UINT[w]
    sign = dt(1 << (w - 1))
    return lambda a, b: (nm.bits(b, w, t) & ~sign) | (nm.bits(a, w, t) & sign)


OPCODES = FAMILY.table
