"""mov: copies, immediates (with raw float bits), predicates, brace packing/unpacking."""

from __future__ import annotations

import numpy as np

from kernbench.emulator.ptx.ir import Imm, Reg, Vec

from .numerics_util import hexes, run, u8, u16, u32, u64

V2 = Vec((Reg("%a"), Reg("%b")))
V4 = Vec((Reg("%a"), Reg("%b"), Reg("%c"), Reg("%d")))


def test_mov_copies_and_immediates():
    assert hexes(run("mov.u32", u32(5, 6))) == [5, 6]
    assert hexes(run("mov.b32", Imm(-1))) == [0xFFFFFFFF]
    assert hexes(run("mov.f32", Imm(1.0, bits=0x3F800000, width=32))) == [0x3F800000]
    # a NaN literal keeps its payload; a decimal float literal rounds to the type
    assert hexes(run("mov.f32", Imm(float("nan"), bits=0x7FC00123, width=32))) == [0x7FC00123]
    assert hexes(run("mov.f32", Imm(0.1))) == [int(np.array(0.1, np.float32).view(np.uint32))]
    assert hexes(run("mov.f64", Imm(1.0, bits=0x3FF0000000000000, width=64))) == [
        0x3FF0000000000000
    ]
    # a 0f literal in an f64 instruction is converted (exact)
    assert hexes(run("mov.f64", Imm(0.5, bits=0x3F000000, width=32))) == [0x3FE0000000000000]
    assert hexes(run("mov.u64", Imm(2**64 - 1))) == [2**64 - 1]
    assert list(run("mov.pred", np.array([True, False]))) == [True, False]
    assert bool(run("mov.pred", Imm(1)))


def test_pack_unpack():
    # first element = least significant
    assert hexes(run("mov.b32", (u16(0x1111), u16(0x2222)))) == [0x22221111]
    assert hexes(run("mov.b64", (u32(1), u32(2)))) == [0x0000000200000001]
    assert hexes(run("mov.b32", (u8(1), u8(2), u8(3), u8(4)))) == [0x04030201]
    lo, hi = run("mov.b32", u32(0x22221111), dest=V2)
    assert hexes(lo) == [0x1111] and hexes(hi) == [0x2222]
    assert lo.dtype == np.uint16
    lo, hi = run("mov.b64", u64(0x0000000200000001), dest=V2)
    assert hexes(lo) == [1] and hexes(hi) == [2]
    parts = run("mov.b32", u32(0x04030201), dest=V4)
    assert [hexes(p)[0] for p in parts] == [1, 2, 3, 4]
    # a brace list with an immediate element
    assert hexes(run("mov.b32", (Imm(0), u16(0xBEEF)))) == [0xBEEF0000]
