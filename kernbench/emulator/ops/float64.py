"""Exact float64 arithmetic in every rounding mode (no registry: helpers for floating.py).

Round to nearest is numpy's IEEE float64 arithmetic, except fma, which numpy lacks: it is
built from error-free transforms with the low part rounded to odd. Directed modes step the
RN result one ulp toward the exact value, whose side comes from the error-free transform
of the same operation. Lanes outside the transforms' range (near overflow or underflow)
fall back to exact rationals, one lane at a time (slow, rare).
"""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction
from typing import Any

import numpy as np

from .. import numeric as nm

_F64_MAX = float(np.finfo(np.float64).max)


def _fallback(
    out: Any, hard: Any, args: tuple[Any, ...], exact: Callable[..., Fraction], mode: str
) -> Any:
    """Recompute lanes ``hard`` with exact rationals (slow; only near over/underflow)."""
    if not np.any(hard):
        return out
    out = np.array(out, dtype=np.float64, copy=True)
    full = np.broadcast_arrays(*args, out)
    out = np.array(full[-1])
    idx = np.nonzero(np.broadcast_to(hard, out.shape))
    for i in zip(*idx, strict=True):
        vals = [Fraction(float(a[i])) for a in full[:-1]]
        try:
            q = exact(*vals)
        except ZeroDivisionError:
            continue
        out[i] = nm.round_fraction_f64(q, mode)
    return out


def _overflow(r: Any, ok: Any, mode: str) -> Any:
    """RN overflowed to inf from finite inputs: directed modes may give the largest finite."""
    if mode == "rn":
        return r
    to_max = (mode == "rz") | ((mode == "rm") & (r > 0)) | ((mode == "rp") & (r < 0))
    return np.where(ok & np.isinf(r) & to_max, np.copysign(_F64_MAX, r), r)


def _safe_prod(x: Any, y: Any, p: Any) -> Any:
    """Lanes where two_prod(x, y) is exact: no split overflow, error not subnormal."""
    big = 2.0**995
    return (
        (np.abs(x) < big)
        & (np.abs(y) < big)
        & ((np.abs(p) >= 2.0**-968) | (x == 0) | (y == 0))
        & np.isfinite(p)
    )


def f64_add(a: Any, b: Any, mode: str) -> Any:
    r = a + b
    if mode == "rn":
        return r
    _, e = nm.two_sum(a, b)
    fin = np.isfinite(a) & np.isfinite(b)
    r = nm.directed_f64(r, np.where(fin & np.isfinite(r), e, 0.0), mode)
    if mode == "rm":
        r = nm.rm_zero(r, a, b)
    return _overflow(r, fin, mode)


def f64_mul(a: Any, b: Any, mode: str) -> Any:
    r = a * b
    if mode == "rn":
        return r
    fin = np.isfinite(a) & np.isfinite(b)
    p, e = nm.two_prod(a, b)
    safe = _safe_prod(a, b, p)
    r = nm.directed_f64(r, np.where(safe, e, 0.0), mode)
    return _fallback(r, fin & ~safe & (a != 0) & (b != 0), (a, b), lambda x, y: x * y, mode)


def f64_fma(a: Any, b: Any, c: Any, mode: str) -> Any:
    """fma in float64: one rounding of a*b + c (round-to-odd of the low part, see module)."""
    uh, ul = nm.two_prod(a, b)
    s, e = nm.two_sum(uh, c)
    t, f = nm.two_sum(e, ul)
    w = nm.to_odd(t, f)
    r = np.where(w == 0, s, s + w)  # s + (+0) would turn an exact -0 into +0
    fin = np.isfinite(a) & np.isfinite(b) & np.isfinite(c)
    safe = fin & _safe_prod(a, b, uh) & (np.abs(c) < 2.0**1020) & np.isfinite(r)
    safe &= (np.abs(s) >= 2.0**-960) | (s == 0)
    naive = np.where(np.isinf(c) & np.isfinite(a) & np.isfinite(b), c, a * b + c)
    r = np.where(fin, r, naive)
    if mode != "rn":
        # r = s + w rounded; its error g is exact and, when nonzero, outweighs w's own
        # (round-to-odd) error, so it carries the sign of (exact - r).
        _, g = nm.two_sum(s, w)
        r = nm.directed_f64(r, np.where(safe, g, 0.0), mode)
        r = _overflow(r, fin, mode)
        if mode == "rm":
            r = nm.rm_zero(r, uh, c)
    hard = fin & ~safe
    return _fallback(r, hard, (a, b, c), lambda x, y, z: x * y + z, mode)


def f64_div(a: Any, b: Any, mode: str) -> Any:
    r = a / b
    if mode == "rn":
        return r
    fin = np.isfinite(a) & np.isfinite(b) & (b != 0) & np.isfinite(r) & (a != 0)
    p, e = nm.two_prod(r, b)
    safe = fin & _safe_prod(r, b, p)
    rem = (a - p) - e
    err = np.where(safe, np.sign(rem) * np.sign(b), 0.0)
    r = nm.directed_f64(r, err, mode)
    hard = np.isfinite(a) & np.isfinite(b) & (b != 0) & (a != 0) & ~safe
    return _fallback(r, hard, (a, b), lambda x, y: x / y, mode)


def f64_sqrt(a: Any, mode: str) -> Any:
    r = np.sqrt(a)
    if mode == "rn":
        return r
    fin = np.isfinite(a) & (a > 0)
    p, e = nm.two_prod(r, r)
    safe = fin & _safe_prod(r, r, p)
    err = np.where(safe, np.sign((a - p) - e), 0.0)
    r = nm.directed_f64(r, err, mode)
    hard = fin & ~safe
    if np.any(hard):  # exact: compare the candidate's square with a
        out = np.array(np.broadcast_to(r, np.shape(hard)), dtype=np.float64)
        av = np.broadcast_to(a, out.shape)
        for i in zip(*np.nonzero(hard), strict=True):
            out[i] = _sqrt_exact(float(av[i]), mode)
        r = out
    return r


def _sqrt_exact(x: float, mode: str) -> float:
    r = float(np.sqrt(x))
    q = Fraction(x)
    lo = r
    while Fraction(lo) ** 2 > q:
        lo = float(np.nextafter(lo, 0.0))
    while Fraction(float(np.nextafter(lo, np.inf))) ** 2 <= q:
        lo = float(np.nextafter(lo, np.inf))
    if Fraction(lo) ** 2 == q or mode in ("rz", "rm"):
        return lo
    hi = float(np.nextafter(lo, np.inf))
    if mode == "rp":
        return hi
    return r
