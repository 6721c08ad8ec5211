"""setp, set, selp, slct, testp: the PTX ISA's comparison rules (ordered vs unordered)."""

from __future__ import annotations

import numpy as np
import pytest

from kernbench.emulator.ptx.ir import Imm

from .numerics_util import PAIR, f32, f64, hexes, run, u16, u32, u64

NAN = np.nan
# a, b over: less, equal, greater, NaN left, NaN right
FA = f32(1.0, 2.0, 3.0, NAN, 1.0)
FB = f32(2.0, 2.0, 2.0, 1.0, NAN)
FLOAT_TRUTH = {
    "eq": [0, 1, 0, 0, 0],
    "ne": [1, 0, 1, 0, 0],
    "lt": [1, 0, 0, 0, 0],
    "le": [1, 1, 0, 0, 0],
    "gt": [0, 0, 1, 0, 0],
    "ge": [0, 1, 1, 0, 0],
    "equ": [0, 1, 0, 1, 1],
    "neu": [1, 0, 1, 1, 1],
    "ltu": [1, 0, 0, 1, 1],
    "leu": [1, 1, 0, 1, 1],
    "gtu": [0, 0, 1, 1, 1],
    "geu": [0, 1, 1, 1, 1],
    "num": [1, 1, 1, 0, 0],
    "nan": [0, 0, 0, 1, 1],
}


@pytest.mark.parametrize("cmp", sorted(FLOAT_TRUTH))
def test_setp_float_truth_table(cmp):
    want = [bool(x) for x in FLOAT_TRUTH[cmp]]
    assert list(run(f"setp.{cmp}.f32", FA, FB)) == want
    assert list(run(f"setp.{cmp}.f64", f64(1.0, 2.0, 3.0, NAN, 1.0),
                    f64(2.0, 2.0, 2.0, 1.0, NAN))) == want  # fmt: skip
    # f16 bits: 1.0 = 0x3C00, 2.0 = 0x4000, 3.0 = 0x4200, NaN = 0x7E00
    a16, b16 = u16(0x3C00, 0x4000, 0x4200, 0x7E00, 0x3C00), u16(0x4000, 0x4000, 0x4000, 0x3C00,
                                                                 0x7E00)  # fmt: skip
    assert list(run(f"setp.{cmp}.f16", a16, b16)) == want


def test_setp_integers_signedness():
    a, b = u32(-1, 1, 5), u32(1, -1, 5)
    assert list(run("setp.lt.s32", a, b)) == [True, False, False]
    assert list(run("setp.lt.u32", a, b)) == [False, True, False]
    assert list(run("setp.lo.u32", a, b)) == [False, True, False]
    assert list(run("setp.hs.b32", a, b)) == [True, False, True]
    assert list(run("setp.ge.s64", u64(-1), u64(0))) == [False]
    assert list(run("setp.ne.b16", u16(1), u16(1))) == [False]
    assert list(run("setp.eq.s32", u32(0), Imm(0))) == [True]


def test_setp_pair_and_boolop():
    a, b = u32(1, 3), u32(2, 2)
    p, q = run("setp.lt.s32", a, b, dest=PAIR)
    assert list(p) == [True, False] and list(q) == [False, True]
    c = np.array([False, True])
    # p = (a<b) AND c; q = !(a<b) AND c
    p, q = run("setp.lt.and.s32", a, b, c, dest=PAIR)
    assert list(p) == [False, False] and list(q) == [False, True]
    p = run("setp.lt.or.s32", a, b, c)
    assert list(p) == [True, True]
    p = run("setp.lt.xor.s32", a, b, c)
    assert list(p) == [True, True]


def test_setp_ftz_and_packed():
    # a subnormal equals zero only under .ftz
    assert list(run("setp.eq.f32", f32(1e-40), f32(0.0))) == [False]
    assert list(run("setp.eq.ftz.f32", f32(1e-40), f32(0.0))) == [True]
    # -0 == +0
    assert list(run("setp.eq.f32", f32(-0.0), f32(0.0))) == [True]
    # f16x2: low halves 1.0 < 2.0 -> p; high halves 3.0 < 2.0 false -> q
    p, q = run("setp.lt.f16x2", u32(0x42003C00), u32(0x40004000), dest=PAIR)
    assert list(p) == [True] and list(q) == [False]
    p, q = run("setp.gt.bf16x2", u32(0x40403F80), u32(0x40003F80), dest=PAIR)  # 3>2, 1>1
    assert list(p) == [False] and list(q) == [True]


def test_set_dest_types():
    a, b = f32(1.0, 3.0), f32(2.0, 2.0)
    assert hexes(run("set.lt.u32.f32", a, b)) == [0xFFFFFFFF, 0]
    assert hexes(run("set.lt.s32.f32", a, b)) == [0xFFFFFFFF, 0]
    assert hexes(run("set.lt.f32.f32", a, b)) == [0x3F800000, 0]
    assert hexes(run("set.gt.and.u32.s32", u32(5, 5), u32(1, 1), np.array([True, False]))) == [
        0xFFFFFFFF, 0,
    ]  # fmt: skip
    # packed: per half 1.0 (f16x2) or 0xFFFF (u32)
    assert hexes(run("set.lt.f16x2.f16x2", u32(0x42003C00), u32(0x40004000))) == [0x00003C00]
    assert hexes(run("set.lt.u32.f16x2", u32(0x42003C00), u32(0x40004000))) == [0x0000FFFF]


def test_selp_slct():
    c = np.array([True, False])
    assert hexes(run("selp.b32", u32(1, 1), u32(2, 2), c)) == [1, 2]
    assert hexes(run("selp.f64", f64(1.0, 1.0), f64(2.0, 2.0), c)) == hexes(f64(1.0, 2.0))
    assert hexes(run("selp.u32", Imm(7), Imm(9), c)) == [7, 9]
    # slct: c >= 0 picks a; -0.0 >= 0; NaN picks b (our reading: the comparison fails)
    assert hexes(run("slct.u32.s32", u32(1, 1, 1), u32(2, 2, 2), u32(0, -1, 5))) == [1, 2, 1]
    got = run("slct.u32.f32", u32(1, 1, 1, 1), u32(2, 2, 2, 2), f32(-0.0, -1.0, NAN, 1e-40))
    assert hexes(got) == [1, 2, 2, 1]
    assert hexes(run("slct.ftz.u32.f32", u32(1), u32(2), f32(-1e-40))) == [1]  # -> -0 >= 0


def test_testp():
    v = f32(1.0, 1e-40, 0.0, np.inf, NAN, -np.inf)
    assert list(run("testp.finite.f32", v)) == [True, True, True, False, False, False]
    assert list(run("testp.infinite.f32", v)) == [False, False, False, True, False, True]
    assert list(run("testp.number.f32", v)) == [True, True, True, True, False, True]
    assert list(run("testp.notanumber.f32", v)) == [False, False, False, False, True, False]
    assert list(run("testp.normal.f32", v)) == [True, False, False, False, False, False]
    assert list(run("testp.subnormal.f32", v)) == [False, True, False, False, False, False]
    assert list(run("testp.subnormal.f64", f64(5e-324, 1e-300))) == [True, False]
