"""Wiring the warp matrix semantics (:mod:`.mma`) into the machine: ``mma``, ``ldmatrix``,
``stmatrix``.

The pure functions work on whole warps; here each executing warp's registers are gathered
to ``(W, 32, n)``, row addresses come from lanes ``0..n_rows-1`` and shared memory is read or
written through the checked access layer. ``.aligned`` requires every lane of the warp: a
warp executing with fewer is a ``warp-sync-mask`` finding.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import access
from ..machine import Linker, Machine, Op
from ..ptx import ir
from ..schedule import ALL
from . import mma as pure
from .memory import SPACES
from .table import Registry

FAMILY = Registry()


def _items(o: Any) -> list[Any]:
    return list(o.items) if isinstance(o, ir.Vec) else [o]


def _warps(m: Machine, pc: int, tids: np.ndarray) -> tuple[np.ndarray, bool]:
    """Executing warps, and whether each has all of its lanes here."""
    warps = np.unique(tids >> 5)
    full = tids.size == warps.size * 32
    if not full:
        m.report("warp-sync-mask", pc, tids,
                 "a .aligned warp matrix instruction executed by part of a warp")
    return warps, full


class _Regs:
    """Readers/writers of a brace list of registers, by warp."""

    def __init__(self, L: Linker, o: Any, dtype: Any = np.uint32) -> None:
        self.items = _items(o)
        self.L = L
        self.dtype = dtype

    def gather(self, warps: np.ndarray) -> np.ndarray:
        cols = []
        for x in self.items:
            v = self.L.read(x)(ALL)
            if isinstance(v, ir.Imm):
                bits = v.bits if v.bits is not None else int(v.value)
                cols.append(np.full((warps.size, 32), bits, self.dtype))
            else:
                cols.append(np.asarray(v).reshape(-1, 32)[warps].astype(self.dtype))
        return np.stack(cols, axis=-1)

    def scatter(self, s: Any, tids: np.ndarray, warps: np.ndarray, full: bool,
                vals: np.ndarray) -> None:
        if full:
            flat = vals.reshape(-1, vals.shape[-1])
        else:
            pos = np.searchsorted(warps, tids >> 5) * 32 + (tids & 31)
            flat = vals.reshape(-1, vals.shape[-1])[pos]
        for i, x in enumerate(self.items):
            if x is not None:
                self.L.write(x)(s, flat[:, i])


@FAMILY.machine("mma")
def mma(ins: ir.Instruction) -> Op:
    f = pure.mma_factory(ins)
    wide = "f64" in ins.mods

    def link(L: Linker) -> Any:
        m, pc = L.m, L.pc
        dt = np.uint64 if wide else np.uint32
        d, a, b, c = (_Regs(L, o, dt) for o in ins.operands[:4])
        writers = [L.write(x) if x is not None else None for x in d.items]

        def step(s: Any) -> None:
            tids = m.tids(s)
            warps, full = _warps(m, pc, tids)
            out = f(a.gather(warps), b.gather(warps), c.gather(warps))
            flat = out.reshape(-1, out.shape[-1])
            if not full:
                flat = flat[np.searchsorted(warps, tids >> 5) * 32 + (tids & 31)]
            for i, w in enumerate(writers):
                if w is not None:
                    w(s, flat[:, i])

        return step

    return Op(link)


def _space(ins: ir.Instruction) -> str:
    sp = next((SPACES[x] for x in ins.mods if x in SPACES), "generic")
    return "shared" if sp == "shared" else "generic"


def _row_addresses(m: Machine, ea: Any, warps: np.ndarray, n_rows: int) -> tuple[np.ndarray,
                                                                                  np.ndarray]:
    a = np.broadcast_to(np.asarray(ea(ALL), np.uint64), (m.size,)).reshape(-1, 32)
    rows = a[warps, :n_rows].ravel()
    lanes = (warps[:, None] * 32 + np.arange(n_rows)).ravel()
    return rows, lanes


@FAMILY.machine("ldmatrix")
def ldmatrix(ins: ir.Instruction) -> Op:
    n_rows, f = pure.ldmatrix_factory(ins)
    space = _space(ins)

    def link(L: Linker) -> Any:
        m, pc = L.m, L.pc
        ea, sp = L.address(ins.operands[1], space)
        d = _Regs(L, ins.operands[0])

        def step(s: Any) -> None:
            tids = m.tids(s)
            warps, full = _warps(m, pc, tids)
            addr, lanes = _row_addresses(m, ea, warps, n_rows)
            raw = access.load(m, pc, lanes, sp, addr, 16, 1)
            rows = np.ascontiguousarray(raw).view(np.uint8).reshape(warps.size, n_rows, 16)
            d.scatter(s, tids, warps, full, f(rows))

        return step

    return Op(link)


@FAMILY.machine("stmatrix", dests=0)
def stmatrix(ins: ir.Instruction) -> Op:
    n_rows, f = pure.stmatrix_factory(ins)
    space = _space(ins)

    def link(L: Linker) -> Any:
        m, pc = L.m, L.pc
        ea, sp = L.address(ins.operands[0], space)
        src = _Regs(L, ins.operands[1])

        def step(s: Any) -> None:
            tids = m.tids(s)
            warps, _ = _warps(m, pc, tids)
            rows = f(src.gather(warps))
            addr, lanes = _row_addresses(m, ea, warps, n_rows)
            vals = np.ascontiguousarray(rows).reshape(-1, 16).view(np.uint64)
            access.store(m, pc, lanes, sp, addr, 16, vals)

        return step

    return Op(link)


OPCODES = FAMILY.table
