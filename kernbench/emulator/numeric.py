"""Bit-level numeric helpers shared by the elementwise families and the matrix ops.

Registers hold raw bits (``uint8/16/32/64`` arrays); instructions see typed values. Formats
and types are named as in PTX (``"f32"``, ``"bf16"``, ``"s32"``...).

Operands and types
    :func:`width`, :func:`is_signed`, :func:`is_float`, :func:`find_type`,
    :func:`types_in` decode modifiers. :func:`bits` (raw bits of a width, truncating or
    zero-extending a wider/narrower register; an ``Imm`` becomes a 0-d array),
    :func:`unsigned`, :func:`signed`, :func:`int_value`, :func:`typed` (the numpy value of a
    PTX type: f16 as float16, bf16/tf32/e4m3/e5m2 widened exactly to float32),
    :func:`imm_bits` (an immediate's bits for a type: ints wrap, ``0f``/``0d`` literals keep
    their bits, decimal floats round to nearest), :func:`decode` (small float bits ->
    float32), :func:`as_f32_bits` / :func:`as_f64_bits` (values -> bits; f32 NaN made
    canonical).

Rounding
    :func:`round_to`: float64 -> bits of f32, f16, bf16, tf32, e4m3 or e5m2 in rn, rna, rz,
    rm or rp, with ftz, relu, satfinite, overflow per mode and the format's canonical NaN.
    It is exact when the float64 holds the value exactly or rounded to odd
    (:func:`to_odd`): rounding to odd at 53 bits and then to p <= 51 bits is one correct
    rounding (Boldo-Melquiond), so directed rounding of an f32 op costs one float64
    operation plus the sign of its error. Fast round-to-nearest paths for the hot
    conversions: :func:`f32_to_bf16_rn`, :func:`f32_to_f16_rn`, :func:`f64_to_bf16_rn`,
    :func:`f64_to_f16_rn`, :func:`f64_to_f32_rn` (all tested equal to ``round_to``).
    :func:`two_sum` / :func:`two_prod`: error-free transforms (exact error of a float64 sum
    or product). :func:`directed_f64`: float64 rz/rm/rp from the RN result and its error's
    sign. :func:`rm_zero`: IEEE's -0 for exact zero sums rounded down.
    :func:`round_fraction_f64`: the exact slow path, one :class:`fractions.Fraction`.

Modifiers
    :func:`flush` (``.ftz``: subnormals -> signed zero), :func:`saturate` (``.sat``: clamp to
    [0, 1], NaN -> +0).

NaN conventions (DESIGN.md): f32 op results are the canonical NaN 0x7FFFFFFF, f16/bf16
0x7FFF, tf32 0x7FFFFFFF, e4m3/e5m2 0x7F; f64 results keep the payload numpy produces.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np

from .ptx.ir import Imm

Array = np.ndarray

UINT: dict[int, Any] = {8: np.uint8, 16: np.uint16, 32: np.uint32, 64: np.uint64}
SINT: dict[int, Any] = {8: np.int8, 16: np.int16, 32: np.int32, 64: np.int64}

_WIDTH = {
    "pred": 1,
    "b8": 8, "u8": 8, "s8": 8,
    "b16": 16, "u16": 16, "s16": 16, "f16": 16, "bf16": 16,
    "b32": 32, "u32": 32, "s32": 32, "f32": 32, "tf32": 32, "f16x2": 32, "bf16x2": 32,
    "u16x2": 32, "s16x2": 32,
    "b64": 64, "u64": 64, "s64": 64, "f64": 64,
    "b128": 128,
    "e4m3": 8, "e5m2": 8, "e4m3x2": 16, "e5m2x2": 16,
}  # fmt: skip

FLOAT_TYPES = frozenset({"f16", "bf16", "tf32", "f32", "f64", "e4m3", "e5m2"})
INT_TYPES = frozenset(
    {"u8", "u16", "u32", "u64", "s8", "s16", "s32", "s64", "b8", "b16", "b32", "b64"}
)


def width(ptype: str) -> int:
    """Bits of a PTX type (``"s32"`` -> 32)."""
    return _WIDTH[ptype]


def is_signed(ptype: str) -> bool:
    return ptype[0] == "s" and ptype in INT_TYPES


def is_float(ptype: str) -> bool:
    return ptype in FLOAT_TYPES


def find_type(mods: tuple[str, ...]) -> str | None:
    """The last modifier that names a PTX type (``("rn", "f32")`` -> ``"f32"``)."""
    for m in reversed(mods):
        if m in _WIDTH:
            return m
    return None


def types_in(mods: tuple[str, ...]) -> list[str]:
    """Every modifier that names a PTX type, in order (``cvt.f32.s32`` -> [f32, s32])."""
    return [m for m in mods if m in _WIDTH]


# ---------------------------------------------------------------- operands as bits or values


@dataclass(frozen=True)
class Fmt:
    """A binary floating-point format: exponent bits, stored mantissa bits, quirks."""

    name: str
    ebits: int
    mbits: int
    nan: int
    """The canonical NaN this format's results use."""
    ieee: bool = True
    """False for e4m3: no infinities, only S.1111.111 is NaN, max finite 448."""
    shift: int = 0
    """Zero low bits below the mantissa in the container (tf32: 13 in a 32-bit register)."""

    @property
    def bias(self) -> int:
        return (1 << (self.ebits - 1)) - 1

    @property
    def emin(self) -> int:
        return 1 - self.bias

    @property
    def max_bits(self) -> int:
        """The largest finite magnitude's bits (before ``shift``)."""
        if self.ieee:
            return ((1 << self.ebits) - 2) << self.mbits | ((1 << self.mbits) - 1)
        return (1 << (self.ebits + self.mbits)) - 2

    @property
    def inf_bits(self) -> int:
        return ((1 << self.ebits) - 1) << self.mbits


FORMATS = {
    "f32": Fmt("f32", 8, 23, 0x7FFFFFFF),
    "f16": Fmt("f16", 5, 10, 0x7FFF),
    "bf16": Fmt("bf16", 8, 7, 0x7FFF),
    "tf32": Fmt("tf32", 8, 10, 0x7FFFFFFF, shift=13),
    "e4m3": Fmt("e4m3", 4, 3, 0x7F, ieee=False),
    "e5m2": Fmt("e5m2", 5, 2, 0x7F),
}


def imm_bits(imm: Imm, ptype: str) -> int:
    """The raw bits an immediate has as an operand of PTX type ``ptype`` (a Python int).

    Integers wrap to the width (two's complement). A ``0f``/``0d`` literal keeps its bits when
    its width is the type's; otherwise (and for decimal floats) the value is rounded to the
    type to nearest even. A float literal for an integer type is its value converted (C-like
    truncation), an integer literal for a float type is converted to the float.
    """
    w = width(ptype) if ptype != "pred" else 1
    v = imm.value
    if ptype in FLOAT_TYPES or ptype in ("f16x2", "bf16x2"):
        if imm.bits is not None and imm.width == w:
            return imm.bits
        if ptype == "f64":
            return int(np.array(float(v), np.float64).view(np.uint64))
        name = ptype[:-2] if ptype.endswith("x2") else ptype
        return int(round_to(np.array([float(v)]), FORMATS[name], "rn")[0])
    if isinstance(v, float):
        if imm.bits is not None and imm.width == w:
            return imm.bits
        if imm.bits is not None and imm.width is not None and imm.width < w:
            return imm.bits
        v = int(v)
    return int(v) & ((1 << w) - 1)


def bits(x: Any, w: int, ptype: str | None = None) -> Array:
    """Operand ``x`` as unsigned raw bits of width ``w`` (truncating or zero-extending).

    ``x`` is a register array or an :class:`Imm` (converted per ``ptype``, default an
    unsigned type of width ``w``); an immediate becomes a 0-d array that broadcasts.
    """
    dt = UINT[w]
    if isinstance(x, Imm):
        v = x.value
        return _imm_array(repr(v), isinstance(v, float), x.bits, x.width, w, ptype or f"b{w}")
    x = np.asarray(x)
    if x.dtype == dt:
        return x
    if x.dtype == np.bool_:
        return x.astype(dt)
    if x.dtype.kind == "i":
        x = x.view(UINT[x.dtype.itemsize * 8])
    return x.astype(dt)


@functools.lru_cache(maxsize=4096)
def _imm_array(
    value: str, is_float: bool, raw: int | None, width_: int | None, w: int, ptype: str
) -> Array:
    """An immediate's bits as a read-only 0-d array, made once: executing an instruction
    with an immediate operand should not convert it again. Keyed on the literal's text
    (``repr``) so that ``-0.0`` and ``0.0``, or ``1`` and ``1.0``, stay apart."""
    literal = float(value) if is_float else int(value)
    a = np.array(imm_bits(Imm(literal, raw, width_), ptype), dtype=UINT[w])
    a.flags.writeable = False
    return a


def unsigned(x: Any, ptype: str) -> Array:
    """An integer operand as unsigned values of its type's width."""
    return bits(x, width(ptype), ptype)


def signed(x: Any, ptype: str) -> Array:
    """An integer operand as two's-complement signed values of its type's width."""
    w = width(ptype)
    return bits(x, w, ptype).view(SINT[w])


def int_value(x: Any, ptype: str) -> Array:
    """An integer operand as the numpy value of its type (signed view for ``.sN``)."""
    return signed(x, ptype) if is_signed(ptype) else unsigned(x, ptype)


def typed(x: Any, ptype: str) -> Array:
    """An operand as the numpy value of its PTX type.

    f16 -> float16, bf16/tf32 -> float32 (exact widening), f32 -> float32, f64 -> float64,
    e4m3/e5m2 -> float32; integers as :func:`int_value`; ``pred`` as bool.
    """
    if ptype == "pred":
        return np.asarray(x.value != 0 if isinstance(x, Imm) else x, dtype=bool)
    if ptype == "f32":
        return bits(x, 32, ptype).view(np.float32)
    if ptype == "f64":
        return bits(x, 64, ptype).view(np.float64)
    if ptype == "f16":
        return bits(x, 16, ptype).view(np.float16)
    if ptype in ("bf16", "tf32", "e4m3", "e5m2"):
        return decode(bits(x, width(ptype), ptype), ptype)
    return int_value(x, ptype)


def decode(b: Array, fmt: str) -> Array:
    """Raw bits of a small float format -> float32 values (exact)."""
    b = np.asarray(b)
    if fmt == "bf16":
        return (b.astype(np.uint32) << np.uint32(16)).view(np.float32)
    if fmt == "tf32":
        return (b.astype(np.uint32) & np.uint32(0xFFFFE000)).view(np.float32)
    if fmt == "f16":
        with np.errstate(invalid="ignore"):  # NaN payloads widen quietly
            return b.astype(np.uint16).view(np.float16).astype(np.float32)
    if fmt in ("e4m3", "e5m2"):
        f = FORMATS[fmt]
        u = b.astype(np.int64) & 0xFF
        sign = np.where(u & 0x80, -1.0, 1.0)
        e = (u >> f.mbits) & ((1 << f.ebits) - 1)
        m = u & ((1 << f.mbits) - 1)
        mag = np.where(
            e == 0,
            np.ldexp(m.astype(np.float64), f.emin - f.mbits),
            np.ldexp((m + (1 << f.mbits)).astype(np.float64), e - f.bias - f.mbits),
        )
        if f.ieee:
            mag = np.where(e == (1 << f.ebits) - 1, np.where(m == 0, np.inf, np.nan), mag)
        else:
            mag = np.where((u & 0x7F) == 0x7F, np.nan, mag)
        return (sign * mag).astype(np.float32)
    raise ValueError(f"no decoder for {fmt}")


def as_f32_bits(v: Array) -> Array:
    """float32 values -> uint32 bits with NaN made canonical (0x7FFFFFFF)."""
    v = np.asarray(v, dtype=np.float32)
    return np.where(np.isnan(v), np.uint32(0x7FFFFFFF), v.view(np.uint32))


def as_f64_bits(v: Array) -> Array:
    return np.asarray(v, dtype=np.float64).view(np.uint64)


# ---------------------------------------------------------------- ftz, sat


def flush(v: Array) -> Array:
    """``.ftz`` on f32 (or f16) values: subnormals become zero of the same sign."""
    v = np.asarray(v)
    tiny = np.finfo(v.dtype).tiny
    return np.where(np.abs(v) < tiny, np.copysign(np.zeros((), v.dtype), v), v)


def saturate(v: Array) -> Array:
    """``.sat``: clamp to [0.0, 1.0]; NaN -> +0.0 (and -0.0 -> +0.0)."""
    v = np.asarray(v)
    return np.where(np.isnan(v), 0.0, np.clip(v, 0.0, 1.0) + 0.0).astype(v.dtype)


# ---------------------------------------------------------------- error-free transforms


def two_sum(a: Array, b: Array) -> tuple[Array, Array]:
    """s = RN(a + b) and the exact error e, with a + b = s + e (finite, no overflow)."""
    s = a + b
    bb = s - a
    e = (a - (s - bb)) + (b - bb)
    return s, e


_SPLIT = 134217729.0  # 2^27 + 1 (Veltkamp)


def two_prod(a: Array, b: Array) -> tuple[Array, Array]:
    """p = RN(a * b) and the exact error e (Dekker), valid when |a|,|b| < 2^995 and the
    product's error is not below the subnormal range (callers check :func:`prod_safe`)."""
    p = a * b
    t = _SPLIT * a
    ah = t - (t - a)
    al = a - ah
    t = _SPLIT * b
    bh = t - (t - b)
    bl = b - bh
    e = ((ah * bh - p) + ah * bl + al * bh) + al * bl
    return p, e


def exponent(x: Array) -> Array:
    """floor(log2|x|) for finite nonzero float64 (frexp's exponent minus one)."""
    return np.frexp(x)[1] - 1


def to_odd(r: Array, err: Array) -> Array:
    """Round-to-odd from a round-to-nearest float64 ``r`` and the sign of (exact - r).

    When inexact and ``r``'s last bit is even, the odd neighbour toward the exact value is
    the round-to-odd result; a later rounding to p <= 51 bits then equals rounding the exact
    value once.
    """
    r = np.asarray(r, np.float64)
    even = (r.view(np.int64) & 1) == 0
    step = (err != 0) & even & np.isfinite(r)
    return np.where(step, np.nextafter(r, np.where(err > 0, np.inf, -np.inf)), r)


def directed_f64(r: Array, err: Array, mode: str) -> Array:
    """Correct float64 rounding in ``mode`` from the RN result ``r`` and sign of its error."""
    if mode == "rn":
        return r
    if mode == "rz":
        down = (err != 0) & (np.sign(err) != np.sign(r)) & (r != 0)
        return np.where(down, np.nextafter(r, 0.0), r)
    if mode == "rm":
        return np.where(err < 0, np.nextafter(r, -np.inf), r)
    if mode == "rp":
        return np.where(err > 0, np.nextafter(r, np.inf), r)
    raise ValueError(mode)


def rm_zero(r: Array, x: Array, y: Array) -> Array:
    """IEEE sign of an exact zero sum under round-down: -0 unless both addends are +0."""
    plus = (x == 0) & (y == 0) & ~np.signbit(x) & ~np.signbit(y)
    return np.where((r == 0) & ~plus, -0.0, r)


def round_fraction_f64(q: Fraction, mode: str) -> float:
    """The exact rational ``q`` rounded to float64 in ``mode`` (rn, rz, rm, rp)."""
    try:
        r = float(q)  # int/int true division is correctly rounded (RN)
    except OverflowError:
        r = float("inf") if q > 0 else float("-inf")
    if mode == "rn":
        return r
    fin = np.isfinite(r)
    exact = Fraction(r) if fin else None
    big = float(np.finfo(np.float64).max)
    if not fin:  # RN overflowed: directed modes may give the largest finite
        if mode == "rz" or (mode == "rm" and q > 0) or (mode == "rp" and q < 0):
            return big if q > 0 else -big
        return r
    assert exact is not None
    if mode == "rz" and abs(exact) > abs(q):
        return float(np.nextafter(r, 0.0))
    if mode == "rm" and exact > q:
        return float(np.nextafter(r, -np.inf))
    if mode == "rp" and exact < q:
        return float(np.nextafter(r, np.inf))
    return r


# ---------------------------------------------------------------- rounding to small formats


def f32_to_bf16_rn(b: Array) -> Array:
    """f32 bits -> bf16 bits, round to nearest even (the carry trick); NaN -> 0x7FFF.

    Adding 0x7FFF plus the kept lsb rounds the dropped 16 bits to nearest even, carrying
    into the exponent (up to infinity) exactly as IEEE rounding does."""
    b = np.asarray(b, np.uint32)
    r = ((b + np.uint32(0x7FFF) + ((b >> np.uint32(16)) & np.uint32(1))) >> np.uint32(16)).astype(
        np.uint16
    )
    nan = (b & np.uint32(0x7FFFFFFF)) > np.uint32(0x7F800000)
    return np.where(nan, np.uint16(0x7FFF), r)


def f32_to_f16_rn(v: Array) -> Array:
    """f32 values -> f16 bits, round to nearest even (numpy's conversion is IEEE-correct,
    subnormals and overflow included); NaN -> 0x7FFF."""
    v = np.asarray(v, np.float32)
    with np.errstate(all="ignore"):
        r = v.astype(np.float16).view(np.uint16)
    return np.where(np.isnan(v), np.uint16(0x7FFF), r)


def f64_to_bf16_rn(x: Array) -> Array:
    """float64 values (exact, or rounded to odd) -> bf16 bits, round to nearest even.

    Rounds to odd at f32 precision (24 bits; bf16 shares f32's exponent range, so its
    subnormals are f32 subnormals with 16 fewer bits), then to bf16 with the carry trick:
    odd-then-nearest with two spare bits is one correct rounding."""
    x = np.asarray(x, np.float64)
    with np.errstate(all="ignore"):
        r = x.astype(np.float32)
        back = r.astype(np.float64)
        step = (back != x) & np.isfinite(r) & ((r.view(np.uint32) & np.uint32(1)) == 0)
        toward = np.where(x > back, np.float32(np.inf), np.float32(-np.inf))
        r = np.where(step, np.nextafter(r, toward), r)
    return f32_to_bf16_rn(np.asarray(r, np.float32).view(np.uint32))


def f64_to_f16_rn(x: Array) -> Array:
    """float64 values -> f16 bits, round to nearest even (numpy's float64 -> float16 cast
    rounds the double directly, once); NaN -> 0x7FFF."""
    x = np.asarray(x, np.float64)
    with np.errstate(all="ignore"):
        r = x.astype(np.float16).view(np.uint16)
    return np.where(np.isnan(x), np.uint16(0x7FFF), r)


def f64_to_f32_rn(x: Array) -> Array:
    """float64 values -> f32 bits, round to nearest even; NaN -> 0x7FFFFFFF."""
    with np.errstate(all="ignore"):
        return as_f32_bits(np.asarray(x, np.float64).astype(np.float32))


def round_to(
    x: Array,
    fmt: Fmt | str,
    mode: str = "rn",
    *,
    ftz: bool = False,
    relu: bool = False,
    satfinite: bool = False,
) -> Array:
    """float64 values -> raw bits (int64 array) of ``fmt``, rounded in ``mode``.

    ``mode``: rn (nearest even), rna (nearest, ties away: tf32), rz, rm, rp. ``x`` must hold
    the value exactly or rounded to odd at float64 precision (:func:`to_odd`). ``ftz``: a
    subnormal *result* becomes signed zero. ``relu``: negative results (and -0) become +0,
    NaN stays the canonical NaN. ``satfinite``: overflow and infinities clamp to the largest
    finite value of that sign. Overflow otherwise follows IEEE: rn/rna -> inf, rz -> max
    finite, rm/rp -> inf toward their direction, max finite away from it. e4m3 has no
    infinity: overflow gives NaN unless ``satfinite``. NaN -> ``fmt.nan``.
    """
    f = FORMATS[fmt] if isinstance(fmt, str) else fmt
    x = np.asarray(x, dtype=np.float64)
    # Integer arithmetic on the float64 bits: value = sig * 2^(E - 52).
    b = x.view(np.int64)
    neg = b < 0
    m = b & np.int64(0x7FFFFFFFFFFFFFFF)
    nan = m > np.int64(0x7FF0000000000000)
    inf = m == np.int64(0x7FF0000000000000)
    ex = m >> np.int64(52)
    frac52 = m & np.int64((1 << 52) - 1)
    sub64 = ex == 0
    sig = np.where(sub64, frac52, frac52 | np.int64(1 << 52))
    big_e = np.where(sub64, np.int64(-1022), ex - np.int64(1023))
    e = np.maximum(big_e, f.emin)
    # n = sig scaled to units of 2^(e - mbits), rem the bits shifted out (sig < 2^53, so a
    # shift past 53 leaves n = 0 and rem = sig below half: clipping at 62 is exact)
    shift = np.minimum(np.int64(52 - f.mbits) + (e - big_e), np.int64(62))
    n = sig >> shift
    rem = sig & ((np.int64(1) << shift) - np.int64(1))
    half = np.int64(1) << (shift - np.int64(1))
    odd = (n & 1) == 1
    if mode == "rn":
        up = (rem > half) | ((rem == half) & odd)
    elif mode == "rna":
        up = rem >= half
    elif mode == "rz":
        up = np.zeros_like(odd)
    elif mode == "rp":
        up = (rem > 0) & ~neg
    elif mode == "rm":
        up = (rem > 0) & neg
    else:
        raise ValueError(f"rounding mode {mode!r}")
    n = n + up
    # n is the significand in units of 2^(e - mbits); n may reach 2^(mbits+1) (carry).
    normal = n >= (1 << f.mbits)
    mag = np.where(normal, ((e + f.bias) << f.mbits) + n - (1 << f.mbits), n)
    # overflow
    over = inf | (mag > f.max_bits)
    if f.ieee:
        to_max = (mode == "rz") | ((mode == "rm") & ~neg) | ((mode == "rp") & neg)
        over_val = np.where(to_max & ~inf, f.max_bits, f.inf_bits)
    else:
        over_val = np.full(mag.shape, f.nan & 0x7F, np.int64)
    if satfinite:
        over_val = np.full(mag.shape, f.max_bits, np.int64)
    mag = np.where(over, over_val, mag)
    if ftz:
        mag = np.where(mag < (1 << f.mbits), 0, mag)
    sign_bit = 1 << (f.ebits + f.mbits)
    out = np.where(neg, mag | sign_bit, mag)
    if relu:
        out = np.where(neg, 0, out)
    if f.shift:
        out = out << f.shift
    out = np.where(nan, f.nan, out)
    return np.asarray(out, dtype=np.int64)
