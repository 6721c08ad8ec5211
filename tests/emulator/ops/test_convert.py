"""cvt: expected bits worked out by hand from the PTX ISA's cvt rules and IEEE 754."""

from __future__ import annotations

import numpy as np

from .numerics_util import as_f32, as_f64, f32, f64, hexes, run, u16, u32, u64

NAN32 = 0x7FC00001  # a quiet NaN with a payload


def test_f32_to_bf16_ties_and_modes():
    # 0x3F808000: mantissa tail 0x8000 is exactly half of a bf16 ulp; 0x3F80 is even -> stays.
    # 0x3F818000: tie above 0x3F81 (odd) -> rounds to even 0x3F82.
    src = u32(0x3F808000, 0x3F818000, 0x3F808001, 0xBF808001)
    assert hexes(run("cvt.rn.bf16.f32", src)) == [0x3F80, 0x3F82, 0x3F81, 0xBF81]
    assert hexes(run("cvt.rz.bf16.f32", src)) == [0x3F80, 0x3F81, 0x3F80, 0xBF80]
    assert hexes(run("cvt.rp.bf16.f32", src)) == [0x3F81, 0x3F82, 0x3F81, 0xBF80]
    assert hexes(run("cvt.rm.bf16.f32", src)) == [0x3F80, 0x3F81, 0x3F80, 0xBF81]
    # NaN -> canonical 0x7FFF; -0 keeps its sign; f32 max rounds up to inf (rn), max (rz)
    assert hexes(run("cvt.rn.bf16.f32", u32(NAN32, 0x80000000, 0x7F7FFFFF))) == [
        0x7FFF, 0x8000, 0x7F80,
    ]  # fmt: skip
    assert hexes(run("cvt.rz.bf16.f32", u32(0x7F7FFFFF))) == [0x7F7F]
    assert hexes(run("cvt.rn.satfinite.bf16.f32", u32(0x7F800000))) == [0x7F7F]
    # relu: negatives -> +0, NaN stays canonical NaN
    assert hexes(run("cvt.rn.relu.bf16.f32", f32(-1.0, 2.0, np.nan))) == [0, 0x4000, 0x7FFF]


def test_f32_to_f16_subnormals_overflow():
    # 2^-24 is f16's smallest subnormal (0x0001); 2^-25 is a tie between 0 and it -> 0 (even);
    # 3*2^-26 is above the tie -> 0x0001; 1e-40 (an f32 subnormal) -> 0, or 0x0001 under rp.
    src = f32(2.0**-24, 2.0**-25, 3 * 2.0**-26, 1e-40, -(2.0**-25))
    assert hexes(run("cvt.rn.f16.f32", src)) == [0x0001, 0x0000, 0x0001, 0x0000, 0x8000]
    assert hexes(run("cvt.rp.f16.f32", src)) == [0x0001, 0x0001, 0x0001, 0x0001, 0x8000]
    assert hexes(run("cvt.rm.f16.f32", src)) == [0x0001, 0x0000, 0x0000, 0x0000, 0x8001]
    # .ftz flushes the f32 subnormal input first: rp of +0 is +0
    assert hexes(run("cvt.rp.ftz.f16.f32", f32(1e-40))) == [0]
    # ... but an f16 subnormal result stays (.ftz is about f32 values): 2^-20 -> 0x0010
    assert hexes(run("cvt.rn.ftz.f16.f32", f32(2.0**-20))) == [0x0010]
    # 65504 is f16 max; 65520 is the tie between it and 65536 (=inf): rn -> inf
    big = f32(65519.0, 65520.0, -65520.0)
    assert hexes(run("cvt.rn.f16.f32", big)) == [0x7BFF, 0x7C00, 0xFC00]
    assert hexes(run("cvt.rz.f16.f32", big)) == [0x7BFF, 0x7BFF, 0xFBFF]
    assert hexes(run("cvt.rm.f16.f32", big)) == [0x7BFF, 0x7BFF, 0xFC00]
    assert hexes(run("cvt.rp.f16.f32", big)) == [0x7C00, 0x7C00, 0xFBFF]
    assert hexes(run("cvt.rn.satfinite.f16.f32", f32(1e6, -np.inf))) == [0x7BFF, 0xFBFF]
    assert hexes(run("cvt.rn.f16.f32", u32(NAN32))) == [0x7FFF]


def test_widening_is_exact():
    assert as_f32(run("cvt.f32.f16", u16(0x0001, 0x7C00, 0xC000)))[0] == 2.0**-24
    assert list(as_f32(run("cvt.f32.f16", u16(0x7C00, 0xC000)))) == [np.inf, -2.0]
    # an f16 subnormal is an f32 normal: .ftz (which flushes f32 subnormals) keeps it
    assert as_f32(run("cvt.ftz.f32.f16", u16(0x0001)))[0] == 2.0**-24
    assert hexes(run("cvt.f32.bf16", u16(0x3F80, 0x7FC1))) == [0x3F800000, 0x7FC10000]
    assert as_f64(run("cvt.f64.f32", f32(0.1)))[0] == float(np.float32(0.1))
    # f16 register may be wider: a .b32 register's low half is the f16
    assert as_f32(run("cvt.f32.f16", u32(0xFFFF3C00)))[0] == 1.0


def test_f64_to_f32():
    src = f64(1 + 2.0**-24, 1 + 2.0**-24 + 2.0**-50, 1e-46, -1e-46, np.nan)
    # 1+2^-24 is the tie between 1 and 1+2^-23: rn -> 1; a hair above -> up.
    # 1e-46 is below half of f32's min subnormal (1.4e-45): rn -> 0, rp -> 0x1, rm(-) -> 0x80000001
    assert hexes(run("cvt.rn.f32.f64", src)) == [0x3F800000, 0x3F800001, 0, 0x80000000,
                                                0x7FFFFFFF]  # fmt: skip
    assert hexes(run("cvt.rp.f32.f64", src))[2] == 1
    assert hexes(run("cvt.rm.f32.f64", src))[3] == 0x80000001
    assert hexes(run("cvt.rn.f32.f64", f64(1e39))) == [0x7F800000]
    assert hexes(run("cvt.rz.f32.f64", f64(1e39))) == [0x7F7FFFFF]
    assert hexes(run("cvt.rn.ftz.f32.f64", f64(1e-40))) == [0]


def test_float_to_int():
    v = f32(2.5, 3.5, -2.5, -2.7, 2.1, np.nan, 3e9, -3e9, -0.0)
    as_i = lambda r: [int(x) for x in np.asarray(r).astype(np.int64)]  # noqa: E731
    assert as_i(run("cvt.rni.s32.f32", v)) == [2, 4, -2, -3, 2, 0, 2**31 - 1, -(2**31), 0]
    assert as_i(run("cvt.rzi.s32.f32", v)) == [2, 3, -2, -2, 2, 0, 2**31 - 1, -(2**31), 0]
    assert as_i(run("cvt.rmi.s32.f32", v)) == [2, 3, -3, -3, 2, 0, 2**31 - 1, -(2**31), 0]
    assert as_i(run("cvt.rpi.s32.f32", v)) == [3, 4, -2, -2, 3, 0, 2**31 - 1, -(2**31), 0]
    # unsigned: negatives clamp to 0, overflow to the max
    assert hexes(run("cvt.rzi.u32.f32", f32(-1.0, 5e9, 7.9))) == [0, 0xFFFFFFFF, 7]
    r8 = run("cvt.rzi.u8.f32", f32(300.0, -3.0, 200.5))
    assert r8.dtype == np.uint8 and hexes(r8) == [255, 0, 200]
    s8 = run("cvt.rni.s8.f32", f32(-200.0, 127.6))
    assert s8.dtype == np.int8 and as_i(s8) == [-128, 127]
    # 64-bit: 1e19 > 2^63-1; 1.8e19 fits u64 exactly; 2^64 clamps
    assert as_i(run("cvt.rzi.s64.f64", f64(1e19, -1e19))) == [2**63 - 1, -(2**63)]
    assert hexes(run("cvt.rzi.u64.f64", f64(1.8e19, 2.0**64))) == [
        18000000000000000000, 2**64 - 1,
    ]  # fmt: skip
    assert as_i(run("cvt.rni.s32.f16", u16(0x4100, 0xC100))) == [2, -2]  # +-2.5 -> +-2


def test_int_to_float():
    # 2^24+1 is a tie between 2^24 and 2^24+2 -> even 2^24; 2^24+3 -> 2^24+4 (even)
    v = u32(2**24 + 1, 2**24 + 3)
    assert list(as_f32(run("cvt.rn.f32.s32", v))) == [2.0**24, 2.0**24 + 4]
    assert list(as_f32(run("cvt.rz.f32.s32", v))) == [2.0**24, 2.0**24 + 2]
    assert list(as_f32(run("cvt.rp.f32.u32", v))) == [2.0**24 + 2, 2.0**24 + 4]
    assert as_f32(run("cvt.rn.f32.u32", u32(0xFFFFFFFF)))[0] == 2.0**32
    assert as_f32(run("cvt.rz.f32.u32", u32(0xFFFFFFFF)))[0] == 2.0**32 - 256
    assert as_f32(run("cvt.rn.f32.s32", u32(-5)))[0] == -5.0
    # 2^63 + 2^39 + 1 -> f32 (ulp 2^40): just above the tie -> 2^63 + 2^40. Converting via
    # f64 first would round to 2^63 + 2^39 (a tie) and then to even 2^63: double rounding.
    assert as_f32(run("cvt.rn.f32.u64", u64(2**63 + 2**39 + 1)))[0] == 2.0**63 + 2.0**40
    assert as_f64(run("cvt.rn.f64.s64", u64(2**53 + 1)))[0] == 2.0**53
    assert as_f64(run("cvt.rp.f64.s64", u64(2**53 + 1)))[0] == 2.0**53 + 2
    assert as_f64(run("cvt.rm.f64.s64", u64(-(2**53) - 1)))[0] == -(2.0**53) - 2
    assert hexes(run("cvt.rn.f16.s32", u32(65520))) == [0x7C00]
    assert hexes(run("cvt.rz.f16.s32", u32(65520))) == [0x7BFF]
    assert hexes(run("cvt.rn.bf16.s32", u32(257))) == [0x4380]  # 257 -> 256 (tie, even)


def test_int_to_int():
    s64 = run("cvt.s64.s32", u32(-1))
    assert hexes(s64.astype(np.uint64)) == [2**64 - 1]  # sign extension
    assert hexes(run("cvt.u64.u32", u32(0xFFFFFFFF))) == [0xFFFFFFFF]
    assert hexes(run("cvt.u64.s32", u32(-2)).astype(np.uint64)) == [2**64 - 2]
    assert hexes(run("cvt.u16.u32", u32(0x12345678))) == [0x5678]
    s8 = run("cvt.s8.s32", u32(0x180))
    assert s8.dtype == np.int8 and int(s8[0]) == -128
    # a signed result sign-extends into a wider register through the machine's astype
    assert int(s8.astype(np.uint32)[0]) == 0xFFFFFF80
    assert [int(x) for x in run("cvt.sat.u8.s32", u32(-5, 300, 7))] == [0, 255, 7]
    assert [int(x) for x in run("cvt.sat.s16.s32", u32(40000, -40000))] == [32767, -32768]
    assert [int(x) for x in run("cvt.sat.s32.u32", u32(0x80000000))] == [2**31 - 1]
    assert [int(x) for x in run("cvt.sat.u32.s64", u64(-1, 2**40))] == [0, 2**32 - 1]
    assert [int(x) for x in run("cvt.sat.s64.u64", u64(2**64 - 1))] == [2**63 - 1]


def test_tf32_rna():
    # tf32 keeps 10 mantissa bits: the low 13 bits of f32 are dropped. 0x1000 is half of
    # 0x2000: .rna rounds ties away from zero (both signs).
    src = u32(0x3F801000, 0x3F800FFF, 0xBF801000, 0x3F803000)
    assert hexes(run("cvt.rna.tf32.f32", src)) == [0x3F802000, 0x3F800000, 0xBF802000,
                                                  0x3F804000]  # fmt: skip
    assert hexes(run("cvt.rna.tf32.f32", u32(NAN32))) == [0x7FFFFFFF]


def test_packed_forms():
    # cvt.rn.bf16x2.f32 d, a, b: a -> upper half, b -> lower half
    assert hexes(run("cvt.rn.bf16x2.f32", f32(1.0), f32(2.0))) == [0x3F804000]
    assert hexes(run("cvt.rn.f16x2.f32", f32(1.0), f32(2.0))) == [0x3C004000]
    assert hexes(run("cvt.rn.relu.f16x2.f32", f32(-1.0), f32(0.5))) == [0x00003800]
    assert hexes(run("cvt.rn.satfinite.f16x2.f32", f32(1e9), f32(-1e9))) == [0x7BFFFBFF]
    # e4m3: 448 is its max (0x7E), 1000 saturates to it; 1.0 = 0x38; -0 = 0x80;
    # 2^-9 is its smallest subnormal (0x01); NaN -> 0x7F
    r = run("cvt.rn.satfinite.e4m3x2.f32", f32(448.0, 1.0, 2.0**-9), f32(1000.0, -0.0, np.nan))
    assert hexes(r) == [0x7E7E, 0x3880, 0x017F]
    # e5m2: 1.0 = 0x3C, 57344 = max 0x7B
    assert hexes(run("cvt.rn.satfinite.e5m2x2.f32", f32(1.0), f32(1e6))) == [0x3C7B]
    # e4m3x2 -> f16x2 (exact): upper byte 0x38 = 1.0 -> 0x3C00; lower 0x81 = -2^-9 ->
    # f16 exponent -9+15 = 6 -> 0x1800 | sign = 0x9800
    assert hexes(run("cvt.rn.f16x2.e4m3x2", u16(0x3881))) == [0x3C009800]
    assert hexes(run("cvt.rn.satfinite.e4m3x2.f16x2", u32(0x3C009800))) == [0x3881]


def test_float_to_integral_float_and_sat():
    v = f32(2.5, -0.5, 0.5)
    assert list(as_f32(run("cvt.rni.f32.f32", v))) == [2.0, -0.0, 0.0]
    assert list(as_f32(run("cvt.rmi.f32.f32", v))) == [2.0, -1.0, 0.0]
    assert hexes(run("cvt.rzi.f32.f32", f32(-0.5))) == [0x80000000]
    assert list(as_f32(run("cvt.sat.f32.f32", f32(1.5, -2.0, np.nan, 0.25)))) == [
        1.0, 0.0, 0.0, 0.25,
    ]  # fmt: skip
    assert hexes(run("cvt.ftz.f32.f32", f32(1e-40, -1e-40))) == [0, 0x80000000]


def test_cvt_pack():
    # u16: a = 70000 saturates to 0xFFFF (upper), b = -5 saturates to 0 (lower)
    assert hexes(run("cvt.pack.sat.u16.s32", u32(70000), u32(-5))) == [0xFFFF0000]
    assert hexes(run("cvt.pack.sat.s16.s32", u32(-40000), u32(7))) == [0x80000007]
    # s8 with c: d = c << 16 | a << 8 | b; a = 300 -> 127, b = -1 -> 0xFF
    assert hexes(run("cvt.pack.sat.s8.s32.b32", u32(300), u32(-1), u32(0x1234))) == [0x12347FFF]
    # u4: a = 20 -> 15, b = 3; c shifted by 8
    assert hexes(run("cvt.pack.sat.u4.s32.b32", u32(20), u32(3), u32(0xAB))) == [0xABF3]


def test_int_to_float_random_against_exact():
    """cvt.rn.f32.{u32,s32,u64,s64} and cvt.rn.f64.{u64,s64} on random integers of every
    magnitude against exact rationals rounded by the tests' own oracle."""
    from fractions import Fraction

    from .numerics_util import frac_round

    rng = np.random.default_rng(21)
    for src, w in [("u32", 32), ("s32", 32), ("u64", 64), ("s64", 64)]:
        bits = rng.integers(0, 2**63, 400, dtype=np.uint64) >> rng.integers(0, 63, 400).astype(
            np.uint64
        )
        bits = bits | (rng.integers(0, 2, 400).astype(np.uint64) << np.uint64(w - 1))
        vals = bits.astype(np.uint32) if w == 32 else bits
        for dst, (eb, mb) in [("f32", (8, 23)), ("f64", (11, 52))]:
            got = run(f"cvt.rn.{dst}.{src}", vals)
            got_v = as_f32(got) if dst == "f32" else as_f64(got)
            for v, g in zip(vals, got_v, strict=True):
                iv = int(v)
                if src[0] == "s" and iv >= 1 << (w - 1):
                    iv -= 1 << w
                want = frac_round(Fraction(iv), eb, mb, "rn")
                assert want is not None and float(g) == float(want), (src, dst, iv)
