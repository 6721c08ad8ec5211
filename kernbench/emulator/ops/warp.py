"""Warp collectives: ``shfl``, ``vote``, ``match``, ``redux``, ``activemask``, ``elect``,
``bar.warp.sync``.

The threads executing an instruction together are the warp's arrived lanes. A ``.sync``
instruction's member mask must contain the executing lane and name only lanes that arrived;
otherwise the result is undefined on hardware, so it is a ``warp-sync-mask`` finding here
(the instruction still executes with the lanes that did arrive).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..machine import Linker, Machine, Op
from ..ptx import ir
from ..schedule import ALL
from .table import NotSupported, Registry

FAMILY = Registry()
FULL = 0xFFFFFFFF
LANE_BITS = (np.uint32(1) << np.arange(32, dtype=np.uint32)).astype(np.uint32)


def _value(r: Any, s: Any, n: int, dt: Any = np.uint32) -> np.ndarray:
    v = r(s)
    if isinstance(v, ir.Imm):
        v = int(v.value) & 0xFFFFFFFF if not v.is_float else (v.bits or 0)
    return np.broadcast_to(np.asarray(v).astype(dt), (n,))


def present_bits(m: Machine, tids: np.ndarray) -> np.ndarray:
    """Per warp of the wave: the lanes executing this instruction, as a 32-bit mask."""
    if tids.size == m.size:
        return np.full(m.size // 32, 0xFFFFFFFF, np.uint32)
    p = np.zeros(m.size, bool)
    p[tids] = True
    return np.packbits(p.reshape(-1, 32), axis=1, bitorder="little").view("<u4")[:, 0]


def members(m: Machine, pc: int, tids: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Check ``mask`` against the arrived lanes; report a ``warp-sync-mask`` finding if bad.

    Returns the per-warp arrived-lane bits."""
    here = present_bits(m, tids)
    lane_bit = LANE_BITS[tids & 31]
    own = (mask & lane_bit) == 0
    if own.any():
        m.report(
            "warp-sync-mask",
            pc,
            tids[own],
            f"member mask 0x{int(mask[own][0]):08x} does not contain the executing lane "
            f"{int(tids[own][0]) & 31}",
        )
    missing = mask & ~here[tids >> 5]
    bad = missing != 0
    if bad.any():
        t = int(tids[bad][0])
        lanes = [i for i in range(32) if int(missing[bad][0]) >> i & 1]
        exited = [ln for ln in lanes if not m.alive[(t & ~31) | ln]]
        why = (
            f"lanes {exited} exited"
            if exited
            else "they are not executing this instruction (divergent or diverged elsewhere)"
        )
        m.report(
            "warp-sync-mask",
            pc,
            tids[bad],
            f"member mask 0x{int(mask[bad][0]):08x} names lanes {lanes} of the warp that do "
            f"not arrive: {why}",
            detail={"mask": int(mask[bad][0]), "missing": lanes},
        )
    m.sanitizer.warp_sync(tids)
    return here


def _mask_reader(L: Linker, o: Any | None) -> Any:
    if o is None:
        return None
    return L.read(o)


# ----------------------------------------------------------------------------- shfl


@FAMILY.machine("shfl")
def shfl(ins: ir.Instruction) -> Op:
    mode = next((x for x in ins.mods if x in ("up", "down", "bfly", "idx")), None)
    if mode is None or "sync" not in ins.mods:
        raise NotSupported(ins, "shfl needs .sync and a mode (sm_70+)")
    dest, a, b, c, mask = ins.operands[:5]

    def link(L: Linker) -> Any:
        m, pc = L.m, L.pc
        ra, rb, rc, rm = L.read(a), L.read(b), L.read(c), L.read(mask)
        if isinstance(dest, ir.Pair):
            wd, wp = L.write(dest.first), L.write(dest.second)
        else:
            wd, wp = L.write(dest), None

        def step(s: Any) -> None:
            tids = m.tids(s)
            n = tids.size
            mk = _value(rm, s, n)
            members(m, pc, tids, mk)
            lane = (tids & 31).astype(np.int64)
            bv = _value(rb, s, n).astype(np.int64) & 31
            cv = _value(rc, s, n).astype(np.int64)
            seg = (cv >> 8) & 31
            cval = cv & 31
            max_lane = (lane & seg) | (cval & ~seg)
            if mode == "up":
                j = lane - bv
                ok = j >= max_lane
            elif mode == "down":
                j = lane + bv
                ok = j <= max_lane
            elif mode == "bfly":
                j = lane ^ bv
                ok = j <= max_lane
            else:
                j = (lane & seg) | (bv & ~seg)
                ok = j <= max_lane
            j = np.where(ok, j, lane)
            src = ra(ALL)
            if isinstance(src, ir.Imm):
                val: Any = _value(ra, s, n)
            else:
                val = src[(tids & ~31) | j]
            wd(s, val)
            if wp is not None:
                wp(s, ok)

        return step

    return Op(link)


# ----------------------------------------------------------------------------- vote


@FAMILY.machine("vote")
def vote(ins: ir.Instruction) -> Op:
    mode = next((x for x in ins.mods if x in ("all", "any", "uni", "ballot")), None)
    if mode is None:
        raise NotSupported(ins, "vote mode")
    synced = "sync" in ins.mods
    dest, a = ins.operands[0], ins.operands[1]
    mask = ins.operands[2] if synced else None

    def link(L: Linker) -> Any:
        m, pc = L.m, L.pc
        ra, rm, wd = L.read(a), _mask_reader(L, mask), L.write(dest)

        def step(s: Any) -> None:
            tids = m.tids(s)
            n = tids.size
            if rm is not None:
                mk = _value(rm, s, n)
                here = members(m, pc, tids, mk)
            else:
                here = present_bits(m, tids)
                mk = here[tids >> 5]
            p = np.zeros(m.size, bool)
            p[tids] = np.broadcast_to(np.asarray(ra(s)).astype(bool), (n,))
            yes = np.packbits(p.reshape(-1, 32), axis=1, bitorder="little").view("<u4")[:, 0]
            scope = mk & here[tids >> 5]
            got = yes[tids >> 5] & scope
            if mode == "ballot":
                wd(s, got)
            elif mode == "all":
                wd(s, got == scope)
            elif mode == "any":
                wd(s, got != 0)
            else:
                wd(s, (got == 0) | (got == scope))

        return step

    return Op(link)


# ----------------------------------------------------------------------------- match/redux


def _lane_matrix(m: Machine, full: np.ndarray, tids: np.ndarray) -> np.ndarray:
    """``(n, 32)``: for each executing thread, the operand of every lane of its warp."""
    return full.reshape(-1, 32)[tids >> 5]


def _included(mk: np.ndarray, here: np.ndarray, tids: np.ndarray) -> np.ndarray:
    scope = mk & here[tids >> 5]
    return ((scope[:, None] >> np.arange(32, dtype=np.uint32)) & 1).astype(bool)


@FAMILY.machine("match")
def match(ins: ir.Instruction) -> Op:
    mode = "all" if "all" in ins.mods else "any"
    dest, a, mask = ins.operands[:3]

    def link(L: Linker) -> Any:
        m, pc = L.m, L.pc
        ra, rm = L.read(a), L.read(mask)
        if isinstance(dest, ir.Pair):
            wd, wp = L.write(dest.first), L.write(dest.second)
        else:
            wd, wp = L.write(dest), None

        def step(s: Any) -> None:
            tids = m.tids(s)
            n = tids.size
            mk = _value(rm, s, n)
            here = members(m, pc, tids, mk)
            full = ra(ALL)
            mine = full[tids]
            inc = _included(mk, here, tids)
            eq = (_lane_matrix(m, full, tids) == mine[:, None]) & inc
            bits = np.packbits(eq, axis=1, bitorder="little").view("<u4")[:, 0]
            if mode == "any":
                wd(s, bits)
                return
            same = eq.sum(1) == inc.sum(1)
            wd(s, np.where(same, mk & here[tids >> 5], np.uint32(0)))
            if wp is not None:
                wp(s, same)

        return step

    return Op(link)


@FAMILY.machine("redux")
def redux(ins: ir.Instruction) -> Op:
    op = next((x for x in ins.mods if x in ("add", "min", "max", "and", "or", "xor")), None)
    signed = "s32" in ins.mods
    if op is None or "f32" in ins.mods:
        raise NotSupported(ins, "redux operation/type")
    dest, a, mask = ins.operands[:3]

    def link(L: Linker) -> Any:
        m, pc = L.m, L.pc
        ra, rm, wd = L.read(a), L.read(mask), L.write(dest)

        def step(s: Any) -> None:
            tids = m.tids(s)
            mk = _value(rm, s, tids.size)
            here = members(m, pc, tids, mk)
            full = np.asarray(ra(ALL))
            inc = _included(mk, here, tids)
            v = _lane_matrix(m, full, tids).astype(np.int64)
            if signed:
                v = np.where(v >= 1 << 31, v - (1 << 32), v)
            if op == "add":
                r = np.where(inc, v, 0).sum(1)
            elif op == "min":
                r = np.where(inc, v, np.int64(1) << 40).min(1)
            elif op == "max":
                r = np.where(inc, v, -(np.int64(1) << 40)).max(1)
            else:
                u = np.where(inc, v, 0 if op != "and" else 0xFFFFFFFF).astype(np.uint32)
                f = {"and": np.bitwise_and, "or": np.bitwise_or, "xor": np.bitwise_xor}[op]
                r = f.reduce(u, axis=1)
            wd(s, (np.asarray(r).astype(np.int64) & 0xFFFFFFFF).astype(np.uint32))

        return step

    return Op(link)


@FAMILY.machine("activemask")
def activemask(ins: ir.Instruction) -> Op:
    def link(L: Linker) -> Any:
        m, wd = L.m, L.write(ins.operands[0])

        def step(s: Any) -> None:
            tids = m.tids(s)
            wd(s, present_bits(m, tids)[tids >> 5])

        return step

    return Op(link)


@FAMILY.machine("elect")
def elect(ins: ir.Instruction) -> Op:
    dest, mask = ins.operands[0], ins.operands[1]

    def link(L: Linker) -> Any:
        m, pc = L.m, L.pc
        rm = L.read(mask)
        parts = (dest.first, dest.second) if isinstance(dest, ir.Pair) else (dest,)
        ws = [L.write(p) if isinstance(p, ir.Reg) and p.name != "_" else None for p in parts]

        def step(s: Any) -> None:
            tids = m.tids(s)
            mk = _value(rm, s, tids.size)
            here = members(m, pc, tids, mk)
            scope = (mk & here[tids >> 5]).astype(np.uint64)
            low = scope & (~scope + np.uint64(1))
            leader = np.where(scope == 0, 0, np.log2(np.maximum(low, 1)).astype(np.int64))
            if ws[0] is not None:
                ws[0](s, leader.astype(np.uint32))
            if len(ws) > 1 and ws[1] is not None:
                ws[1](s, leader == (tids & 31))

        return step

    return Op(link)


def bar_warp_sync(ins: ir.Instruction) -> Op:
    """``bar.warp.sync mask``: a warp-level ordering point (registered under ``bar``)."""

    def link(L: Linker) -> Any:
        m, pc, rm = L.m, L.pc, L.read(ins.operands[0])

        def step(s: Any) -> None:
            tids = m.tids(s)
            members(m, pc, tids, _value(rm, s, tids.size))

        return step

    return Op(link)


OPCODES = FAMILY.table
