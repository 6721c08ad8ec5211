"""f16/bf16 scalar and x2 arithmetic: hand-derived bits (f16 1.0 = 0x3C00, bf16 1.0 = 0x3F80)."""

from __future__ import annotations

import itertools
from fractions import Fraction

import numpy as np

from kernbench.emulator import numeric as nm

from .numerics_util import frac_round, hexes, overflow_value, run, u16, u32


def test_f16_scalar_and_x2_basic():
    assert hexes(run("add.f16", u16(0x3C00), u16(0x3C00))) == [0x4000]  # 1 + 1 = 2
    assert hexes(run("sub.rn.f16", u16(0x3C00), u16(0x4000))) == [0xBC00]  # 1 - 2 = -1
    assert hexes(run("mul.f16", u16(0x4000), u16(0x4200))) == [0x4600]  # 2 * 3 = 6
    # x2: lo 1+1 = 2 (0x4000); hi 2+1 = 3 (0x4200)
    assert hexes(run("add.rn.f16x2", u32(0x40003C00), u32(0x3C003C00))) == [0x42004000]
    # fma.rn.f16x2: lo 2*3+1 = 7 (0x4700); hi 1*1+(-1) = 0
    got = run("fma.rn.f16x2", u32(0x3C004000), u32(0x3C004200), u32(0xBC003C00))
    assert hexes(got) == [0x00004700]
    assert hexes(run("add.bf16", u16(0x3F80), u16(0x3F80))) == [0x4000]
    assert hexes(run("fma.rn.bf16x2", u32(0x3F803F80), u32(0x40004000), u32(0x3F80BF80))) == [
        0x40403F80  # hi 1*2+1 = 3 (0x4040), lo 1*2-1 = 1
    ]


def test_f16_rounding_overflow_nan():
    # 2048 + 1: f16 ulp at 2048 is 2, so 2049 is a tie -> even 2048 (0x6800)
    assert hexes(run("add.rn.f16", u16(0x6800), u16(0x3C00))) == [0x6800]
    # 2050 + 1 = 2051: tie between 2050 (mantissa odd) and 2052 (even) -> 2052 (0x6802)
    assert hexes(run("add.rn.f16", u16(0x6801), u16(0x3C00))) == [0x6802]
    # 65504 + 16 = 65520: the overflow tie -> inf
    assert hexes(run("add.f16", u16(0x7BFF), u16(0x4C00))) == [0x7C00]
    # NaN results are canonical 0x7FFF; inf - inf is NaN
    assert hexes(run("sub.f16", u16(0x7C00), u16(0x7C00))) == [0x7FFF]
    assert hexes(run("add.f16", u16(0x7E01), u16(0x3C00))) == [0x7FFF]
    # fma single rounding: (1+2^-10)^2 - 1 = 2^-9 + 2^-20; the ulp at 2^-9 is 2^-19, so a tie
    # -> even 2^-9 (0x1800). (1+2^-9)^2 - 1 = 2^-8 + 2^-18 is exact (0x1C01), while rounding
    # the product first (1 + 2^-8, ulp 2^-10) would lose the 2^-18 and give 0x1C00.
    assert hexes(run("fma.rn.f16", u16(0x3C01), u16(0x3C01), u16(0xBC00))) == [0x1800]
    assert hexes(run("fma.rn.f16", u16(0x3C02), u16(0x3C02), u16(0xBC00))) == [0x1C01]


def test_half_modifiers():
    # .sat clamps to [0, 1]; NaN -> 0
    assert hexes(run("add.sat.f16", u16(0x4000, 0x7E00), u16(0x3C00, 0x0))) == [0x3C00, 0]
    # .relu: negative -> +0; NaN stays canonical NaN
    assert hexes(run("fma.rn.relu.f16", u16(0xBC00, 0x7E00), u16(0x3C00, 0x3C00),
                     u16(0x0, 0x0))) == [0, 0x7FFF]  # fmt: skip
    assert hexes(run("fma.rn.relu.bf16", u16(0xBF80), u16(0x3F80), u16(0))) == [0]
    # .ftz: the f16 subnormal 0x0001 reads as 0; a subnormal result flushes
    assert hexes(run("add.ftz.f16", u16(0x0001), u16(0x0000))) == [0]
    assert hexes(run("add.f16", u16(0x0001), u16(0x0000))) == [0x0001]
    assert hexes(run("mul.ftz.f16", u16(0x0400), u16(0x3800))) == [0]  # 2^-14 * 0.5


def test_half_sign_and_minmax():
    assert hexes(run("neg.f16", u16(0x3C00, 0x0000))) == [0xBC00, 0x8000]
    assert hexes(run("abs.bf16x2", u32(0xBF80BF80))) == [0x3F803F80]
    assert hexes(run("neg.ftz.f16", u16(0x0001))) == [0x8000]
    # min: NaN ignored, -0 < +0; both NaN -> canonical; .NaN propagates
    assert hexes(run("min.f16", u16(0x7E00, 0x0000, 0x7E00), u16(0x3C00, 0x8000, 0x7E00))) == [
        0x3C00, 0x8000, 0x7FFF,
    ]  # fmt: skip
    assert hexes(run("max.NaN.f16", u16(0x7E00), u16(0x3C00))) == [0x7FFF]
    assert hexes(run("max.bf16x2", u32(0x3F80C000), u32(0x40003F80))) == [0x40003F80]


def test_half_approx():
    # ex2(1) = 2 exactly; ex2(-inf) = 0; per half in x2
    assert hexes(run("ex2.approx.f16", u16(0x3C00))) == [0x4000]
    assert hexes(run("ex2.approx.f16x2", u32(0xFC003C00))) == [0x00004000]
    assert hexes(run("ex2.approx.ftz.bf16", u16(0x3F80))) == [0x4000]
    assert hexes(run("tanh.approx.f16", u16(0x0000, 0x7C00))) == [0x0000, 0x3C00]
    t = nm.decode(run("tanh.approx.bf16", u16(0x3F80)), "bf16")[0]
    assert abs(float(t) - np.tanh(1.0)) <= 2.0**-8


def test_f16_add_mul_exhaustive_slice():
    """Every f16 a in a band against b = 1.0009765625 (0x3C01) and 3 (0x4200): the oracle
    is exact rational arithmetic rounded by the tests' own frac_round."""
    a = np.arange(0x0000, 0x7C00, 7, dtype=np.uint16)
    for bb, op in itertools.product((0x3C01, 0x4200, 0x8401), ("add", "mul")):
        got = run(f"{op}.rn.f16", a, np.full_like(a, bb))
        fb = Fraction(float(np.array(bb, np.uint16).view(np.float16)))
        for x, g in zip(a, got, strict=True):
            fa = Fraction(float(np.array(x, np.uint16).view(np.float16)))
            q = fa + fb if op == "add" else fa * fb
            r = frac_round(q, 5, 10, "rn")
            want = overflow_value(1 if q > 0 else -1, 5, 10, "rn") if r is None else float(r)
            if want == 0:  # a zero product takes the xor of the signs; x + (-x) is +0
                neg = (fa < 0) != (fb < 0) if op == "mul" and q == 0 else q < 0
                want = -0.0 if neg else 0.0
            gv = float(np.array(g, np.uint16).view(np.float16))
            assert gv == want and np.signbit(gv) == np.signbit(want), (hex(x), hex(bb), op)


def test_f16_fma_random_against_exact():
    """fma.rn.f16 on random f16 triples (every exponent) against exact rationals."""
    rng = np.random.default_rng(11)
    a, b, c = (rng.integers(0, 1 << 16, 3000).astype(np.uint16) for _ in range(3))
    keep = ~(np.isnan(a.view(np.float16)) | np.isinf(a.view(np.float16)))
    for x in (b, c):
        keep &= ~(np.isnan(x.view(np.float16)) | np.isinf(x.view(np.float16)))
    a, b, c = a[keep], b[keep], c[keep]
    got = run("fma.rn.f16", a, b, c)
    for i in range(len(a)):
        fa, fb, fc = (Fraction(float(x[i].view(np.float16))) for x in (a, b, c))
        q = fa * fb + fc
        r = frac_round(q, 5, 10, "rn")
        want = overflow_value(1 if q > 0 else -1, 5, 10, "rn") if r is None else float(r)
        gv = float(got[i].view(np.float16))
        assert gv == want, (hex(a[i]), hex(b[i]), hex(c[i]), gv, want)


def test_half_xorsign_abs():
    # f16: -3 = 0xC200, 2 = 0x4000 -> min(|.|) = 2 with sign 1 -> 0xC000
    assert hexes(run("min.xorsign.abs.f16", u16(0xC200), u16(0x4000))) == [0xC000]


def _bf16_value(b: int) -> Fraction:
    return Fraction(float(nm.decode(np.array([b]), "bf16")[0]))


def test_bf16_add_fma_random_against_exact():
    """add/fma.rn.bf16 on random finite bf16 (every exponent) against exact rationals."""
    rng = np.random.default_rng(12)
    a, b, c = (rng.integers(0, 1 << 16, 3000).astype(np.uint16) for _ in range(3))
    keep = np.ones(len(a), bool)
    for x in (a, b, c):
        keep &= (x & 0x7F80) != 0x7F80  # finite
    a, b, c = a[keep], b[keep], c[keep]
    for op in ("add", "fma"):
        srcs = (a, b, c) if op == "fma" else (a, b)
        got = run(f"{op}.rn.bf16", *srcs)
        for i in range(len(a)):
            vals = [_bf16_value(int(x[i])) for x in srcs]
            q = vals[0] * vals[1] + vals[2] if op == "fma" else vals[0] + vals[1]
            r = frac_round(q, 8, 7, "rn")
            want = overflow_value(1 if q > 0 else -1, 8, 7, "rn") if r is None else float(r)
            gv = (
                float(_bf16_value(int(got[i])))
                if (int(got[i]) & 0x7F80) != 0x7F80
                else (float(nm.decode(np.array([got[i]]), "bf16")[0]))
            )
            if q == 0:
                continue  # the sign of an exact zero is checked by hand elsewhere
            assert gv == want, (op, [hex(int(x[i])) for x in srcs], gv, want)


def test_half_min_max_ftz_and_payload():
    # .ftz: the subnormal 0x0001 reads as +0, and min(+0, -0) is -0; without .ftz 0x0001 > -0
    assert hexes(run("min.ftz.f16", u16(0x0001), u16(0x8000))) == [0x8000]
    assert hexes(run("max.ftz.f16", u16(0x8001), u16(0x0000))) == [0x0000]
    assert hexes(run("max.f16", u16(0x0001), u16(0x8000))) == [0x0001]
    # a non-NaN operand comes back bit for bit
    assert hexes(run("max.bf16", u16(0x3F81), u16(0xFFC1))) == [0x3F81]
