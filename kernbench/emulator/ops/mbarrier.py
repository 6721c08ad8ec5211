"""mbarriers (sm_80 arrive/wait, sm_90 transaction counts): init, arrive[.expect_tx],
expect_tx, complete_tx, test_wait/try_wait (by state or parity), inval, pending_count.

An mbarrier is 8 bytes of shared memory; its state (expected arrivals, pending arrivals,
tx-count, completed phases) lives beside the machine, keyed by the byte's index in the
wave's shared memory, so a remote arrive (``shared::cluster``) finds its peer's barrier. A
phase completes when no arrival is pending and the tx-count is zero.

``try_wait`` that would fail blocks the thread until the phase it waits for completes (the
ISA lets it suspend; it then returns true), so a spin loop never spins. ``test_wait`` that
fails returns false and the thread yields until the barrier changes (an arrival, a
transaction, a phase). Threads still waiting
when nothing can run are an ``mbarrier-deadlock`` naming the barrier, its phase, pending
arrivals, tx-count and the waiting warps.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..cluster import shared_flat
from ..machine import Flow, Linker, Machine, Op
from ..ptx import ir
from .memory import SPACES
from .table import NotSupported, Registry

FAMILY = Registry()


@dataclass
class Bar:
    """One initialised mbarrier."""

    count: int
    pending: int
    tx: int = 0
    phase: int = 0
    """Completed phases."""
    landing: list[tuple[np.ndarray, int]] = field(default_factory=list)
    """Shared bytes of async copies that signal this phase, pending until it completes:
    (byte offsets, bytes at each)."""


class MBarriers:
    """Every mbarrier of the wave and the threads waiting on them; a machine waitable."""

    def __init__(self, m: Machine) -> None:
        self.m = m
        self.bars: dict[int, Bar] = {}
        self.on = np.full(m.size, -1, np.int64)
        """Flat address of the barrier each thread waits on (-1: none)."""
        self.need = np.zeros(m.size, np.int64)
        """Completed phases the waiting thread needs."""
        self.resume = np.zeros(m.size, np.int64)
        self.spinning = np.zeros(m.size, bool)
        self.changes = 0
        """mbarrier state changes so far (inits, arrivals, transactions)."""
        self.idle_release = np.full(m.size, -1, np.int64)
        """``changes`` when an idle machine last resumed each spinning thread."""
        self.hooks: dict[int, Any] = m.hooks.setdefault("mbarrier", {})
        """resume pc -> f(tids) run as waiters are released (writes the wait's result); made
        when linking, kept across the waves a machine runs."""
        m.waitables.append(self)

    @staticmethod
    def of(m: Machine) -> MBarriers:
        return m.extension("mbarrier", lambda: MBarriers(m))

    # ------------------------------------------------------------------ state changes
    def get(self, pc: int, tids: np.ndarray, flat: int) -> Bar | None:
        bar = self.bars.get(flat)
        if bar is None:
            self.m.report(
                "mbarrier-misuse",
                pc,
                tids,
                f"mbarrier at shared offset {flat % self.m.shared_stride} is used "
                "before mbarrier.init",
                flat % self.m.shared_stride,
            )
        return bar

    def init(self, flat: int, count: int) -> None:
        self.bars[flat] = Bar(count, count)
        self._touch(flat)

    def arrive(
        self, pc: int, tids: np.ndarray, flat: int, n: int, tx: int = 0, complete: bool = True
    ) -> int:
        """``n`` arrivals (and ``tx`` expected bytes); returns the state token: the phase
        before them, and the arrivals still pending in it above bit 32 (``pending_count``)."""
        bar = self.get(pc, tids, flat)
        if bar is None:
            return 0
        before = bar.phase
        bar.tx += tx
        bar.pending -= n
        if bar.pending < 0:
            self.m.report(
                "mbarrier-misuse",
                pc,
                tids,
                f"{-bar.pending} arrival(s) more than the {bar.count} the mbarrier at "
                f"shared offset {flat % self.m.shared_stride} expects in phase "
                f"{bar.phase}",
                flat % self.m.shared_stride,
            )
            bar.pending = 0
        if not complete and bar.pending == 0 and bar.tx == 0:
            self.m.report(
                "mbarrier-misuse",
                pc,
                tids,
                "an mbarrier.arrive.noComplete completes the phase of the mbarrier at shared "
                f"offset {flat % self.m.shared_stride} (undefined in the PTX ISA)",
                flat % self.m.shared_stride,
            )
        token = before | (bar.pending << 32)
        self._settle(flat, bar)
        return token

    def add_tx(self, pc: int, tids: np.ndarray, flat: int, tx: int) -> None:
        """expect_tx (+) or complete_tx (-) without an arrival."""
        bar = self.get(pc, tids, flat)
        if bar is None:
            return
        bar.tx += tx
        self._settle(flat, bar)

    def _touch(self, flat: int) -> None:
        """The barrier changed: threads spinning on it with ``test_wait`` look again."""
        self.changes += 1
        spin = np.flatnonzero(self.spinning & (self.on == flat))
        if spin.size:
            self._release(spin)

    def _settle(self, flat: int, bar: Bar) -> None:
        if bar.pending or bar.tx:
            self._touch(flat)
            return
        m = self.m
        bar.phase += 1
        bar.pending = bar.count
        cta = flat // m.shared_stride
        m.sanitizer.barrier(np.array([cta]))
        for offsets, nbytes in bar.landing:
            m.sanitizer.async_pending(offsets, nbytes, -1)
        bar.landing.clear()
        waiting = np.flatnonzero((self.on == flat) & (self.need <= bar.phase))
        if waiting.size:
            self._release(waiting)
        self._touch(flat)

    def _release(self, tids: np.ndarray) -> None:
        self.on[tids] = -1
        self.spinning[tids] = False
        resume = self.resume[tids]
        for pc in np.unique(resume):
            group = tids[resume == pc]
            hook = self.hooks.get(int(pc))
            if hook is not None:
                hook(group)
            self.m.release(int(pc), group)

    def block(
        self, tids: np.ndarray, flat: np.ndarray, need: np.ndarray, resume: int, spin: bool = False
    ) -> None:
        self.on[tids] = flat
        self.need[tids] = need
        self.resume[tids] = resume
        self.spinning[tids] = spin

    # ------------------------------------------------------------------ waitable
    def on_exit(self, tids: np.ndarray) -> None:
        """Exits do not arrive on mbarriers (unlike CTA barriers)."""

    def on_idle(self) -> bool:
        """Nothing else can run: resume the spinning threads, except those that already
        spun once since an idle resumption with no mbarrier changing: they wait for good."""
        spin = self.spinning & (self.on >= 0)
        stuck = self.idle_release == self.changes
        go = np.flatnonzero(spin & ~stuck)
        if go.size == 0:
            return False
        self.idle_release[go] = self.changes
        self._release(go)
        return True

    def blocked(self) -> list[tuple[str, int, np.ndarray, str]]:
        m = self.m
        for flat in np.unique(self.on[self.on >= 0]):
            tids = np.flatnonzero(self.on == flat)
            bar = self.bars.get(int(flat))
            off = int(flat) % m.shared_stride
            t0 = int(tids[0])
            warps = sorted({int(w) for w in m.threads.flat[tids] >> 5})
            need = int(self.need[t0])
            if bar is None:
                state = "it is not initialised"
                detail: dict[str, Any] = {}
            else:
                over = " (more bytes completed than expect_tx announced)" if bar.tx < 0 else ""
                state = (
                    f"phase {bar.phase} (parity {bar.phase & 1}) has {bar.pending} of "
                    f"{bar.count} arrival(s) pending and tx-count {bar.tx} byte(s){over}"
                )
                detail = {
                    "phase": bar.phase,
                    "pending": bar.pending,
                    "count": bar.count,
                    "tx_count": bar.tx,
                }
            block = m.threads.block_of(t0)
            msg = (
                f"mbarrier at shared offset {off} of block {block}: {tids.size} thread(s) "
                f"of warp(s) {warps} wait for phase {need - 1} to complete, but {state}"
            )
            m.report(
                "mbarrier-deadlock",
                int(self.resume[t0]) - 1,
                tids,
                msg,
                off,
                {
                    "barrier": off,
                    "block": block,
                    "warps": warps,
                    "waits_for_phase": need - 1,
                    **detail,
                },
            )
        return []


# ---------------------------------------------------------------------------- decoding


def space_of(ins: ir.Instruction) -> str:
    for x in ins.mods:
        if x == "shared::cluster":
            return "shared"
        if x in SPACES:
            return "shared" if SPACES[x] == "shared" else SPACES[x]
    return "generic"


def _flat(L: Linker, o: Any, space: str) -> Any:
    """``f(sel) -> (tids, flat, ok)`` for an mbarrier address operand."""
    m, pc = L.m, L.pc
    ea, sp = L.address(o, space)
    sp = "shared" if sp == "shared" else "generic"

    def get(s: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        tids = m.tids(s)
        a = np.broadcast_to(np.asarray(ea(s), np.uint64), (tids.size,))
        flat, ok = shared_flat(m, pc, tids, sp, a, 8)
        return tids, flat, ok

    return get


def _sink(o: Any) -> bool:
    return isinstance(o, ir.Sym) and o.name == "_"


def _per_barrier(flat: np.ndarray, ok: np.ndarray) -> list[tuple[int, np.ndarray]]:
    """(barrier, lane positions) for the valid lanes, by barrier address."""
    pos = np.flatnonzero(ok)
    if pos.size == 0:
        return []
    f = flat[pos]
    if (f == f[0]).all():
        return [(int(f[0]), pos)]
    order = np.argsort(f, kind="stable")
    keys, starts = np.unique(f[order], return_index=True)
    groups = np.split(pos[order], starts[1:])
    return [(int(k), g) for k, g in zip(keys, groups, strict=True)]


@FAMILY.machine("mbarrier")
def mbarrier(ins: ir.Instruction) -> Any:
    mods = ins.mods
    what = mods[0] if mods else ""
    space = space_of(ins)
    if what == "init":
        return _init(ins, space)
    if what in ("arrive", "arrive_drop"):
        return _arrive(ins, space)
    if what in ("expect_tx", "complete_tx"):
        return _tx(ins, space, +1 if what == "expect_tx" else -1)
    if what in ("test_wait", "try_wait"):
        return _wait(ins, space, blocking=what == "try_wait")
    if what == "inval":
        return _inval(ins, space)
    if what == "pending_count":
        return _pending_count(ins)
    raise NotSupported(ins, f"mbarrier.{what}")


def _pending_count(ins: ir.Instruction) -> Op:
    """``mbarrier.pending_count.b64 count, state``: the arrivals the state's phase still
    awaited right after the arrive that returned it."""

    def link(L: Linker) -> Any:
        r, w = L.scalar(ins.operands[1], np.int64), L.write(ins.operands[0])
        return lambda s: w(s, (r(s, L.m.tids(s).size) >> 32).astype(np.uint32))

    return Op(link)


def _init(ins: ir.Instruction, space: str) -> Op:
    def link(L: Linker) -> Any:
        m = L.m
        addr, cnt = _flat(L, ins.operands[0], space), L.scalar(ins.operands[1], np.int64)

        def step(s: Any) -> None:
            tids, flat, ok = addr(s)
            c = cnt(s, tids.size)
            st = MBarriers.of(m)
            for f, lanes in _per_barrier(flat, ok):
                st.init(f, int(c[lanes[-1]]))

        return step

    return Op(link)


def _inval(ins: ir.Instruction, space: str) -> Op:
    def link(L: Linker) -> Any:
        m = L.m
        addr = _flat(L, ins.operands[0], space)

        def step(s: Any) -> None:
            _, flat, ok = addr(s)
            st = MBarriers.of(m)
            for f, _lanes in _per_barrier(flat, ok):
                st.bars.pop(f, None)

        return step

    return Op(link)


def _arrive(ins: ir.Instruction, space: str) -> Op:
    mods = set(ins.mods)
    expect = "expect_tx" in mods
    drop = ins.mods[0] == "arrive_drop"
    ops = ins.operands
    if len(ops) < 2:
        raise NotSupported(ins, "mbarrier.arrive needs a state and an address")

    def link(L: Linker) -> Any:
        m, pc = L.m, L.pc
        addr = _flat(L, ops[1], space)
        extra = L.scalar(ops[2], np.int64) if len(ops) > 2 else None
        write = None if _sink(ops[0]) else L.write(ops[0])

        def step(s: Any) -> None:
            tids, flat, ok = addr(s)
            n = tids.size
            v = extra(s, n) if extra is not None else None
            st = MBarriers.of(m)
            state = np.zeros(n, np.uint64)
            wgmmas = m.extensions.get("wgmma")
            if wgmmas is not None:
                wgmmas.arrived(tids[ok])
            for f, lanes in _per_barrier(flat, ok):
                tx = int(v[lanes].sum()) if expect and v is not None else 0
                cnt = lanes.size if expect or v is None else int(v[lanes].sum())
                if drop:
                    bar = st.bars.get(f)
                    if bar is not None:
                        bar.count -= cnt
                complete = "noComplete" not in mods
                state[lanes] = st.arrive(pc, tids[lanes], f, cnt, tx, complete)
            if write is not None:
                write(s, state)

        return step

    return Op(link)


def _tx(ins: ir.Instruction, space: str, sign: int) -> Op:
    def link(L: Linker) -> Any:
        m, pc = L.m, L.pc
        addr, val = _flat(L, ins.operands[0], space), L.scalar(ins.operands[1], np.int64)

        def step(s: Any) -> None:
            tids, flat, ok = addr(s)
            v = val(s, tids.size)
            st = MBarriers.of(m)
            for f, lanes in _per_barrier(flat, ok):
                st.add_tx(pc, tids[lanes], f, sign * int(v[lanes].sum()))

        return step

    return Op(link)


def _wait(ins: ir.Instruction, space: str, blocking: bool) -> Flow:
    parity = "parity" in ins.mods
    ops = ins.operands

    def link(L: Linker) -> Any:
        m, pc = L.m, L.pc
        addr, token = _flat(L, ops[1], space), L.scalar(ops[2], np.int64)
        write = L.write(ops[0])
        if blocking:  # a suspended try_wait returns true once its phase completed
            hooks = m.hooks.setdefault("mbarrier", {})
            hooks[pc + 1] = lambda tids: write(tids, np.ones(tids.size, bool))

        def step(s: Any) -> Any:
            tids, flat, ok = addr(s)
            st = MBarriers.of(m)
            tok = token(s, tids.size)
            phase = np.zeros(tids.size, np.int64)
            known = np.zeros(tids.size, bool)
            for f, lanes in _per_barrier(flat, ok):
                bar = st.get(pc, tids[lanes], f)
                if bar is not None:
                    phase[lanes] = bar.phase
                    known[lanes] = True
            if parity:
                done = (phase & 1) != (tok & 1)
                need = phase + 1
            else:
                tok = tok & 0xFFFFFFFF  # the phase the state token came from
                done = phase > tok
                need = tok + 1
            done |= ~ok  # a bad address was reported: do not hang on it
            write(s, done)
            go = tids[done]
            wait = ~done
            if not wait.any():
                return ((pc + 1, s),)
            st.block(tids[wait], flat[wait], need[wait], pc + 1, spin=not blocking)
            return ((pc + 1, go),) if go.size else ()

        return step

    return Flow(link)


OPCODES = FAMILY.table

__all__ = ["OPCODES", "MBarriers"]
