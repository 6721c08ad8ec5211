"""``cp.async`` (sm_80): copies global -> shared that land at the wait covering their group.

The source is read when the copy is issued; the destination bytes are marked pending and
written when the issuing thread's ``cp.async.wait_group``/``wait_all`` covers the copy's
group. A read of a pending byte is an ``async-copy-read-before-wait`` finding (the
sanitizer checks every shared read against the pending counts).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .. import access
from ..machine import Linker, Machine, Op
from ..ptx import ir
from .table import NotSupported, Registry

FAMILY = Registry()


@dataclass
class Chunk:
    """The lanes of one executed ``cp.async``: who, where, what, and which group."""

    tids: np.ndarray
    region: Any
    off: np.ndarray
    data: np.ndarray
    group: np.ndarray


class AsyncCopies:
    """Per-wave pending copies and each thread's committed group count."""

    def __init__(self, m: Machine) -> None:
        self.m = m
        self.committed = np.zeros(m.size, np.int64)
        self.chunks: list[Chunk] = []

    @staticmethod
    def of(m: Machine) -> AsyncCopies:
        return m.extension("cp.async", lambda: AsyncCopies(m))

    def issue(
        self,
        pc: int,
        tids: np.ndarray,
        dst: np.ndarray,
        src: np.ndarray,
        size: int,
        src_size: np.ndarray,
    ) -> None:
        m = self.m
        n = tids.size
        data = np.zeros((n, size), np.uint8)
        full = src_size >= size
        part = (src_size > 0) & ~full
        observe = not part.any()
        if not observe and m.observer is not None:  # one request for every reading lane
            reads = np.flatnonzero(src_size > 0)
            m.observer.access(pc, tids[reads], "host", src[reads], size, False, m.host)
        if full.any():
            pos = np.flatnonzero(full)
            w = size if size <= 8 else 16
            vals = access.load(m, pc, tids[pos], "host", src[pos], w, 1, observe=observe)
            data[pos] = np.ascontiguousarray(vals).view(np.uint8).reshape(pos.size, size)
        for ss in np.unique(src_size[part]):
            pos = np.flatnonzero(part & (src_size == ss))
            vals = access.load(
                m, pc, tids[pos], "host", src[pos], 1, int(ss), align=1, observe=False
            )
            data[pos, : int(ss)] = vals
        for p in access.resolve(m, pc, tids, "shared", dst, size, write=True, read=False):
            lanes = np.arange(n) if p.lanes is None else p.lanes
            m.sanitizer.async_pending(p.off, size, +1)
            self.chunks.append(
                Chunk(tids[lanes], p.region, p.off, data[lanes], self.committed[tids[lanes]].copy())
            )

    def commit(self, tids: np.ndarray) -> None:
        self.committed[tids] += 1

    def wait(self, tids: np.ndarray, keep: int) -> None:
        """Land every copy of ``tids`` outside their ``keep`` most recent committed groups."""
        waiting = np.zeros(self.m.size, bool)
        waiting[tids] = True
        left = []
        for c in self.chunks:
            done = waiting[c.tids] & (c.group < self.committed[c.tids] - keep)
            if done.any():
                off = c.off[done]
                c.region.write(off, 1, c.data[done])
                self.m.sanitizer.async_pending(off, c.data.shape[1], -1)
                if done.all():
                    continue
                keep_ = ~done
                c = Chunk(c.tids[keep_], c.region, c.off[keep_], c.data[keep_], c.group[keep_])
            left.append(c)
        self.chunks = left


@FAMILY.machine("cp", dests=0)
def cp(ins: ir.Instruction) -> Op:
    mods = ins.mods
    if not mods or mods[0] != "async":
        raise NotSupported(ins, "only cp.async (sm_80) is implemented here")
    if "commit_group" in mods:
        return Op(lambda L: lambda s: AsyncCopies.of(L.m).commit(L.m.tids(s)))
    if "wait_all" in mods:

        def link_all(L: Linker) -> Any:
            def step(s: Any) -> None:
                a = AsyncCopies.of(L.m)
                tids = L.m.tids(s)
                a.commit(tids)
                a.wait(tids, 0)

            return step

        return Op(link_all)
    if "wait_group" in mods:
        n = ins.operands[0]
        if not isinstance(n, ir.Imm):
            raise NotSupported(ins, "wait_group needs an immediate")
        return Op(lambda L: lambda s: AsyncCopies.of(L.m).wait(L.m.tids(s), int(n.value)))
    if "bulk" in mods or "mbarrier" in mods:
        raise NotSupported(ins, "bulk and mbarrier forms need the Hopper table")
    ops = ins.operands
    size_op = ops[2]
    if not isinstance(size_op, ir.Imm) or int(size_op.value) not in (4, 8, 16):
        raise NotSupported(ins, "cp-size must be 4, 8 or 16")
    size = int(size_op.value)
    extra = list(ops[3:])
    if any(m.startswith("L2::cache_hint") for m in mods) and extra:
        extra.pop()

    def link(L: Linker) -> Any:
        m, pc = L.m, L.pc
        dst, _dsp = L.address(ops[0], "shared")
        src, _ = L.address(ops[1], "global")
        rsz = None
        ignore = None
        if extra:
            o = extra[0]
            if isinstance(o, ir.Reg) and o.name in m.program.slots and L.width_of(o) == "pred":
                ignore = L.read(o)
            else:
                rsz = L.read(o)

        def step(s: Any) -> None:
            tids = m.tids(s)
            n = tids.size
            if rsz is not None:
                v = rsz(s)
                v = int(v.value) if isinstance(v, ir.Imm) else v
                ss = np.broadcast_to(np.asarray(v).astype(np.int64), (n,))
            else:
                ss = np.full(n, size, np.int64)
            if ignore is not None:
                ss = np.where(np.broadcast_to(ignore(s), (n,)), 0, ss)
            d = np.broadcast_to(np.asarray(dst(s), np.uint64), (n,))
            a = np.broadcast_to(np.asarray(src(s), np.uint64), (n,))
            AsyncCopies.of(m).issue(pc, tids, d, a, size, ss)

        return step

    return Op(link)


OPCODES = FAMILY.table
