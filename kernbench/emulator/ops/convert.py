"""``cvt``: conversions among integers, f64, f32, f16, bf16, tf32, e4m3 and e5m2 (PTX ISA
"cvt"), bit-exact in every rounding mode.

* int -> int: sign/zero-extend or truncate; ``.sat`` clamps to the destination range.
* float -> int (``.rni .rzi .rmi .rpi``): round to an integer, clamp to the destination
  range (the ISA's default for float -> int), NaN -> 0.
* int -> float and float -> float (``.rn .rz .rm .rp``, ``.rna`` for tf32): one rounding of
  the exact value; widening is exact and keeps NaN payloads; narrowing gives the
  format's canonical NaN. Same-size float with an integer mode (``cvt.rni.f32.f32``)
  rounds to an integral value.
* ``.ftz`` flushes f32 subnormal inputs and results; ``.sat`` clamps float results to
  [0, 1]; ``.relu`` (f16/bf16/tf32/fp8) clamps negatives to +0; ``.satfinite`` clamps
  overflow (and infinities) to the largest finite value.
* packed: ``cvt.rn{.relu}{.satfinite}.{f16x2,bf16x2}.f32 d, a, b`` (a -> upper half),
  ``cvt.rn.satfinite{.relu}.{e4m3x2,e5m2x2}.f32 d, a, b`` (a -> upper byte),
  ``cvt.rn.satfinite{.relu}.{e4m3x2,e5m2x2}.f16x2 d, a``, ``cvt.rn{.relu}.f16x2.{e4m3x2,
  e5m2x2} d, a`` (exact).

Signed integer results are returned as signed numpy arrays so that the machine's
``astype`` to a wider register sign-extends (``cvt.s8.s32`` into a .b32 register), as the
ISA specifies for destinations wider than the instruction type.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import numeric as nm
from ..ptx.ir import Instruction
from .table import Compute, NotSupported, Registry

FAMILY = Registry()

_FRND = ("rn", "rz", "rm", "rp", "rna")
_IRND = {"rni": np.rint, "rzi": np.trunc, "rmi": np.floor, "rpi": np.ceil}
_SMALL = ("f16", "bf16", "tf32", "e4m3", "e5m2")


def _int_range(t: str) -> tuple[int, int]:
    w = nm.width(t)
    return (-(1 << (w - 1)), (1 << (w - 1)) - 1) if nm.is_signed(t) else (0, (1 << w) - 1)


def _as_dest_int(v: Any, t: str) -> Any:
    """Python-range int64/uint64 values already in range -> the destination's dtype."""
    w = nm.width(t)
    return np.asarray(v).astype(nm.SINT[w] if nm.is_signed(t) else nm.UINT[w])


def _exact_f64(x: Any, t: str) -> tuple[Any, Any]:
    """An integer operand as (float64 RN value, sign of the error) for exact rounding."""
    if nm.width(t) < 64:
        return nm.int_value(x, t).astype(np.float64), None
    v = nm.int_value(x, t)
    hi = (v >> (np.int64(32) if v.dtype == np.int64 else np.uint64(32))).astype(np.float64)
    lo = (v & v.dtype.type(0xFFFFFFFF)).astype(np.float64)
    s, e = nm.two_sum(hi * 2.0**32, lo)
    return s, e


def _float_in(x: Any, t: str, ftz: bool) -> Any:
    v = nm.typed(x, t)
    if ftz and t == "f32":
        v = nm.flush(v)
    return v


def _to_float(
    val: Any, err: Any, dt: str, mode: str, ftz: bool, sat: bool, relu: bool, satfinite: bool
) -> Any:
    """float64 value (+ error sign, or None if exact) -> raw bits of float type ``dt``."""
    if sat:
        val = np.where(np.isnan(val), 0.0, np.clip(val, 0.0, 1.0) + 0.0)
        # clipping an inexact value: the error only matters strictly inside (0, 1)
        if err is not None:
            err = np.where((val > 0) & (val < 1), err, 0.0)
    if dt == "f64":
        r = np.asarray(val, np.float64)
        if err is not None:
            r = nm.directed_f64(r, err, mode if mode != "rna" else "rn")
        return r.view(np.uint64)
    if err is not None:
        val = nm.to_odd(val, err)
    # .ftz concerns f32 values only (inputs already flushed): an f16/bf16 subnormal stays
    bits = nm.round_to(val, dt, mode, ftz=ftz and dt == "f32", relu=relu, satfinite=satfinite)
    return bits.astype(nm.UINT[nm.width(dt)])


@FAMILY.elementwise("cvt")
def cvt(ins: Instruction) -> Compute:
    if "pack" in ins.mods:
        return _cvt_pack(ins)
    if "rs" in ins.mods:
        raise NotSupported(ins, "stochastic rounding (.rs)")
    types = nm.types_in(ins.mods)
    if len(types) != 2:
        raise NotSupported(ins, "cvt needs a destination and a source type")
    dt, st = types
    frnd = next((m for m in ins.mods if m in _FRND), None)
    irnd = next((m for m in ins.mods if m in _IRND), None)
    ftz = "ftz" in ins.mods
    sat = "sat" in ins.mods
    relu = "relu" in ins.mods
    satfinite = "satfinite" in ins.mods
    if dt.endswith("x2") or st.endswith("x2"):
        return _packed(ins, dt, st, frnd or "rn", relu, satfinite)
    d_float, s_float = nm.is_float(dt), nm.is_float(st)

    if not d_float and not s_float:  # int -> int
        lo, hi = _int_range(dt)
        w = nm.width(dt)

        def int_int(a: Any) -> Any:
            v = nm.int_value(a, st)  # extension follows the source's signedness
            if sat:
                if st == "u64":
                    v = np.minimum(v, np.uint64(min(hi, 2**64 - 1)))
                else:
                    v = np.clip(v.astype(np.int64), max(lo, -(2**63)), min(hi, 2**63 - 1))
            return np.asarray(v).astype(nm.SINT[w] if nm.is_signed(dt) else nm.UINT[w])

        return int_int

    if s_float and not d_float:  # float -> int
        if irnd is None:
            raise NotSupported(ins, "float -> int needs .rni/.rzi/.rmi/.rpi")
        fn = _IRND[irnd]
        lo, hi = _int_range(dt)

        def float_int(a: Any) -> Any:
            with np.errstate(all="ignore"):
                v = fn(_float_in(a, st, ftz).astype(np.float64))
                nan = np.isnan(v)
                low = v <= lo
                high = v >= float(hi)  # hi + 1 for 64-bit types: >= is the overflow test
                safe = np.where(nan | low | high, 0.0, v)
                big = nm.SINT[64] if nm.is_signed(dt) else nm.UINT[64]
                out = safe.astype(big)
                out = np.where(low, big(lo), out)
                out = np.where(high, big(hi), out)
                out = np.where(nan, big(0), out)
            return _as_dest_int(out, dt)

        return float_int

    plain = not (ftz or sat or relu or satfinite)
    if not s_float:  # int -> float
        mode = frnd or "rn"
        if plain and mode == "rn" and nm.width(st) <= 32 and dt in ("f32", "f64"):
            # one IEEE rounding (32-bit ints are exact in float64): numpy's cast is it
            fdt = np.float32 if dt == "f32" else np.float64
            return lambda a: nm.int_value(a, st).astype(fdt).view(nm.UINT[nm.width(dt)])

        def int_float(a: Any) -> Any:
            with np.errstate(all="ignore"):
                val, err = _exact_f64(a, st)
                return _to_float(val, err, dt, mode, ftz, sat, relu, satfinite)

        return int_float

    # float -> float
    if irnd is not None:  # round to integral, same format
        fn = _IRND[irnd]

        def integral(a: Any) -> Any:
            with np.errstate(all="ignore"):
                v = fn(_float_in(a, st, ftz).astype(np.float64))
                return _to_float(v, None, dt, "rn", ftz, sat, relu, satfinite)

        return integral
    mode = frnd or "rn"
    widening = nm.width(dt) > nm.width(st) or (dt == st) or (st == "f16" and dt == "f32")
    if st in ("bf16", "tf32") and dt in ("f32", "f64"):
        widening = True

    if plain and mode == "rn" and st == "f32" and dt == "bf16":
        return lambda a: nm.f32_to_bf16_rn(nm.bits(a, 32))
    if plain and mode == "rn" and st == "f32" and dt == "f16":
        return lambda a: nm.f32_to_f16_rn(nm.typed(a, "f32"))
    if plain and mode == "rn" and st == "f64" and dt == "f32":
        return lambda a: nm.f64_to_f32_rn(nm.typed(a, "f64"))

    def float_float(a: Any) -> Any:
        with np.errstate(all="ignore"):
            v = _float_in(a, st, ftz)
            if widening and not sat and not relu and dt in ("f32", "f64"):
                # exact; NaN payloads carried over
                if st == "bf16" and dt == "f32" and not ftz:
                    return nm.bits(a, 16).astype(np.uint32) << np.uint32(16)
                r = np.asarray(v).astype(np.float32 if dt == "f32" else np.float64)
                if ftz and dt == "f32":
                    r = nm.flush(r)
                return r.view(np.uint32 if dt == "f32" else np.uint64)
            val = np.asarray(v).astype(np.float64)
            return _to_float(val, None, dt, mode, ftz, sat, relu, satfinite)

    return float_float


def _packed(ins: Instruction, dt: str, st: str, mode: str, relu: bool, sf: bool) -> Compute:
    """Packed cvt forms; element 0 in the low bits, the first source in the high bits."""
    base = {"f16x2": "f16", "bf16x2": "bf16", "e4m3x2": "e4m3", "e5m2x2": "e5m2"}
    if dt in base and st == "f32":
        f = base[dt]
        k = 16 if f in ("f16", "bf16") else 8
        dtype = nm.UINT[2 * k]

        if mode == "rn" and not (relu or sf) and f in ("bf16", "f16"):
            if f == "bf16":
                one: Any = lambda x: nm.f32_to_bf16_rn(nm.bits(x, 32))  # noqa: E731
            else:
                one = lambda x: nm.f32_to_f16_rn(nm.typed(x, "f32"))  # noqa: E731
            return lambda a, b: (one(a).astype(np.uint32) << np.uint32(16)) | one(b)

        def pair(a: Any, b: Any) -> Any:
            with np.errstate(all="ignore"):
                hi = nm.round_to(nm.typed(a, "f32").astype(np.float64), f, mode,
                                 relu=relu, satfinite=sf)  # fmt: skip
                lo = nm.round_to(nm.typed(b, "f32").astype(np.float64), f, mode,
                                 relu=relu, satfinite=sf)  # fmt: skip
            return (hi.astype(dtype) << dtype(k)) | lo.astype(dtype)

        return pair
    if dt in ("e4m3x2", "e5m2x2") and st == "f16x2":
        f = base[dt]

        def narrow(a: Any) -> Any:
            v = nm.bits(a, 32)
            out = np.uint16(0)
            for i in range(2):
                h = ((v >> np.uint32(16 * i)) & np.uint32(0xFFFF)).astype(np.uint16)
                x = nm.decode(h, "f16").astype(np.float64)
                b = nm.round_to(x, f, mode, relu=relu, satfinite=sf).astype(np.uint16)
                out = out | (b << np.uint16(8 * i))
            return out

        return narrow
    if dt == "f16x2" and st in ("e4m3x2", "e5m2x2"):
        f = base[st]

        def widen(a: Any) -> Any:
            v = nm.bits(a, 16)
            out = np.uint32(0)
            for i in range(2):
                byte = (v >> np.uint16(8 * i)) & np.uint16(0xFF)
                x = nm.decode(byte, f).astype(np.float64)
                h = nm.round_to(x, "f16", "rn", relu=relu).astype(np.uint32)
                out = out | (h << np.uint32(16 * i))
            return out

        return widen
    raise NotSupported(ins, f"cvt.{dt}.{st}")


_PACK_TYPES = {"u16": 16, "s16": 16, "u8": 8, "s8": 8, "u4": 4, "s4": 4, "u2": 2, "s2": 2}


def _cvt_pack(ins: Instruction) -> Compute:
    """``cvt.pack.sat.T.s32 d, a, b`` (T = u16/s16) and ``cvt.pack.sat.T.s32.b32 d, a, b, c``
    (T = u8/s8/u4/s4/u2/s2): a and b clamp to T's range; d = a in bits [2N-1:N], b in
    [N-1:0], and (4-operand form) c's low bits above them: d = c << 2N | a << N | b."""
    conv = next((m for m in ins.mods if m in _PACK_TYPES), None)
    if conv is None:
        raise NotSupported(ins, "cvt.pack needs a u16/s16/u8/s8/u4/s4/u2/s2 type")
    n = _PACK_TYPES[conv]
    lo, hi = (-(1 << (n - 1)), (1 << (n - 1)) - 1) if conv[0] == "s" else (0, (1 << n) - 1)
    fmask = np.int64((1 << n) - 1)

    def field(x: Any) -> Any:
        return np.clip(nm.signed(x, "s32").astype(np.int64), lo, hi) & fmask

    def run(a: Any, b: Any, *c: Any) -> Any:
        d = (field(a) << np.int64(n)) | field(b)
        if c and 2 * n < 32:
            d = d | (nm.bits(c[0], 32).astype(np.int64) << np.int64(2 * n))
        return (d & np.int64(0xFFFFFFFF)).astype(np.uint32)

    return run


OPCODES = FAMILY.table
