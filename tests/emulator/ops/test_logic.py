"""Logic, shifts, lop3 and prmt: truth tables and byte tables from the PTX ISA."""

from __future__ import annotations

import numpy as np
import pytest

from kernbench.emulator.ptx.ir import Imm

from .numerics_util import PAIR, hexes, run, u16, u32, u64

TA, TB, TC = 0xF0, 0xCC, 0xAA  # the ISA's lop3 operand constants
M = 0xFFFFFFFF


def test_bitwise_and_predicates():
    a, b = u32(0xFF00FF00), u32(0x0FF00FF0)
    assert hexes(run("and.b32", a, b)) == [0x0F000F00]
    assert hexes(run("or.b32", a, b)) == [0xFFF0FFF0]
    assert hexes(run("xor.b32", a, b)) == [0xF0F0F0F0]
    assert hexes(run("not.b32", a)) == [0x00FF00FF]
    assert hexes(run("not.b16", u16(0x00FF))) == [0xFF00]
    assert hexes(run("and.b64", u64(2**64 - 1), u64(5))) == [5]
    assert hexes(run("cnot.b32", u32(0, 7))) == [1, 0]
    p, q = np.array([True, True, False]), np.array([True, False, False])
    assert list(run("and.pred", p, q)) == [True, False, False]
    assert list(run("or.pred", p, q)) == [True, True, False]
    assert list(run("xor.pred", p, q)) == [False, True, False]
    assert list(run("not.pred", p)) == [False, False, True]


@pytest.mark.parametrize(
    ("lut", "fn"),
    [
        (0xF0, lambda a, b, c: a),
        (0xCC, lambda a, b, c: b),
        (0xAA, lambda a, b, c: c),
        (0x96, lambda a, b, c: a ^ b ^ c),  # 0xF0 ^ 0xCC ^ 0xAA
        (0xE8, lambda a, b, c: (a & b) | (a & c) | (b & c)),  # majority
        (0x80, lambda a, b, c: a & b & c),
        (0xFE, lambda a, b, c: a | b | c),
        (0x00, lambda a, b, c: 0),
        (0xFF, lambda a, b, c: 0xFFFFFFFF),
        (TA & ~TB & 0xFF, lambda a, b, c: a & ~b & 0xFFFFFFFF),
    ],
)
def test_lop3_tables(lut, fn):
    # a, b, c chosen so every (a, b, c) bit combination appears in the low byte
    a, b, c = u32(0xF0F0F0F0), u32(0xCCCCCCCC), u32(0xAAAAAAAA)
    got = hexes(run("lop3.b32", a, b, c, Imm(lut)))[0]
    assert got == fn(0xF0F0F0F0, 0xCCCCCCCC, 0xAAAAAAAA) & 0xFFFFFFFF
    # the low byte is the LUT itself: bit i of the result sees (a,b,c) = bits of i
    assert got & 0xFF == lut


def test_lop3_boolop_form():
    a, b, c = u32(1, 0), u32(0, 0), u32(0, 0)
    d, p = run("lop3.or.b32", a, b, c, Imm(0xF0), np.array([False, False]), dest=PAIR)
    assert hexes(d) == [1, 0] and list(p) == [True, False]
    d, p = run("lop3.and.b32", a, b, c, Imm(0xF0), np.array([False, True]), dest=PAIR)
    assert list(p) == [False, False]


def test_shifts_clamp():
    a = u32(0x80000001)
    assert hexes(run("shl.b32", a, u32(1, 31, 32, 100))) == [2, 0x80000000, 0, 0]
    assert hexes(run("shr.u32", a, u32(1, 31, 32, 2**32 - 1))) == [0x40000000, 1, 0, 0]
    # arithmetic: amounts >= 32 fill with the sign bit
    assert (
        hexes(run("shr.s32", a, u32(1, 31, 32, 1000))) == [0xC0000000, 2**32 - 1] + [2**32 - 1] * 2
    )
    assert hexes(run("shr.s32", u32(0x40000000), u32(40))) == [0]
    assert hexes(run("shl.b64", u64(1), u32(63, 64))) == [2**63, 0]
    assert hexes(run("shr.s64", u64(2**63), u32(63, 64))) == [2**64 - 1] * 2
    assert hexes(run("shr.b16", u16(0x8000), u32(15, 16))) == [1, 0]
    assert hexes(run("shl.b32", u32(1), Imm(4))) == [16]


def test_shf_funnel():
    a, b = u32(0x89ABCDEF), u32(0x01234567)  # {b, a} = 0x01234567_89ABCDEF
    # shf.l: high word of {b,a} << n; shf.r: low word of {b,a} >> n
    assert hexes(run("shf.l.wrap.b32", a, b, u32(8))) == [0x23456789]
    assert hexes(run("shf.r.wrap.b32", a, b, u32(8))) == [0x6789ABCD]
    # wrap uses n & 31 (40 -> 8); clamp uses min(n, 32): 40 -> 32 -> a (l) / b (r)
    assert hexes(run("shf.l.wrap.b32", a, b, u32(40))) == [0x23456789]
    assert hexes(run("shf.l.clamp.b32", a, b, u32(40))) == [0x89ABCDEF]
    assert hexes(run("shf.r.clamp.b32", a, b, u32(40))) == [0x01234567]
    assert hexes(run("shf.r.clamp.b32", a, b, u32(0))) == [0x89ABCDEF]


A_BYTES, B_BYTES = u32(0x33221100), u32(0x77665544)  # byte k of {b, a} is 0xkk


@pytest.mark.parametrize(
    ("sel", "want"),
    [
        (0x3210, 0x33221100),  # identity
        (0x7654, 0x77665544),  # b
        (0x0123, 0x00112233),  # byte reverse
        (0x5410, 0x55441100),
        (0x8888, 0x00000000),  # byte 0 (0x00) sign-replicated: msb 0
        (0x000F, 0x00000000 | 0x00),  # sel 7 with sign: byte 0x77 msb 0 -> 0x00
    ],
)
def test_prmt_default(sel, want):
    assert hexes(run("prmt.b32", A_BYTES, B_BYTES, u32(sel))) == [want]
    assert hexes(run("prmt.b32", A_BYTES, B_BYTES, Imm(sel))) == [want]  # constant selector


def test_prmt_sign_replication():
    a, b = u32(0x00008000 | 0x80), u32(0)  # byte0 = 0x80, byte1 = 0x80
    # selector nibbles (result byte 0 first): 8 = byte 0 with sign: 0x80 -> 0xFF; 1 = byte 1
    # copied (0x80); 0, 0 = byte 0 copied (0x80) -> 0x808080FF
    assert hexes(run("prmt.b32", a, b, u32(0x0018))) == [0x808080FF]
    # nibble 9 = byte 1 (0x80) with sign -> 0xFF; nibble 0xA = byte 2 (0x00) with sign -> 0
    assert hexes(run("prmt.b32", a, b, u32(0x00A9))) == [0x808000FF]
    assert hexes(run("prmt.b32", a, b, Imm(0x00A9))) == [0x808000FF]


# The ISA's mode tables, written as result bytes [3, 2, 1, 0] for c[1:0] = 0..3.
PRMT_MODES = {
    "f4e": ["3210", "4321", "5432", "6543"],
    "b4e": ["5670", "6701", "7012", "0123"],
    "rc8": ["0000", "1111", "2222", "3333"],
    "ecl": ["3210", "3211", "3222", "3333"],
    "ecr": ["0000", "1110", "2210", "3210"],
    "rc16": ["1010", "3232", "1010", "3232"],
}


@pytest.mark.parametrize("mode", sorted(PRMT_MODES))
def test_prmt_modes(mode):
    for sel in range(4):
        digits = PRMT_MODES[mode][sel]  # byte 3 first
        want = sum(int(d) * 0x11 << (8 * (3 - i)) for i, d in enumerate(digits))
        # only c[1:0] matters (0xFC set above it)
        got = hexes(run(f"prmt.b32.{mode}", A_BYTES, B_BYTES, u32(0xFC | sel)))[0]
        assert got == want, (mode, sel, hex(got), hex(want))
        assert hexes(run(f"prmt.b32.{mode}", A_BYTES, B_BYTES, Imm(sel)))[0] == want


def test_bmsk():
    # ISA example: bmsk.wrap.b32 d, 1, 2 = 0x00000006 (two ones from bit 1)
    assert hexes(run("bmsk.wrap.b32", u32(1), u32(2))) == [0x6]
    # width 0 -> 0; start 28 width 8 runs past bit 31: ones from 28 to 31
    assert hexes(run("bmsk.clamp.b32", u32(4, 28), u32(0, 8))) == [0, 0xF0000000]
    # clamp: start >= 32 -> 0; width >= 32 -> everything from the start up
    assert hexes(run("bmsk.clamp.b32", u32(32, 4), u32(4, 40))) == [0, 0xFFFFFFF0]
    # wrap: start 33 -> 1, width 34 -> 2
    assert hexes(run("bmsk.wrap.b32", u32(33), u32(34))) == [0x6]


def test_szext():
    # keep the low 4 bits of 0xFF (1111) and sign-extend: -1; zero-extend: 0xF
    assert hexes(run("szext.wrap.s32", u32(0xFF), u32(4))) == [0xFFFFFFFF]
    assert hexes(run("szext.wrap.u32", u32(0xFF), u32(4))) == [0xF]
    assert hexes(run("szext.wrap.s32", u32(0x7), u32(4))) == [0x7]
    # ISA example: szext.wrap.u32 d, 0xffffffff, 0 -> 0; wrap 32 -> 0 too; clamp 32 -> a
    assert hexes(run("szext.wrap.u32", u32(M, M), u32(0, 32))) == [0, 0]
    assert hexes(run("szext.clamp.s32", u32(0x80000000), u32(40))) == [0x80000000]


def test_fns():
    mask = u32(0b10110)  # set bits at 1, 2, 4
    # offset 1 from base 0: first set bit at or above 0 -> 1; offset 2 -> 2; offset 3 -> 4
    assert hexes(run("fns.b32", mask, u32(0), u32(1))) == [1]
    assert hexes(run("fns.b32", mask, u32(0), u32(3))) == [4]
    assert hexes(run("fns.b32", mask, u32(0), u32(4))) == [M]  # only three set bits
    # downward from 4: offset -1 -> 4 itself, -2 -> 2
    assert hexes(run("fns.b32", mask, u32(4), u32(-2))) == [2]
    # offset 0: base if set, else not found
    assert hexes(run("fns.b32", mask, u32(2, 3), u32(0))) == [2, M]
