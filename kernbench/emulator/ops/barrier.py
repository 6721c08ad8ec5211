"""CTA barriers: ``bar``/``barrier`` ``.sync``, ``.arrive`` and ``.red`` with ids and counts.

Each CTA has 16 barriers. A barrier instance completes when the expected number of threads
arrived (the operand ``b``, else every thread of the CTA still running); ``.sync`` and
``.red`` threads block until then. Threads that exit stop being expected. Threads of one
CTA completing one instance from different instructions is a ``divergent-barrier``
finding (for barriers without a thread count, i.e. ``__syncthreads``; named barriers with
counts legitimately pair different instructions); threads still blocked when nothing can run is a ``barrier-deadlock``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..machine import Flow, Linker, Machine
from ..ptx import ir
from .table import NotSupported, Registry
from .warp import bar_warp_sync

FAMILY = Registry()
N_BARRIERS = 16


class CtaBarriers:
    """The 16 barriers of every CTA of a wave; a waitable the machine knows of."""

    def __init__(self, m: Machine) -> None:
        self.m = m
        shape = (N_BARRIERS, m.layout.n_cta)
        self.arrived = np.zeros(shape, np.int64)
        self.expected = np.zeros(shape, np.int64)
        self.first_pc = np.full(shape, -1, np.int64)
        self.popc = np.zeros(shape, np.int64)
        self.aligned = np.zeros(shape, bool)
        self.last_popc = np.zeros(shape, np.int64)
        self.last_n = np.zeros(shape, np.int64)
        self.blocked_on = np.full(m.size, -1, np.int64)
        self.resume = np.zeros(m.size, np.int64)
        self.hooks: dict[int, Any] = m.hooks.setdefault("bar.red", {})
        """resume pc -> f(tids, barrier) run when ``.red`` waiters are released (registered
        at link time, so kept on the machine across waves)."""
        m.waitables.append(self)

    @staticmethod
    def of(m: Machine) -> CtaBarriers:
        return m.extension("bar", lambda: CtaBarriers(m))

    def arrive(
        self,
        pc: int,
        tids: np.ndarray,
        bar: int,
        count: int | None,
        wait: bool,
        pred: np.ndarray | None = None,
        aligned: bool = False,
    ) -> None:
        m = self.m
        if not 0 <= bar < N_BARRIERS:
            m.report("barrier-deadlock", pc, tids, f"barrier id {bar} is outside 0..15")
            m.retire(tids)
            return
        ctas = m.threads.cta[tids]
        n = m.layout.n_cta
        cnt = np.bincount(ctas, minlength=n)
        hit = cnt > 0
        first = self.first_pc[bar]
        clash = hit & (first >= 0) & (first != pc)
        if count is None and clash.any():
            c = int(np.flatnonzero(clash)[0])
            other = m.line_of(int(first[c]))
            m.report(
                "divergent-barrier",
                pc,
                tids[ctas == c],
                f"threads of one block reach barrier {bar} at PTX lines {other} and "
                f"{m.line_of(pc)}: a barrier inside divergent code",
                detail={"barrier": bar, "other_line": other},
            )
        first[hit & (first < 0)] = pc
        if aligned:
            self.aligned[bar][hit] = True
        self.arrived[bar] += cnt
        if count is not None:
            self.expected[bar][hit] = count
        if pred is not None:
            self.popc[bar] += np.bincount(ctas, weights=pred, minlength=n).astype(np.int64)
        if wait:
            self.blocked_on[tids] = bar
            self.resume[tids] = pc + 1
        self._complete(bar, hit)

    def _complete(self, bar: int, candidates: np.ndarray) -> None:
        m = self.m
        need = np.where(self.expected[bar] > 0, self.expected[bar], m.live_per_cta)
        done = candidates & (self.arrived[bar] >= need)
        if not done.any():
            return
        waiting = (self.blocked_on == bar) & done[m.threads.cta]
        if self.aligned[bar][done].any():
            self._check_converged(bar, waiting, done)
        self.last_popc[bar][done] = self.popc[bar][done]
        self.last_n[bar][done] = self.arrived[bar][done]
        for arr, v in (
            (self.arrived, 0),
            (self.expected, 0),
            (self.first_pc, -1),
            (self.popc, 0),
            (self.aligned, False),
        ):
            arr[bar][done] = v
        m.sanitizer.barrier(np.flatnonzero(done))
        tids = np.flatnonzero(waiting)
        if tids.size == 0:
            return
        self.blocked_on[tids] = -1
        resume = self.resume[tids]
        for pc in np.unique(resume):
            group = tids[resume == pc]
            hook = self.hooks.get(int(pc))
            if hook is not None:
                hook(group, bar)
            m.release(int(pc), group)

    def _check_converged(self, bar: int, waiting: np.ndarray, done: np.ndarray) -> None:
        """An ``.aligned`` barrier (``bar.sync``, ``__syncthreads``) needs every running lane
        of a warp to execute it together: when it completes, a warp with some lanes waiting
        and others still running elsewhere had the barrier in code it diverged in (lanes that
        exited meanwhile are fine: exits release barriers)."""
        m = self.m
        w = waiting.reshape(-1, 32).sum(axis=1)
        running = m.alive.reshape(-1, 32).sum(axis=1)
        split = (w > 0) & (w < running)
        if not split.any():
            return
        warp = int(np.flatnonzero(split)[0])
        lanes = np.flatnonzero(waiting[warp * 32 : warp * 32 + 32]).tolist()
        tids = np.flatnonzero(waiting & np.repeat(split, 32))
        pc = int(self.resume[tids[0]]) - 1
        m.report(
            "divergent-barrier",
            pc,
            tids,
            f"only lanes {lanes} of warp {warp % (m.layout.cta_stride // 32)} wait at this "
            "aligned barrier while the warp's other running lanes are elsewhere: a barrier "
            "in divergent code",
            detail={"barrier": bar, "lanes": lanes},
        )

    def on_exit(self, tids: np.ndarray) -> None:
        live = self.arrived > 0
        for bar in np.flatnonzero(live.any(axis=1)):
            self._complete(int(bar), live[bar])

    def blocked(self) -> list[tuple[str, int, np.ndarray, str]]:
        m = self.m
        out = []
        for bar in np.unique(self.blocked_on[self.blocked_on >= 0]):
            tids = np.flatnonzero(self.blocked_on == bar)
            t0 = int(tids[0])
            cta = m.threads.cta[t0]
            pc = int(self.resume[t0]) - 1
            mine = tids[m.threads.cta[tids] == cta]
            members = np.flatnonzero((m.threads.cta == cta) & m.alive)
            absent = np.setdiff1d(members, mine)
            elsewhere = []
            for t in absent[:4]:
                b2 = self.blocked_on[t]
                where = (
                    f"waits at barrier {b2} (PTX line {m.line_of(int(self.resume[t]) - 1)})"
                    if b2 >= 0
                    else "blocked elsewhere"
                )
                elsewhere.append(f"thread {m.threads.thread_of(int(t))} {where}")
            exp = int(self.expected[bar][cta]) or int(m.live_per_cta[cta])
            msg = (
                f"barrier {bar}: {mine.size} thread(s) of block {m.threads.block_of(t0)} wait "
                f"here for {exp}, {absent.size} live thread(s) never arrive"
                + (": " + "; ".join(elsewhere) if elsewhere else "")
            )
            out.append(("barrier-deadlock", pc, tids, msg))
        return out


def _const(L: Linker, o: Any) -> Any:
    r = L.read(o)

    def get(s: Any) -> int:
        v = r(s)
        if isinstance(v, ir.Imm):
            return int(v.value)
        return int(np.ravel(v)[0])

    return get


@FAMILY.machine("bar", "barrier", dests=0)
def bar(ins: ir.Instruction) -> Any:
    mods = set(ins.mods)
    if "warp" in mods:
        return bar_warp_sync(ins)
    red = next((x for x in ("popc", "and", "or") if x in mods), None)
    if "red" in mods and red is None:
        raise NotSupported(ins, "bar.red needs .popc, .and or .or")
    wait = "arrive" not in mods
    ops = ins.operands
    if "red" in mods:
        dest, a, b, c = ops[0], ops[1], (ops[2] if len(ops) == 4 else None), ops[-1]
    else:
        dest, a, b, c = None, ops[0] if ops else ir.Imm(0), ops[1] if len(ops) > 1 else None, None
    if not wait and b is None:
        raise NotSupported(ins, "bar.arrive needs a thread count")

    aligned = ins.opcode == "bar" or "aligned" in mods

    def link(L: Linker) -> Any:
        m, pc = L.m, L.pc
        ga = _const(L, a)
        gb = _const(L, b) if b is not None else None
        rc = L.read(c) if c is not None else None
        if dest is not None:
            w = L.write(dest)
            cls = L.width_of(dest)

            def hook(tids: np.ndarray, barrier: int) -> None:
                st = CtaBarriers.of(m)
                cta = m.threads.cta[tids]
                p, n = st.last_popc[barrier][cta], st.last_n[barrier][cta]
                val = p if red == "popc" else (p == n) if red == "and" else (p > 0)
                if cls == "pred":
                    val = val.astype(bool)
                w(tids, val)

            m.hooks.setdefault("bar.red", {})[pc + 1] = hook

        def step(s: Any) -> Any:
            tids = m.tids(s)
            st = CtaBarriers.of(m)
            pred = None
            if rc is not None:
                pred = np.broadcast_to(np.asarray(rc(s)).astype(bool), (tids.size,))
                pred = pred.astype(np.float64)
            st.arrive(pc, tids, ga(s), gb(s) if gb is not None else None, wait, pred, aligned)
            return () if wait else ((pc + 1, s),)

        return step

    return Flow(link)


OPCODES = FAMILY.table
