"""numeric.py: rounding to every small format in every mode against the tests' own exact
oracle, error-free transforms, decoding and immediates."""

from __future__ import annotations

import itertools
import math
from fractions import Fraction

import numpy as np
import pytest

from kernbench.emulator import numeric as nm
from kernbench.emulator.ptx.ir import Imm

from .ops.numerics_util import frac_round, overflow_value

IEEE = {"f32": (8, 23), "f16": (5, 10), "bf16": (8, 7), "tf32": (8, 10), "e5m2": (5, 2)}


def _sample(rng: np.random.Generator, eb: int, mb: int, n: int) -> np.ndarray:
    """float64 values around the format: random exponents across its range (and a bit
    beyond), significands with bits just past the format's (ties and near-ties)."""
    bias = (1 << (eb - 1)) - 1
    e = rng.integers(-bias - mb - 3, bias + 2, n)
    sig = 1 + rng.integers(0, 2 ** (mb + 3), n) / 2 ** (mb + 3)
    sig = np.where(rng.random(n) < 0.3, 1 + rng.integers(0, 2**52, n) / 2**52, sig)
    return np.ldexp(sig, e) * np.where(rng.random(n) < 0.5, -1, 1)


def _value(bits: int, fmt: str) -> float:
    eb, mb = IEEE[fmt]
    if fmt == "tf32":
        bits >>= 13
    sign = -1.0 if bits >> (eb + mb) & 1 else 1.0
    e = bits >> mb & ((1 << eb) - 1)
    m = bits & ((1 << mb) - 1)
    bias = (1 << (eb - 1)) - 1
    if e == (1 << eb) - 1:
        return sign * math.inf if m == 0 else math.nan
    if e == 0:
        return sign * m * 2.0 ** (1 - bias - mb)
    return sign * (1 + m / 2**mb) * 2.0 ** (e - bias)


@pytest.mark.parametrize(
    ("fmt", "mode"), list(itertools.product(sorted(IEEE), ["rn", "rz", "rm", "rp", "rna"]))
)
def test_round_to_matches_exact_oracle(fmt, mode):
    eb, mb = IEEE[fmt]
    rng = np.random.default_rng(len(fmt) * 31 + len(mode))
    x = _sample(rng, eb, mb, 500)
    got = nm.round_to(x, fmt, mode)
    for v, g in zip(x, got, strict=True):
        q = Fraction(float(v))
        r = frac_round(q, eb, mb, mode)
        if r is None:
            want = overflow_value(1 if q > 0 else -1, eb, mb, mode)
            if mode == "rna":
                want = math.copysign(math.inf, v)
        else:
            want = math.copysign(float(r), v)
        assert _value(int(g), fmt) == want, (fmt, mode, float(v), hex(int(g)), want)
        assert math.copysign(1, _value(int(g), fmt)) == math.copysign(1, want)


def test_round_to_specials():
    x = np.array([np.nan, np.inf, -np.inf, -0.0, 0.0])
    assert list(nm.round_to(x, "f16")) == [0x7FFF, 0x7C00, 0xFC00, 0x8000, 0]
    assert list(nm.round_to(x, "bf16", satfinite=True)) == [0x7FFF, 0x7F7F, 0xFF7F, 0x8000, 0]
    assert list(nm.round_to(x, "f32")) == [0x7FFFFFFF, 0x7F800000, 0xFF800000, 1 << 31, 0]
    assert list(nm.round_to(np.array([-1.0, np.nan]), "f16", relu=True)) == [0, 0x7FFF]
    # ftz on the result: f16 subnormal 2^-20 -> 0 (sign kept)
    assert list(nm.round_to(np.array([2.0**-20, -(2.0**-20)]), "f16", ftz=True)) == [0, 0x8000]
    # e4m3: max 448 = 0x7E; 464 is the tie with "480" (which would be NaN) -> satfinite 0x7E
    e4 = nm.round_to(np.array([448.0, 464.0, 2.0**-9, 2.0**-10, 1.0]), "e4m3", satfinite=True)
    assert list(e4) == [0x7E, 0x7E, 0x01, 0x00, 0x38]
    assert int(nm.round_to(np.array([1e9]), "e4m3")[0]) & 0x7F == 0x7F  # no inf: NaN


def test_decode_roundtrip_all_small_formats():
    for fmt, n in [("bf16", 1 << 16), ("f16", 1 << 16), ("e4m3", 256), ("e5m2", 256)]:
        b = np.arange(n, dtype=np.int64)
        with np.errstate(invalid="ignore"):  # signalling NaN patterns
            v = nm.decode(b, fmt).astype(np.float64)
        back = nm.round_to(v, fmt)
        nan = np.isnan(v)
        assert np.array_equal(back[~nan], b[~nan]), fmt
    # e4m3 spot values: 0x38 = 1.0, 0x7E = 448, 0x01 = 2^-9, 0x7F = NaN
    assert list(nm.decode(np.array([0x38, 0x7E, 0x01, 0xFE]), "e4m3")) == [
        1.0,
        448.0,
        2.0**-9,
        -448.0,
    ]
    assert np.isnan(nm.decode(np.array([0x7F]), "e4m3")[0])


def test_error_free_transforms():
    rng = np.random.default_rng(3)
    a = rng.standard_normal(200) * 2.0 ** rng.integers(-40, 40, 200)
    b = rng.standard_normal(200) * 2.0 ** rng.integers(-40, 40, 200)
    s, e = nm.two_sum(a, b)
    p, f = nm.two_prod(a, b)
    for i in range(200):
        A, B = Fraction(a[i]), Fraction(b[i])
        assert Fraction(s[i]) + Fraction(e[i]) == A + B
        assert Fraction(p[i]) + Fraction(f[i]) == A * B
    # to_odd: inexact RN values move to the odd neighbour toward the exact value
    r = np.array([1.0, 1.0, 1.0 + 2.0**-52])
    odd = nm.to_odd(r, np.array([1.0, -1.0, 1.0]))
    assert list(odd) == [1.0 + 2.0**-52, 1.0 - 2.0**-53, 1.0 + 2.0**-52]


def test_round_fraction_f64_modes():
    third = Fraction(1, 3)
    lo = float(np.nextafter(1 / 3, 0))
    assert nm.round_fraction_f64(third, "rn") == 1 / 3
    assert nm.round_fraction_f64(third, "rz") in (1 / 3, lo)
    assert nm.round_fraction_f64(third, "rm") <= third <= nm.round_fraction_f64(third, "rp")
    huge = Fraction(10) ** 400
    assert nm.round_fraction_f64(huge, "rn") == math.inf
    assert nm.round_fraction_f64(huge, "rz") == float(np.finfo(np.float64).max)
    assert nm.round_fraction_f64(-huge, "rp") == -float(np.finfo(np.float64).max)


def test_immediates_and_views():
    assert nm.imm_bits(Imm(-1), "s32") == 0xFFFFFFFF
    assert nm.imm_bits(Imm(-1), "u16") == 0xFFFF
    assert nm.imm_bits(Imm(1.5), "f32") == 0x3FC00000
    assert nm.imm_bits(Imm(1.5), "f16") == 0x3E00
    assert nm.imm_bits(Imm(1.5), "bf16") == 0x3FC0
    assert nm.imm_bits(Imm(1.5), "f64") == 0x3FF8000000000000
    assert nm.imm_bits(Imm(1.0, bits=0x3F800000, width=32), "b32") == 0x3F800000
    assert nm.typed(np.array([0xFFFF], np.uint16), "s16")[0] == -1
    assert nm.typed(np.array([0x3F80], np.uint16), "bf16")[0] == 1.0
    # a wider register is truncated to the type (cvt.f32.f16 from a .b32 register)
    assert nm.bits(np.array([0x12345678], np.uint32), 16)[0] == 0x5678
    assert list(nm.flush(np.array([1e-40, -1e-40, 1.0], np.float32))) == [0.0, -0.0, 1.0]
    assert np.signbit(nm.flush(np.array([-1e-40], np.float32))[0])
    assert list(nm.saturate(np.array([-1.0, 2.0, np.nan, 0.5]))) == [0.0, 1.0, 0.0, 0.5]


def test_fast_conversions_match_round_to():
    """The fast round-to-nearest paths agree with round_to (itself checked against the
    exact oracle above) on f32 bit patterns of every kind and on float64 values."""
    rng = np.random.default_rng(5)
    b32 = rng.integers(0, 2**32, 20000, dtype=np.uint64).astype(np.uint32)
    b32 = np.concatenate(
        [
            b32,
            np.array(
                [
                    0x3F808000,
                    0x3F818000,
                    0x7F7FFFFF,
                    0x7F7F8000,
                    0x00008000,
                    0x80018000,
                    0x7FC00001,
                ],
                np.uint32,
            ),
        ]
    )
    with np.errstate(invalid="ignore"):
        v32 = b32.view(np.float32).astype(np.float64)
    assert np.array_equal(nm.f32_to_bf16_rn(b32), nm.round_to(v32, "bf16").astype(np.uint16))
    assert np.array_equal(
        nm.f32_to_f16_rn(b32.view(np.float32)), nm.round_to(v32, "f16").astype(np.uint16)
    )
    x = _sample(rng, 8, 7, 20000)
    x = np.concatenate([x, [3.3961e38, 3.4e38, 1e39, -1e-46, 2.0**-133 * 1.5, -0.0]])
    assert np.array_equal(nm.f64_to_bf16_rn(x), nm.round_to(x, "bf16").astype(np.uint16))
    assert np.array_equal(nm.f64_to_f32_rn(x), nm.round_to(x, "f32").astype(np.uint32))
    y = _sample(rng, 5, 10, 20000)
    y = np.concatenate([y, [65520.0, 65519.99, 2.0**-25, 2.0**-25 * 1.0000001, np.nan, -0.0]])
    assert np.array_equal(nm.f64_to_f16_rn(y), nm.round_to(y, "f16").astype(np.uint16))
