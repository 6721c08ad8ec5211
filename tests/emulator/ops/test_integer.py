"""Integer arithmetic: expected values derived by hand from the PTX ISA definitions."""

from __future__ import annotations

import pytest

from kernbench.emulator.ops.table import NotSupported
from kernbench.emulator.ptx.ir import Imm

from .numerics_util import build, hexes, run, u16, u32, u64

M32 = 2**32 - 1
M64 = 2**64 - 1


def test_add_sub_wrap_and_sat():
    assert hexes(run("add.u32", u32(M32, 5), u32(1, 7))) == [0, 12]
    assert hexes(run("sub.s32", u32(0, 5), u32(1, 7))) == [M32, 2**32 - 2]
    assert hexes(run("add.s64", u64(M64), u64(2))) == [1]
    assert hexes(run("add.u16", u16(0xFFFF), u16(1))) == [0]
    # .sat.s32 clamps: INT_MAX + 1 -> INT_MAX, INT_MIN - 1 -> INT_MIN
    assert hexes(run("add.sat.s32", u32(2**31 - 1, -(2**31)), u32(1, -1))) == [
        0x7FFFFFFF, 0x80000000,
    ]  # fmt: skip
    assert hexes(run("sub.sat.s32", u32(-(2**31)), u32(1))) == [0x80000000]
    assert hexes(run("add.s32", u32(3), Imm(-1))) == [2]  # immediates wrap to the width
    with pytest.raises(NotSupported):
        build("add.cc.u32", u32(1), u32(1))


def test_simd16x2():
    # lanes: lo = 0x7FFF + 1 wraps to 0x8000; hi = 1 + 2 = 3
    assert hexes(run("add.s16x2", u32(0x00017FFF), u32(0x00020001))) == [0x00038000]
    # min.s16x2: lo min(-1, 1) = -1 (0xFFFF), hi min(2, 3) = 2; .relu clamps -1 to 0
    assert hexes(run("min.s16x2", u32(0x0002FFFF), u32(0x00030001))) == [0x0002FFFF]
    assert hexes(run("min.relu.s16x2", u32(0x0002FFFF), u32(0x00030001))) == [0x00020000]
    assert hexes(run("max.u16x2", u32(0x0002FFFF), u32(0x00030001))) == [0x0003FFFF]


def test_mul_lo_hi_wide():
    # 0xFFFFFFFF * 0xFFFFFFFF = 0xFFFFFFFE_00000001 (unsigned); (-1)*(-1) = 1 (signed)
    a = u32(M32)
    assert hexes(run("mul.lo.u32", a, a)) == [1]
    assert hexes(run("mul.hi.u32", a, a)) == [0xFFFFFFFE]
    assert hexes(run("mul.hi.s32", a, a)) == [0]
    assert hexes(run("mul.wide.u32", a, a)) == [0xFFFFFFFE00000001]
    assert hexes(run("mul.wide.s32", a, u32(3))) == [M64 - 2]  # -3
    assert hexes(run("mul.wide.u16", u16(0xFFFF), u16(0xFFFF))) == [0xFFFE0001]
    assert hexes(run("mul.wide.s16", u16(0xFFFF), u16(2))) == [0xFFFFFFFE]
    # 64-bit high words: (2^64-1)^2 = 2^128 - 2^65 + 1 -> hi = 2^64 - 2
    assert hexes(run("mul.hi.u64", u64(M64), u64(M64))) == [M64 - 1]
    # signed: (-1) * 5 = -5 -> hi = -1; 2^62 * 4 = 2^64 -> hi = 1
    assert hexes(run("mul.hi.s64", u64(-1, 2**62), u64(5, 4))) == [M64, 1]
    # (-2^63) * (-2^63) = 2^126 -> hi = 2^62
    assert hexes(run("mul.hi.s64", u64(-(2**63)), u64(-(2**63)))) == [2**62]
    assert hexes(run("mul.lo.s64", u64(2**40 + 3), u64(2**30 + 5))) == [
        ((2**40 + 3) * (2**30 + 5)) & M64
    ]


def test_mad():
    assert hexes(run("mad.lo.s32", u32(3, -2), u32(4, 5), u32(5, 1))) == [17, 2**32 - 9]
    # mad.hi.u32: hi(0xFFFFFFFF^2) = 0xFFFFFFFE, + 3 wraps to 1
    assert hexes(run("mad.hi.u32", u32(M32), u32(M32), u32(3))) == [1]
    # mad.wide.u32: 64-bit c and d
    assert hexes(run("mad.wide.u32", u32(M32), u32(2), u64(2**40))) == [2 * M32 + 2**40]
    assert hexes(run("mad.wide.s32", u32(-1), u32(2), u64(1))) == [M64]  # -2 + 1 = -1
    # mad.hi.sat.s32: hi(0x7FFFFFFF * 0x7FFFFFFF) = 0x3FFFFFFF, + 0x7FFFFFFF saturates
    assert hexes(run("mad.hi.sat.s32", u32(2**31 - 1), u32(2**31 - 1), u32(2**31 - 1))) == [
        0x7FFFFFFF
    ]


def test_mul24_mad24_sad():
    # low 24 bits: 0xFF000002 -> 2 (u), so 2 * 3 = 6; signed: 0x00FFFFFF is -1 in 24 bits
    assert hexes(run("mul24.lo.u32", u32(0xFF000002), u32(3))) == [6]
    assert hexes(run("mul24.lo.s32", u32(0x00FFFFFF), u32(3))) == [2**32 - 3]
    # hi: bits 47..16 of the 48-bit product: 0xFFFFFF * 0xFFFFFF = 0xFFFFFE000001 -> 0xFFFFFE00
    assert hexes(run("mul24.hi.u32", u32(0xFFFFFF), u32(0xFFFFFF))) == [0xFFFFFE00]
    assert hexes(run("mad24.lo.u32", u32(2), u32(3), u32(10))) == [16]
    assert hexes(run("sad.s32", u32(-3), u32(4), u32(1))) == [8]  # 1 + |-3 - 4|
    assert hexes(run("sad.u32", u32(3), u32(M32), u32(0))) == [M32 - 3]


def test_div_rem():
    assert hexes(run("div.u32", u32(7, 7), u32(2, 0))) == [3, M32]  # /0 -> all ones (ours)
    assert hexes(run("rem.u32", u32(7, 7), u32(2, 0))) == [1, 7]  # %0 -> dividend (ours)
    # signed truncates toward zero; remainder has the dividend's sign
    d = run("div.s32", u32(-7, 7, -7, -(2**31), 5), u32(2, -2, -2, -1, 0))
    assert hexes(d) == [2**32 - 3, 2**32 - 3, 3, 0x80000000, M32]
    r = run("rem.s32", u32(-7, 7, -7, -(2**31)), u32(2, -2, -2, -1))
    assert hexes(r) == [M32, 1, M32, 0]
    assert hexes(run("div.s64", u64(-(2**63)), u64(2))) == [2**64 - 2**62]
    assert hexes(run("div.u64", u64(M64), u64(3))) == [M64 // 3]
    assert hexes(run("rem.s64", u64(-(2**63) + 1), u64(10))) == [(-((2**63 - 1) % 10)) & M64]


def test_abs_neg_min_max():
    assert hexes(run("abs.s32", u32(-5, 5, -(2**31)))) == [5, 5, 0x80000000]
    assert hexes(run("neg.s32", u32(5, 0))) == [2**32 - 5, 0]
    assert hexes(run("abs.s16", u16(0xFFFE))) == [2]
    assert hexes(run("min.s32", u32(-1), u32(1))) == [M32]
    assert hexes(run("min.u32", u32(-1), u32(1))) == [1]
    assert hexes(run("max.s64", u64(-1), u64(1))) == [1]
    assert hexes(run("max.relu.s32", u32(-5, -5), u32(-3, 4))) == [0, 4]
    assert hexes(run("min.relu.s32", u32(-5), u32(3))) == [0]


def test_bit_counts():
    assert hexes(run("popc.b32", u32(0, M32, 0x80000001))) == [0, 32, 2]
    assert hexes(run("popc.b64", u64(M64))) == [64]
    assert hexes(run("clz.b32", u32(0, 1, 0x80000000, 0x00010000))) == [32, 31, 0, 15]
    assert hexes(run("clz.b64", u64(0, 1, 2**40))) == [64, 63, 23]
    # bfind: msb position; none -> 0xFFFFFFFF; signed: msb of the non-sign bits
    assert hexes(run("bfind.u32", u32(0, 1, 0x80000000, 0x10))) == [M32, 0, 31, 4]
    assert hexes(run("bfind.s32", u32(-1, -2, 0x10, -17))) == [M32, 0, 4, 4]
    # .shiftamt: 31 - position (the shift that brings it to the msb)
    assert hexes(run("bfind.shiftamt.u32", u32(0, 1, 0x80000000))) == [M32, 31, 0]
    assert hexes(run("bfind.u64", u64(2**40))) == [40]
    assert hexes(run("brev.b32", u32(1, 0x80000000, 0x12345678))) == [0x80000000, 1, 0x1E6A2C48]
    assert hexes(run("brev.b64", u64(1))) == [2**63]


BFE_CASES = [
    # a, pos, len, u32 result, s32 result   (derivation: the ISA's bfe pseudo-code)
    (0x0000F000, 12, 4, 0xF, M32),  # field 1111, sign bit a[15] = 1 -> all ones
    (0x00007000, 12, 4, 0x7, 0x7),  # field 0111, sign bit 0
    (0x12345678, 0, 0, 0, 0),  # len 0 -> 0
    (0x80000000, 31, 8, 1, M32),  # pos+len past msb: 1 bit read, sign a[31] = 1
    (0x80000000, 40, 8, 0, M32),  # pos past msb: no bits, sign a[min(47, 31)] = a[31]
    (0x12345678, 4, 8, 0x67, 0x67),
    (0x12345678, 0x104, 0x108, 0x67, 0x67),  # only the low 8 bits of b, c count
    (0xFFFFFFFF, 0, 32, M32, M32),
    (0x00000080, 0, 8, 0x80, 0xFFFFFF80),
]


@pytest.mark.parametrize(("a", "pos", "ln", "want_u", "want_s"), BFE_CASES)
def test_bfe(a, pos, ln, want_u, want_s):
    assert hexes(run("bfe.u32", u32(a), u32(pos), u32(ln))) == [want_u]
    assert hexes(run("bfe.s32", u32(a), u32(pos), u32(ln))) == [want_s]


def test_bfe_64_and_bfi():
    assert hexes(run("bfe.u64", u64(0xF << 60), u32(60), u32(4))) == [0xF]
    assert hexes(run("bfe.s64", u64(0x8 << 60), u32(60), u32(4))) == [M64 - 7]  # 1000 -> -8
    assert hexes(run("bfe.u64", u64(M64), u32(0), u32(64))) == [M64]
    # bfi f, a, b, pos, len: insert a's low len bits into b at pos
    assert hexes(run("bfi.b32", u32(0xF), u32(0), u32(4), u32(4))) == [0xF0]
    assert hexes(run("bfi.b32", u32(0xFF), u32(0x12345678), u32(28), u32(8))) == [0xF2345678]
    assert hexes(run("bfi.b32", u32(0xF), u32(7), u32(40), u32(4))) == [7]  # pos > msb -> b
    assert hexes(run("bfi.b32", u32(0xF), u32(7), u32(4), u32(0))) == [7]  # len 0 -> b
    assert hexes(run("bfi.b64", u64(1), u64(0), u32(63), u32(1))) == [2**63]
    assert hexes(run("bfi.b64", u64(M64), u64(0), u32(0), u32(64))) == [M64]


def test_dp4a_dp2a():
    # bytes of a: 1, 2, 3, 0xFF; of b: 4, 5, 6, 7
    a, b = u32(0xFF030201), u32(0x07060504)
    # unsigned: 4 + 10 + 18 + 255*7 = 1817; signed a: 0xFF = -1 -> 4 + 10 + 18 - 7 = 25
    assert hexes(run("dp4a.u32.u32", a, b, u32(0))) == [1817]
    assert hexes(run("dp4a.s32.u32", a, b, u32(100))) == [125]
    # dp2a: a halves 0x0201 = 513 and 0xFF03 (-253 signed); .lo uses bytes 0,1 of b (4, 5)
    assert hexes(run("dp2a.lo.u32.u32", a, b, u32(0))) == [513 * 4 + 0xFF03 * 5]
    assert hexes(run("dp2a.hi.s32.s32", a, b, u32(0))) == [513 * 6 - 253 * 7]
