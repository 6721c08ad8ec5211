"""Bitwise logic, shifts and byte permutes: and, or, xor, not, cnot, lop3, shl, shr, shf, prmt.

All operate on raw bits; ``.pred`` forms operate on bool arrays (PTX ISA "Logic and Shift
Instructions", "prmt").
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import numeric as nm
from ..ptx.ir import Imm, Instruction, Pair
from .table import Compute, NotSupported, Registry, type_of

FAMILY = Registry()


def _pred(x: Any) -> Any:
    return np.asarray(x.value != 0) if isinstance(x, Imm) else x


@FAMILY.elementwise("and", "or", "xor")
def bitwise(ins: Instruction) -> Compute:
    """``and/or/xor.{pred,b16,b32,b64}``: bitwise on raw bits (or bools for ``.pred``)."""
    t = type_of(ins)
    fn = {"and": np.bitwise_and, "or": np.bitwise_or, "xor": np.bitwise_xor}[ins.opcode]
    if t == "pred":
        return lambda a, b: fn(_pred(a), _pred(b))
    w = nm.width(t)
    return lambda a, b: fn(nm.bits(a, w, t), nm.bits(b, w, t))


@FAMILY.elementwise("not")
def not_(ins: Instruction) -> Compute:
    """``not.type d, a``: one's complement (logical not for ``.pred``)."""
    t = type_of(ins)
    if t == "pred":
        return lambda a: ~_pred(a)
    w = nm.width(t)
    return lambda a: ~nm.bits(a, w, t)


@FAMILY.elementwise("cnot")
def cnot(ins: Instruction) -> Compute:
    """``cnot.type d, a``: d = (a == 0) ? 1 : 0 (C's logical not)."""
    t = type_of(ins)
    w = nm.width(t)
    dt = nm.UINT[w]
    return lambda a: (nm.bits(a, w, t) == 0).astype(dt)


@FAMILY.elementwise("lop3")
def lop3(ins: Instruction) -> Compute:
    """``lop3.b32 d, a, b, c, immLut``: each result bit is ``immLut[(a<<2)|(b<<1)|c]`` of the
    three source bits (so 0xF0 = a, 0xCC = b, 0xAA = c). The ``.BoolOp`` form
    (``lop3.or.b32 d|p, a, b, c, immLut, q``) also writes p = (d != 0) BoolOp q."""
    t = type_of(ins)
    if t != "b32":
        raise NotSupported(ins, f"lop3.{t}")
    boolop = next((m for m in ins.mods if m in ("and", "or")), None)
    lut_op = ins.operands[4]  # d (or d|p), a, b, c, immLut[, q]
    if not isinstance(lut_op, Imm):
        raise NotSupported(ins, "immLut must be an immediate")
    lut = int(lut_op.value) & 0xFF
    # Shannon expansion: for each (a, b) the function of c is 0, ~0, c or ~c; then two muxes.
    ones = np.uint32(0xFFFFFFFF)

    def of_c(j: int, c: Any) -> Any:
        lo, hi = lut >> (2 * j) & 1, lut >> (2 * j + 1) & 1
        if lo == hi:
            return ones if lo else np.uint32(0)
        return c if hi else ~c

    def mux(s: Any, x: Any, y: Any) -> Any:  # s ? x : y, bitwise
        return y ^ ((x ^ y) & s)

    def core(a: Any, b: Any, c: Any, _lut: Any = None) -> Any:
        a, b, c = nm.bits(a, 32), nm.bits(b, 32), nm.bits(c, 32)
        h0 = mux(b, of_c(1, c), of_c(0, c))
        h1 = mux(b, of_c(3, c), of_c(2, c))
        out = mux(a, h1, h0)
        return np.broadcast_to(out, np.broadcast(a, b, c).shape).astype(np.uint32)

    if boolop is None:
        return core
    if not isinstance(ins.operands[0], Pair):
        raise NotSupported(ins, "lop3 with a BoolOp writes d|p")
    combine = np.logical_and if boolop == "and" else np.logical_or

    def with_pred(a: Any, b: Any, c: Any, _lut: Any, q: Any) -> tuple[Any, Any]:
        d = core(a, b, c)
        return d, combine(d != 0, _pred(q))

    return with_pred


@FAMILY.elementwise("shl", "shr")
def shift(ins: Instruction) -> Compute:
    """``shl.bN`` / ``shr.{bN,uN,sN}`` by an unsigned 32-bit amount. Amounts >= N clamp:
    shl and logical shr give 0, arithmetic shr (``.s``) fills with the sign bit."""
    t = type_of(ins)
    w = nm.width(t)
    dt = nm.UINT[w]
    arith = ins.opcode == "shr" and nm.is_signed(t)

    def run(a: Any, b: Any) -> Any:
        n = nm.bits(b, 32)
        big = n >= w
        k = np.minimum(n, w - 1).astype(dt)
        if ins.opcode == "shl":
            return np.where(big, dt(0), nm.bits(a, w, t) << k)
        if arith:
            st = nm.SINT[w]
            return (nm.signed(a, t) >> k.astype(st)).astype(st).view(dt)  # k <= w-1: sign fill
        return np.where(big, dt(0), nm.bits(a, w, t) >> k)

    return run


@FAMILY.elementwise("shf")
def shf(ins: Instruction) -> Compute:
    """``shf.{l,r}.{wrap,clamp}.b32 d, a, b, c`` funnel shift of the 64-bit {b:a}.

    n = c & 31 (wrap) or min(c, 32) (clamp); shf.l: d = high word of ({b,a} << n);
    shf.r: d = low word of ({b,a} >> n). ``.r`` with ``.s32`` (sm_90 PTX) shifts
    arithmetically, ``.u32`` like ``.b32``.
    """
    left = "l" in ins.mods
    clamp = "clamp" in ins.mods
    t = type_of(ins)
    if "l" not in ins.mods and "r" not in ins.mods:
        raise NotSupported(ins, "shf needs .l or .r")

    def run(a: Any, b: Any, c: Any) -> Any:
        n = nm.bits(c, 32).astype(np.uint64)
        n = np.minimum(n, np.uint64(32)) if clamp else n & np.uint64(31)
        if t == "s32" and not left:
            v = (nm.bits(b, 32).astype(np.uint64) << np.uint64(32)) | nm.bits(a, 32)
            return (v.view(np.int64) >> n.astype(np.int64)).astype(np.uint32)
        v = (nm.bits(b, 32).astype(np.uint64) << np.uint64(32)) | nm.bits(a, 32)
        if left:
            return ((v << n) >> np.uint64(32)).astype(np.uint32)
        return (v >> n).astype(np.uint32)

    return run


# Byte selectors of the prmt modes, indexed [mode][c & 3][result byte 0..3].
_PRMT_MODES = {
    "f4e": [[(s + i) & 7 for i in range(4)] for s in range(4)],
    "b4e": [[(s - i) & 7 for i in range(4)] for s in range(4)],
    "rc8": [[s] * 4 for s in range(4)],
    "ecl": [[max(i, s) for i in range(4)] for s in range(4)],
    "ecr": [[min(i, s) for i in range(4)] for s in range(4)],
    "rc16": [[2 * (s & 1) + (i & 1) for i in range(4)] for s in range(4)],
}


@FAMILY.elementwise("prmt")
def prmt(ins: Instruction) -> Compute:
    """``prmt.b32{.mode} d, a, b, c``: pick 4 of the 8 bytes {b, a} (a = bytes 0-3).

    Default mode: result byte i is selected by nibble i of c; its bit 3 replicates the
    selected byte's sign bit. Modes use c & 3 (see ``_PRMT_MODES``), no sign replication.
    """
    mode = next((m for m in ins.mods if m in _PRMT_MODES), None)
    table = np.array(_PRMT_MODES[mode], np.uint64) if mode else None

    sel_op = ins.operands[3] if len(ins.operands) > 3 else None
    if isinstance(sel_op, Imm):  # the usual case: a constant selector, decoded once
        c0 = int(sel_op.value) & 0xFFFFFFFF
        plan = []
        for i in range(4):
            if table is None:
                nib = c0 >> (4 * i) & 0xF
                plan.append((nib & 7, bool(nib & 8)))
            else:
                plan.append((int(table[c0 & 3, i]), False))

        def run_imm(a: Any, b: Any, _c: Any) -> Any:
            words = (nm.bits(a, 32), nm.bits(b, 32))
            out = None
            for i, (sel, sign) in enumerate(plan):
                byte = (words[sel >> 2] >> np.uint32(8 * (sel & 3))) & np.uint32(0xFF)
                if sign:
                    byte = np.where(byte & np.uint32(0x80), np.uint32(0xFF), np.uint32(0))
                byte = byte << np.uint32(8 * i)
                out = byte if out is None else out | byte
            return out

        return run_imm

    def run(a: Any, b: Any, c: Any) -> Any:
        src = (nm.bits(b, 32).astype(np.uint64) << np.uint64(32)) | nm.bits(a, 32)
        cc = nm.bits(c, 32).astype(np.uint64)
        shape = np.broadcast(src, cc).shape
        out = np.zeros(shape, np.uint64)
        for i in range(4):
            if table is None:
                nib = (cc >> np.uint64(4 * i)) & np.uint64(0xF)
                sel = nib & np.uint64(7)
                byte = (src >> (sel * np.uint64(8))) & np.uint64(0xFF)
                sign = (byte >> np.uint64(7)) * np.uint64(0xFF)
                byte = np.where(nib & np.uint64(8), sign, byte)
            else:
                sel = table[(cc & np.uint64(3)).astype(np.intp), i]
                byte = (src >> (sel * np.uint64(8))) & np.uint64(0xFF)
            out |= byte << np.uint64(8 * i)
        return out.astype(np.uint32)

    return run


@FAMILY.elementwise("bmsk")
def bmsk(ins: Instruction) -> Compute:
    """``bmsk.{clamp,wrap}.b32 d, a, b``: a mask of b ones starting at bit a (the ISA's
    pseudo-code: a and b taken mod 32; .clamp makes a >= 32 give 0 and b >= 32 reach bit
    31; a sum past bit 31 fills to the top)."""
    clamp = "clamp" in ins.mods

    def run(a: Any, b: Any) -> Any:
        av, bv = nm.bits(a, 32).astype(np.uint64), nm.bits(b, 32).astype(np.uint64)
        ones = np.uint64(0xFFFFFFFF)
        a1, b1 = av & np.uint64(31), bv & np.uint64(31)
        mask0 = (ones << a1) & ones
        total = a1 + b1
        mask1 = (ones << np.minimum(total, np.uint64(32))) & ones
        kill = total >= 32
        if clamp:
            mask0 = np.where(av >= 32, np.uint64(0), mask0)
            kill = kill | (av >= 32) | (bv >= 32)
        mask1 = np.where(kill, np.uint64(0), np.where(b1 == 0, ones, mask1))
        return (mask0 & ~mask1 & ones).astype(np.uint32)

    return run


@FAMILY.elementwise("szext")
def szext(ins: Instruction) -> Compute:
    """``szext.{clamp,wrap}.{u32,s32} d, a, b``: keep the low N bits of a and zero- or
    sign-extend them; N = b mod 32 (.wrap) or min(b, 32) (.clamp); N = 0 gives 0."""
    clamp = "clamp" in ins.mods
    sgn = "s32" in ins.mods

    def run(a: Any, b: Any) -> Any:
        av, bv = nm.bits(a, 32).astype(np.uint64), nm.bits(b, 32).astype(np.uint64)
        ones = np.uint64(0xFFFFFFFF)
        b1 = bv & np.uint64(31)
        big = (bv >= 32) if clamp else np.zeros(np.shape(bv), bool)
        mask = np.where(big, np.uint64(0), (ones << b1) & ones)
        sign = ((av >> ((b1 - np.uint64(1)) & np.uint64(31))) & np.uint64(1)) == 1
        sign &= (b1 != 0) & ~big & sgn
        return np.where(sign, (av & ~mask) | mask, av & ~mask).astype(np.uint32)

    return run


@FAMILY.elementwise("fns")
def fns(ins: Instruction) -> Compute:
    """``fns.b32 d, mask, base, offset``: the bit position of the |offset|-th set bit of mask
    counting from base upward (offset > 0) or downward (offset < 0), base included;
    offset 0 gives base if that bit is set; 0xFFFFFFFF when not found."""

    def run(m: Any, base: Any, off: Any) -> Any:
        mv = nm.bits(m, 32)
        b = nm.bits(base, 32).astype(np.int64)
        o = nm.signed(off, "s32").astype(np.int64)
        shape = np.broadcast(mv, b, o).shape
        out = np.full(shape, -1, np.int64)
        bit = lambda p: (mv >> np.clip(p, 0, 31).astype(np.uint32)) & np.uint32(1)  # noqa: E731
        inb = (b >= 0) & (b < 32)
        out = np.where((o == 0) & inb & (bit(b) == 1), b, out)
        need = np.abs(o)
        step = np.where(o > 0, 1, -1)
        count = np.zeros(shape, np.int64)
        for k in range(32):
            pos = b + step * k
            ok = (o != 0) & (pos >= 0) & (pos < 32) & (out < 0)
            hit = ok & (bit(pos) == 1)
            count = count + hit
            out = np.where(hit & (count == need), pos, out)
        return out.astype(np.uint32)

    return run


OPCODES = FAMILY.table
