"""Control flow: ``bra``, ``brx.idx``, ``exit``/``ret``, ``trap`` and no-op hints.

The guard (``@%p``) is applied by the machine before these run: a branch's selector holds
only the threads that take it; the others continue at the next pc.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..machine import Flow, Linker, Op
from ..ptx import ir
from ..schedule import by_value
from .table import NotSupported, Registry

FAMILY = Registry()


@FAMILY.machine("bra", dests=0)
def bra(ins: ir.Instruction) -> Flow:
    target = ins.operands[0] if ins.operands else None
    if not isinstance(target, ir.Label):
        raise NotSupported(ins, "branch target must be a label")

    def link(L: Linker) -> Any:
        pc = L.m.program.labels[target.name]
        return lambda s: ((pc, s),)

    return Flow(link)


@FAMILY.machine("brx", dests=0)
def brx(ins: ir.Instruction) -> Flow:
    if "idx" not in ins.mods or len(ins.operands) != 2 or not isinstance(ins.operands[1], ir.Vec):
        raise NotSupported(ins, "only brx.idx with a label list")
    names = [x.name for x in ins.operands[1].items if isinstance(x, ir.Label)]
    if len(names) != len(ins.operands[1].items):
        raise NotSupported(ins, "the target list must name labels (.branchtargets)")

    def link(L: Linker) -> Any:
        m = L.m
        pcs = np.array([m.program.labels[n] for n in names], np.int64)
        r = L.read(ins.operands[0])

        def step(s: Any) -> Any:
            i = np.asarray(r(s)).astype(np.int64)
            i = np.broadcast_to(i, (m.tids(s).size,))
            bad = (i < 0) | (i >= pcs.size)
            if bad.any():
                m.report("trap", L.pc, m.tids(s)[bad], "brx.idx index outside its label list")
                return ()
            return by_value(s, pcs[i], m.size)

        return step

    return Flow(link)


@FAMILY.machine("exit", "ret", dests=0)
def exit_(ins: ir.Instruction) -> Flow:
    def link(L: Linker) -> Any:
        m = L.m

        def step(s: Any) -> Any:
            m.retire(m.tids(s))
            return ()

        return step

    return Flow(link)


@FAMILY.machine("trap", dests=0)
def trap(ins: ir.Instruction) -> Flow:
    def link(L: Linker) -> Any:
        m = L.m

        def step(s: Any) -> Any:
            tids = m.tids(s)
            m.report("trap", L.pc, tids, "the kernel executed trap (an assert or __trap())")
            m.retire(tids)
            return ()

        return step

    return Flow(link)


@FAMILY.machine("nanosleep", "pmevent", "brkpt", dests=0)
def nop(ins: ir.Instruction) -> Op:
    return Op(lambda L: lambda s: None)


OPCODES = FAMILY.table
