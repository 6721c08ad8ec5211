"""Thread-block clusters and the small sm_90 instructions around them: ``mapa``,
``getctarank``, ``barrier.cluster`` arrive/wait, ``st.async``/``red.async`` into a peer's
shared memory, ``elect.sync``, ``setmaxnreg`` (checked, otherwise a no-op),
``griddepcontrol`` (a no-op: one launch at a time).

``barrier.cluster``: every live thread of every CTA of the cluster arrives, then ``wait``
blocks until all have; exited threads are not waited for. Completing it orders the
shared-memory accesses of the cluster's CTAs for the sanitizer, as a CTA barrier does.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..cluster import OFFSET_MASK, RANK_SHIFT, ClusterMap, shared_flat
from ..machine import Flow, Linker, Machine, Op
from ..memory import SHARED_WINDOW
from ..ptx import ir
from . import barrier as cta_barrier
from .table import NotSupported, Registry

FAMILY = Registry()


@FAMILY.machine("mapa")
def mapa(ins: ir.Instruction) -> Op:
    generic = "shared::cluster" not in ins.mods

    def link(L: Linker) -> Any:
        m = L.m
        ra, rb, w = (
            L.scalar(ins.operands[1], np.uint64),
            L.scalar(ins.operands[2], np.uint64),
            L.write(ins.operands[0]),
        )

        def step(s: Any) -> None:
            n = m.tids(s).size
            a, rank = ra(s, n), rb(s, n)
            tag = (rank + np.uint64(1)) << np.uint64(RANK_SHIFT)
            if generic:
                off = (a - np.uint64(SHARED_WINDOW)) & np.uint64(OFFSET_MASK)
                w(s, np.uint64(SHARED_WINDOW) + tag + off)
            else:
                w(s, (a & np.uint64(OFFSET_MASK)) | tag)

        return step

    return Op(link)


@FAMILY.machine("getctarank")
def getctarank(ins: ir.Instruction) -> Op:
    generic = "shared::cluster" not in ins.mods

    def link(L: Linker) -> Any:
        m = L.m
        ra, w = L.scalar(ins.operands[1], np.uint64), L.write(ins.operands[0])

        def step(s: Any) -> None:
            tids = m.tids(s)
            a = ra(s, tids.size)
            if generic:
                a = a - np.uint64(SHARED_WINDOW)
            hi = (a >> np.uint64(RANK_SHIFT)).astype(np.int64)
            own = ClusterMap.of(m).rank[m.threads.cta[tids]]
            w(s, np.where(hi == 0, own, hi - 1).astype(np.uint32))

        return step

    return Op(link)


@FAMILY.machine("elect", dests=1)
def elect(ins: ir.Instruction) -> Op:
    dest = ins.operands[0]
    if not isinstance(dest, ir.Pair):
        raise NotSupported(ins, "elect.sync needs d|p destinations")

    def link(L: Linker) -> Any:
        m = L.m
        rmask = L.scalar(ins.operands[1], np.uint64)
        wr = None if dest.first.name == "_" else L.write(dest.first)
        wp = L.write(dest.second)

        def step(s: Any) -> None:
            tids = m.tids(s)
            lane = (tids & 31).astype(np.uint64)
            member = ((rmask(s, tids.size) >> lane) & np.uint64(1)) == 1
            warp = tids >> 5
            cand = np.where(member, lane, 99)
            first = np.full(int(warp.max()) + 1, 99, np.int64)
            np.minimum.at(first, warp, cand.astype(np.int64))
            leader = first[warp]
            wp(s, member & (lane == leader.astype(np.uint64)))
            if wr is not None:
                wr(s, np.where(leader == 99, 0, leader).astype(np.uint32))

        return step

    return Op(link)


@FAMILY.machine("setmaxnreg", dests=0)
def setmaxnreg(ins: ir.Instruction) -> Op:
    n = ins.operands[0] if ins.operands else None
    if not isinstance(n, ir.Imm) or not 24 <= int(n.value) <= 256 or int(n.value) % 8:
        raise NotSupported(ins, "setmaxnreg takes an immediate in 24..256, a multiple of 8")
    if not ({"inc", "dec"} & set(ins.mods)) or "sync" not in ins.mods:
        raise NotSupported(ins, "setmaxnreg.{inc,dec}.sync.aligned.u32")

    def link(L: Linker) -> Any:
        m, pc = L.m, L.pc

        def step(s: Any) -> None:
            tids = m.tids(s)
            wg = m.threads.cta[tids] * 64 + m.threads.flat[tids] // 128
            _, counts = np.unique(wg, return_counts=True)
            if (counts != 128).any():
                m.report(
                    "warp-sync-mask",
                    pc,
                    tids,
                    "setmaxnreg must be executed by all warps of a warpgroup together",
                )

        return step

    return Op(link)


FAMILY.machine("griddepcontrol", dests=0)(lambda ins: Op(lambda L: lambda s: None))


# ---------------------------------------------------------------------------- barrier.cluster


class ClusterBarrier:
    """The cluster barrier of every cluster in the wave; a machine waitable."""

    def __init__(self, m: Machine) -> None:
        self.m = m
        self.cmap = ClusterMap.of(m)
        self.cl = self.cmap.index[m.threads.cta]
        """Cluster index of each thread."""
        self.arrivals = np.zeros(m.size, np.int64)
        self.completed = np.zeros(self.cmap.members.shape[0], np.int64)
        self.waiting = np.zeros(m.size, bool)
        self.resume = np.zeros(m.size, np.int64)
        m.waitables.append(self)

    @staticmethod
    def of(m: Machine) -> ClusterBarrier:
        return m.extension("barrier.cluster", lambda: ClusterBarrier(m))

    def arrive(self, tids: np.ndarray) -> None:
        self.arrivals[tids] += 1
        wgmmas = self.m.extensions.get("wgmma")
        if wgmmas is not None:
            wgmmas.arrived(tids)
        self._settle()

    def wait(self, pc: int, tids: np.ndarray) -> np.ndarray:
        """Threads that may go on; the others block."""
        done = self.completed[self.cl[tids]] >= self.arrivals[tids]
        wait = tids[~done]
        self.waiting[wait] = True
        self.resume[wait] = pc + 1
        return tids[done]

    def _settle(self) -> None:
        m = self.m
        live = m.alive
        low = np.full(self.completed.size, 1 << 62, np.int64)
        np.minimum.at(low, self.cl[live], self.arrivals[live])
        grew = (low > self.completed) & (low < 1 << 62)
        if not grew.any():
            return
        self.completed[grew] = low[grew]
        ctas = self.cmap.members[grew].ravel()
        m.sanitizer.barrier(ctas[ctas >= 0])
        ready = np.flatnonzero(self.waiting & (self.completed[self.cl] >= self.arrivals))
        if ready.size:
            self.waiting[ready] = False
            resume = self.resume[ready]
            for pc in np.unique(resume):
                m.release(int(pc), ready[resume == pc])

    def on_exit(self, tids: np.ndarray) -> None:
        if self.waiting.any():
            self._settle()

    def blocked(self) -> list[tuple[str, int, np.ndarray, str]]:
        m = self.m
        out = []
        for c in np.unique(self.cl[self.waiting]):
            tids = np.flatnonzero(self.waiting & (self.cl == c))
            members = np.flatnonzero((self.cl == c) & m.alive)
            behind = members[self.arrivals[members] <= self.completed[c]]
            t0 = int(tids[0])
            msg = (
                f"barrier.cluster: {tids.size} thread(s) of the cluster of block "
                f"{m.threads.block_of(t0)} wait, {behind.size} live thread(s) never arrive"
            )
            if behind.size:
                msg += (
                    f" (e.g. thread {m.threads.thread_of(int(behind[0]))} of block "
                    f"{m.threads.block_of(int(behind[0]))})"
                )
            out.append(("barrier-deadlock", int(self.resume[t0]) - 1, tids, msg))
        return out


@FAMILY.machine("barrier", dests=0)
def barrier(ins: ir.Instruction) -> Any:
    """``barrier.cluster.{arrive,wait}``; every other ``barrier`` form is the CTA barrier."""
    if ins.mods[:1] != ("cluster",):
        return cta_barrier.bar(ins)
    if "arrive" in ins.mods:
        return Op(lambda L: lambda s: ClusterBarrier.of(L.m).arrive(L.m.tids(s)))
    if "wait" in ins.mods:

        def link(L: Linker) -> Any:
            def step(s: Any) -> Any:
                go = ClusterBarrier.of(L.m).wait(L.pc, L.m.tids(s))
                return ((L.pc + 1, go),) if go.size else ()

            return step

        return Flow(link)
    raise NotSupported(ins, "barrier.cluster needs .arrive or .wait")


# ---------------------------------------------------------------------------- st.async, red.async


def _remote_async(ins: ir.Instruction, reduce: str | None) -> Op:
    """``st.async``/``red.async`` ``[addr], b, [mbar]``: a store (or reduction) into the
    shared memory of a CTA of the cluster that completes its bytes on the mbarrier at
    ``mbar`` in that same CTA."""
    from .mbarrier import MBarriers
    from .memory import _as_raw, _combine, decode

    _space, typ, w, vec = decode(ins)
    if "mbarrier::complete_tx::bytes" not in ins.mods:
        raise NotSupported(ins, "only the mbarrier::complete_tx::bytes completion")
    combine = _combine(reduce, typ) if reduce else None
    ops = ins.operands
    items = ops[1].items if isinstance(ops[1], ir.Vec) else (ops[1],)

    def link(L: Linker) -> Any:
        m, pc = L.m, L.pc
        ea, _ = L.address(ops[0], "shared")
        eb, _ = L.address(ops[2], "shared")
        readers = [L.read(x) for x in items if x is not None]

        def step(s: Any) -> None:
            tids = m.tids(s)
            n = tids.size
            addr = np.broadcast_to(np.asarray(ea(s), np.uint64), (n,))
            bar = np.broadcast_to(np.asarray(eb(s), np.uint64), (n,))
            flat, ok = shared_flat(m, pc, tids, "shared", addr, w * vec, w)
            bflat, bok = shared_flat(m, pc, tids, "shared", bar, 8)
            vals = np.stack([_as_raw(r(s), typ, n) for r in readers], axis=1)
            st = MBarriers.of(m)
            for i in np.flatnonzero(ok & bok):
                off = int(flat[i]) + np.arange(vec, dtype=np.int64) * w
                new = vals[i]
                if combine is not None:
                    old = m.shared.read(off, w)[:, 0]
                    new = np.asarray(combine(old, new, new), old.dtype)
                m.shared.write(off, w, new.reshape(-1, 1))
                m.sanitizer.async_written(off, w, readers=True)
                st.add_tx(pc, tids[i : i + 1], int(bflat[i]), -w * vec)

        return step

    return Op(link)


@FAMILY.machine("st", dests=0)
def st(ins: ir.Instruction) -> Op:
    """``st.async`` here; every other ``st`` is the ordinary store."""
    if ins.mods[:1] == ("async",):
        return _remote_async(ins, None)
    from .memory import st as plain

    return plain(ins)


@FAMILY.machine("red", dests=0)
def red(ins: ir.Instruction) -> Op:
    """``red.async`` here; every other ``red`` is the ordinary reduction."""
    if ins.mods[:1] == ("async",):
        op = next(
            (x for x in ins.mods if x in ("add", "min", "max", "inc", "dec", "and", "or", "xor")),
            None,
        )
        if op is None:
            raise NotSupported(ins, "red.async needs an operation")
        return _remote_async(ins, op)
    from .memory import OPCODES as MEMORY

    return MEMORY["red"].factory(ins)


OPCODES = FAMILY.table
