"""Wiring ``wgmma`` (sm_90a) into the machine: ``mma_async``, ``fence``, ``commit_group``,
``wait_group``.

A warpgroup is 4 consecutive warps of a CTA (threads 128w..128w+127) and executes
``mma_async`` together: A comes from registers or, like B, from shared memory through a
matrix descriptor (:mod:`..hopper.canonical`), the arithmetic is :mod:`..hopper.wgmma`'s.
The result is computed at issue, but until a ``wgmma.wait_group`` retires its group the
accumulator (and register A) registers and the shared operand bytes stay *in flight*: any
other instruction touching those registers, or any write (st.shared, TMA) to those bytes,
is a ``wgmma-in-flight`` finding, as the hardware gives no result for either. So is a write
by another warpgroup after the retirement that nothing orders after it (no barrier of the
block completed and the retiring warpgroup arrived on no barrier since): a stage handed
back before its wgmmas retired is caught whichever warp the scheduler ran first.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np

from ..hopper import wgmma as pure
from ..machine import Linker, Machine, Op, fusable_stretches
from ..ptx import ir
from . import proxy
from .table import NotSupported, Registry
from .tma import register_write_check, report_write_hit

FAMILY = Registry()
WG = 128


@dataclass
class Record:
    """One executed ``mma_async`` of ``G`` warpgroups: what it keeps in flight."""

    wgs: np.ndarray
    """(G,) warpgroup ids."""
    group: np.ndarray
    """(G,) the commit-group number each warpgroup's instance belongs to."""
    tids: np.ndarray
    """(G, 128) threads."""
    rows: list[np.ndarray]
    """Busy-count arrays of the registers it keeps in flight."""
    chunks: np.ndarray
    """(G, c) 16-byte shared chunks its operands read (-1 padding)."""


class Wgmmas:
    """Per-wave wgmma groups and the registers and shared bytes in flight."""

    def __init__(self, m: Machine) -> None:
        self.m = m
        self.per_cta = -(-m.layout.cta_stride // WG)
        self.committed = np.zeros(m.layout.n_cta * self.per_cta, np.int64)
        self.records: list[Record] = []
        self.reg_busy: dict[tuple[str, int], np.ndarray] = {}
        self.smem_busy = np.zeros(m.shared.u8.size // 16 + 1, np.int32)
        self.retire_ep = np.zeros(self.smem_busy.size, np.int32)
        """The CTA barrier epoch (sanitizer) in which each 16-byte chunk's last wgmma reader
        retired: a write by another warpgroup needs a barrier or mbarrier phase since."""
        self.retire_wg = np.full(self.smem_busy.size, -1, np.int64)
        self.arrivals = np.zeros(self.committed.size, np.int64)
        """mbarrier/cluster-barrier arrivals by each warpgroup: how it hands stages back."""
        self.retire_arrivals = np.zeros(self.smem_busy.size, np.int64)
        """The retiring warpgroup's arrivals when each chunk's last reader retired."""

    @staticmethod
    def of(m: Machine) -> Wgmmas:
        return m.extension("wgmma", lambda: Wgmmas(m))

    def arrived(self, tids: np.ndarray) -> None:
        """Threads arrived on an mbarrier or the cluster barrier: what their warpgroups
        retired before is handed over from here on."""
        np.add.at(self.arrivals, self.wg_of(tids), 1)

    def wg_of(self, tids: np.ndarray) -> np.ndarray:
        t = self.m.threads
        return t.cta[tids] * self.per_cta + t.flat[tids] // WG

    def busy(self, key: tuple[str, int]) -> np.ndarray:
        b = self.reg_busy.get(key)
        if b is None:
            b = self.reg_busy[key] = np.zeros(self.m.size, np.int16)
        return b

    def add(self, rec: Record) -> None:
        for row in rec.rows:
            row[rec.tids.ravel()] += 1
        c = rec.chunks[rec.chunks >= 0]
        np.add.at(self.smem_busy, c, 1)
        self.records.append(rec)

    def wait(self, tids: np.ndarray, keep: int) -> None:
        """Retire the groups of the executing warpgroups older than their ``keep`` newest."""
        wgs = np.unique(self.wg_of(tids))
        left = []
        for r in self.records:
            done = np.isin(r.wgs, wgs) & (r.group < self.committed[r.wgs] - keep)
            if done.any():
                t = r.tids[done].ravel()
                for row in r.rows:
                    row[t] -= 1
                c = r.chunks[done]
                owner = np.broadcast_to(r.wgs[done][:, None], c.shape)[c >= 0]
                c = c[c >= 0]
                np.add.at(self.smem_busy, c, -1)
                self.retire_ep[c] = self.m.sanitizer.cta_ep[c * 16 // self.m.shared_stride]
                self.retire_wg[c] = owner
                self.retire_arrivals[c] = self.arrivals[owner]
                if done.all():
                    continue
                r = Record(r.wgs[~done], r.group[~done], r.tids[~done], r.rows, r.chunks[~done])
            left.append(r)
        self.records = left


def check_overwrite(m: Machine, pc: int, tids: np.ndarray, flat: np.ndarray, nbytes: int) -> None:
    """A write to shared bytes an in-flight wgmma reads is a ``wgmma-in-flight`` finding."""
    w = m.extensions.get("wgmma")
    if w is None:
        return
    lo = flat.astype(np.int64) >> 4
    hi = (flat.astype(np.int64) + nbytes - 1) >> 4
    hit = (w.smem_busy[lo] > 0) | (w.smem_busy[hi] > 0)
    if m.sanitizer.active:
        # retired, but with nothing ordering the retirement before this write (the stage
        # was handed over before its wgmma.wait_group): in flight as far as the writer knows.
        # Ordered: a CTA barrier or mbarrier phase of the chunk's block completed since, or
        # the retiring warpgroup arrived somewhere since (a remote release in a cluster).
        t = tids if tids.size == flat.size else np.broadcast_to(tids[:1], flat.shape)
        ep = m.sanitizer.cta_ep[lo * 16 // m.shared_stride]
        wg = w.retire_wg[lo]
        since = w.arrivals[np.maximum(wg, 0)] > w.retire_arrivals[lo]
        hit |= (w.retire_ep[lo] >= ep) & (wg >= 0) & (wg != w.wg_of(t)) & ~since
    report_write_hit(
        m,
        pc,
        tids,
        flat,
        hit,
        "wgmma-in-flight",
        "an operand of a wgmma still in flight (no wgmma.wait_group has retired it): the "
        "wgmma may read the new bytes",
    )


# ---------------------------------------------------------------------------- mma_async


@lru_cache(maxsize=4096)
def _offsets(spec: pure.WgmmaSpec, desc: int, which: str) -> np.ndarray:
    o = pure.operand_offsets(spec, desc, which).astype(np.int64)
    o.flags.writeable = False
    return o


def _items(o: Any) -> list[Any]:
    return list(o.items) if isinstance(o, ir.Vec) else [o]


def _whole_warpgroups(m: Machine, pc: int, tids: np.ndarray) -> np.ndarray:
    """(G, 128) threads of the complete warpgroups executing (others get a finding)."""
    w = Wgmmas.of(m)
    wg = w.wg_of(tids)
    u, counts = np.unique(wg, return_counts=True)
    full = u[counts == WG]
    if full.size != u.size:
        m.report(
            "warp-sync-mask",
            pc,
            tids[~np.isin(wg, full)],
            "a .sync.aligned wgmma instruction executed by part of a warpgroup",
        )
    return tids[np.isin(wg, full)].reshape(-1, WG)


@FAMILY.machine("wgmma", dests=0)
def wgmma(ins: ir.Instruction) -> Op:
    what = ins.mods[0] if ins.mods else ""
    if what == "fence":
        return Op(lambda L: lambda s: None)
    if what == "commit_group":

        def link_commit(L: Linker) -> Any:
            m, pc = L.m, L.pc

            def step(s: Any) -> None:
                g = _whole_warpgroups(m, pc, m.tids(s))
                w = Wgmmas.of(m)
                w.committed[w.wg_of(g[:, 0])] += 1

            return step

        return Op(link_commit)
    if what == "wait_group":
        n = ins.operands[0] if ins.operands else None
        if not isinstance(n, ir.Imm):
            raise NotSupported(ins, "wait_group needs an immediate")
        keep = int(n.value)
        return Op(lambda L: lambda s: Wgmmas.of(L.m).wait(L.m.tids(s), keep))
    if what == "mma_async":
        return _mma_async(ins)
    raise NotSupported(ins, f"wgmma.{what}")


def _mma_async(ins: ir.Instruction) -> Op:
    spec = pure.decode(ins)
    f = pure.wgmma_factory(ins)
    ops = ins.operands
    d_items = _items(ops[0])
    if len(d_items) != spec.n_d:
        raise NotSupported(ins, f"{len(d_items)} accumulator registers, expected {spec.n_d}")

    def link(L: Linker) -> Any:
        m, pc = L.m, L.pc
        slots = [m.program.slots[x.name] for x in d_items]
        d_rows = [m.regs.row(*sl) for sl in slots]
        a_slots = [m.program.slots[x.name] for x in _items(ops[1])] if spec.a_in_registers else []
        a_rows = [m.regs.row(*sl) for sl in a_slots]
        ra = None if spec.a_in_registers else L.read(ops[1])
        rb = L.read(ops[2])
        rs = L.read(ops[3])
        keys = slots + a_slots
        if "wgmma-regs" not in m.hooks:
            m.post_link.append(lambda: _guard_registers(m))
            register_write_check(m, check_overwrite)
            proxy.watch(m)
        m.hooks.setdefault("wgmma-regs", set()).update(keys)

        def operand(g: np.ndarray, desc: np.ndarray, which: str) -> tuple[np.ndarray, np.ndarray]:
            """(G, rows, K) values and the (G, c) 16-byte chunks read."""
            ctas = m.threads.cta[g[:, 0]]
            typ = spec.atype if which == "a" else spec.btype
            eb = pure.elem_bytes(typ)
            offs = np.stack([_offsets(spec, int(x), which) for x in desc])
            bad = offs + eb > m.shared_size
            if bad.any():
                m.sanitizer.out_of_bounds(pc, "shared", g[:, 0], offs[bad].astype(np.uint64), eb)
                offs = np.where(bad, 0, offs)
            flat = ctas[:, None, None] * m.shared_stride + offs
            raw = m.shared.read(flat.ravel(), eb)[:, 0].reshape(flat.shape)
            m.sanitizer.operand_reads(pc, g[:, 0], flat, eb, "a wgmma")
            proxy.check_async_read(m, pc, g[:, 0], flat, "a wgmma")
            chunks = np.unique(flat >> 4, axis=None) if flat.shape[0] == 1 else None
            if chunks is not None:
                ch = chunks[None]
            else:
                per = [np.unique(x >> 4) for x in flat]
                width = max(len(p) for p in per)
                ch = np.full((len(per), width), -1, np.int64)
                for i, p in enumerate(per):
                    ch[i, : len(p)] = p
            return pure.values(raw, typ), ch

        def step(s: Any) -> None:
            tids = m.tids(s)
            g = _whole_warpgroups(m, pc, tids)
            if g.size == 0:
                return
            w = Wgmmas.of(m)
            first = g[:, 0]
            pos = np.searchsorted(tids, first) if tids.size != g.size else np.arange(0, g.size, WG)
            db = np.broadcast_to(np.asarray(rb(s), np.uint64), (tids.size,))[pos]
            b, ch_b = operand(g, db, "b")
            if spec.a_in_registers:
                a = pure.a_from_registers(np.stack([r[g] for r in a_rows], -1), spec.atype)
                chunks = ch_b
            else:
                assert ra is not None
                da = np.broadcast_to(np.asarray(ra(s), np.uint64), (tids.size,))[pos]
                a, ch_a = operand(g, da, "a")
                chunks = np.concatenate([ch_a, ch_b], axis=1)
            sv = rs(s)
            if isinstance(sv, ir.Imm):
                scale = np.full(g.shape[0], bool(sv.value))
            else:
                scale = np.broadcast_to(np.asarray(sv).astype(bool), (tids.size,))[pos]
            d = np.stack([r[g] for r in d_rows], -1)
            out = f(a, b, d, scale)
            for i, r in enumerate(d_rows):
                r[g] = out[..., i]
            wgs = w.wg_of(first)
            w.add(Record(wgs, w.committed[wgs].copy(), g, [w.busy(k) for k in keys], chunks))

        return step

    return Op(link)


def _guard_registers(m: Machine) -> None:
    """Wrap every other instruction that touches an accumulator register: using one while
    its wgmma is in flight is a finding."""
    keys: set[tuple[str, int]] = m.hooks.get("wgmma-regs", set())
    names = {n for n, sl in m.program.slots.items() if sl in keys}
    lows = m.program.steps
    used = [
        set() if low.ins.opcode == "wgmma" else _reg_names(low.ins.operands) & names for low in lows
    ]
    # a fused stretch (Machine._fuse) runs from whichever of its steps starts it
    for start, end, _ in fusable_stretches(lows):
        every = set().union(*used[start:end])
        for pc in range(start, end):
            used[pc] = every
    for pc, regs in enumerate(used):
        if regs:
            m.steps[pc] = _guarded(m, pc, m.steps[pc], sorted(regs))


def _reg_names(ops: Any) -> set[str]:
    out: set[str] = set()
    for o in ops:
        if isinstance(o, ir.Reg):
            out.add(o.name)
        elif isinstance(o, ir.Vec):
            out |= _reg_names([x for x in o.items if x is not None])
        elif isinstance(o, ir.Pair):
            out |= {o.first.name, o.second.name}
        elif isinstance(o, ir.Addr) and isinstance(o.base, ir.Reg):
            out.add(o.base.name)
    return out


def _guarded(m: Machine, pc: int, step: Any, names: list[str]) -> Any:
    slots = [(n, m.program.slots[n]) for n in names]

    def checked(s: Any) -> Any:
        w = m.extensions.get("wgmma")
        if w is not None and w.records:
            tids = m.tids(s)
            for name, sl in slots:
                b = w.reg_busy.get(sl)
                if b is not None:
                    hit = b[tids] > 0
                    if hit.any():
                        m.report(
                            "wgmma-in-flight",
                            pc,
                            tids[hit],
                            f"uses {name}, a register of a wgmma still in flight: "
                            "wgmma.wait_group must retire it first",
                        )
                        break
        return step(s)

    return checked


OPCODES = FAMILY.table
