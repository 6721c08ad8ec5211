"""Bit counting and bit fields: popc, clz, bfind, brev, bfe, bfi (PTX ISA "Integer
Arithmetic Instructions"). Part of the integer family: :mod:`.integer` folds this registry
into its ``OPCODES``."""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import numeric as nm
from ..ptx.ir import Instruction
from .table import Compute, Registry, type_of

FAMILY = Registry()


@FAMILY.elementwise("popc")
def popc(ins: Instruction) -> Compute:
    """``popc.{b32,b64}``: number of set bits (a u32 result)."""
    w = nm.width(type_of(ins))
    return lambda a: np.bitwise_count(nm.bits(a, w)).astype(np.uint32)


def _msb_index(v: Any, w: int) -> Any:
    """Index of the most significant set bit of unsigned v, -1 for 0 (int64 array)."""
    v = np.asarray(v).astype(np.uint64)
    out = np.full(v.shape, -1, np.int64)
    for sh in (32, 16, 8, 4, 2, 1):
        if sh >= w:
            continue
        hi = v >> np.uint64(sh)
        take = hi != 0
        out = np.where(take, out + sh, out)
        v = np.where(take, hi, v)
    return np.where(v != 0, out + 1, out)


@FAMILY.elementwise("clz")
def clz(ins: Instruction) -> Compute:
    """``clz.{b32,b64}``: leading zeros (N for 0), a u32 result."""
    w = nm.width(type_of(ins))
    return lambda a: (w - 1 - _msb_index(nm.bits(a, w), w)).astype(np.uint32)


@FAMILY.elementwise("bfind")
def bfind(ins: Instruction) -> Compute:
    """``bfind{.shiftamt}.{u32,u64,s32,s64}``: bit position of the most significant
    non-sign bit (signed: of ~a when a < 0); 0xFFFFFFFF when none. ``.shiftamt`` returns
    N-1 - position instead (the left shift that brings it to the msb)."""
    t = type_of(ins)
    w = nm.width(t)
    shiftamt = "shiftamt" in ins.mods
    s = nm.is_signed(t)

    def run(a: Any) -> Any:
        v = nm.bits(a, w)
        if s:
            v = np.where(nm.signed(a, t) < 0, ~v, v)
        pos = _msb_index(v, w)
        if shiftamt:
            pos = np.where(pos < 0, -1, w - 1 - pos)
        return pos.astype(np.uint32)  # -1 -> 0xFFFFFFFF

    return run


@FAMILY.elementwise("brev")
def brev(ins: Instruction) -> Compute:
    """``brev.{b32,b64}``: reverse the bit order."""
    w = nm.width(type_of(ins))
    dt = nm.UINT[w]

    def run(a: Any) -> Any:
        v = nm.bits(a, w)
        by = v.reshape(-1).view(np.uint8) if v.ndim else np.atleast_1d(v).view(np.uint8)
        rev = np.unpackbits(by, bitorder="little").reshape(-1, w)[:, ::-1]
        out = np.packbits(rev, axis=1, bitorder="little").view(dt).reshape(-1)
        return out if v.ndim else out[0]

    return run


@FAMILY.elementwise("bfe")
def bfe(ins: Instruction) -> Compute:
    """``bfe.type d, a, b, c``: extract c&0xff bits from position b&0xff, zero- (u) or
    sign-extended (s: with bit min(pos+len-1, msb)); len 0 gives 0."""
    t = type_of(ins)
    w = nm.width(t)
    s = nm.is_signed(t)

    def run(a: Any, b: Any, c: Any) -> Any:
        v = nm.bits(a, w).astype(np.uint64)
        pos = (nm.bits(b, 32) & np.uint32(0xFF)).astype(np.int64)
        ln = (nm.bits(c, 32) & np.uint32(0xFF)).astype(np.int64)
        take = np.clip(np.minimum(ln, w - pos), 0, w)  # bits actually read from a
        sh = np.minimum(pos, w - 1).astype(np.uint64)
        shifted = v >> sh
        mask = np.where(
            take >= 64, ~np.uint64(0), (np.uint64(1) << take.astype(np.uint64)) - np.uint64(1)
        )
        field = np.where(take > 0, shifted & mask, np.uint64(0))
        if s:
            top = np.minimum(pos + ln - 1, w - 1).astype(np.uint64)
            sbit = ((v >> top) & np.uint64(1)) == 1
            sbit &= ln != 0
            # bits at index >= take are the sign bit
            fill = np.where(take >= 64, np.uint64(0), ~mask)
            field = np.where(sbit, field | fill, field)
        return field.astype(nm.UINT[w])

    return run


@FAMILY.elementwise("bfi")
def bfi(ins: Instruction) -> Compute:
    """``bfi.type f, a, b, c, d``: insert the low d&0xff bits of a into b at c&0xff (bits
    past the msb are dropped; len 0 or pos > msb gives b)."""
    t = type_of(ins)
    w = nm.width(t)

    def run(a: Any, b: Any, c: Any, d: Any) -> Any:
        x = nm.bits(a, w).astype(np.uint64)
        y = nm.bits(b, w).astype(np.uint64)
        pos = (nm.bits(c, 32) & np.uint32(0xFF)).astype(np.int64)
        ln = (nm.bits(d, 32) & np.uint32(0xFF)).astype(np.int64)
        take = np.clip(np.minimum(ln, w - pos), 0, w).astype(np.uint64)
        sh = np.minimum(pos, w - 1).astype(np.uint64)
        mask = np.where(take >= 64, ~np.uint64(0), (np.uint64(1) << take) - np.uint64(1))
        mask = np.where(take == 0, np.uint64(0), mask << sh)
        return ((y & ~mask) | ((x << sh) & mask)).astype(nm.UINT[w])

    return run
