"""The machine: links a lowered program to one wave's state and runs it.

Linking turns each instruction into a closure over the wave's register rows (so executing
one is a few numpy calls) plus a flow kind. Running takes the lowest pc among runnable
threads and executes it for all threads there at once, lanes, warps and CTAs together.

How a machine-op family plugs in (what the Hopper families reuse):

* The factory (``@FAMILY.machine("op")``) decodes the instruction once and returns an
  :class:`Op` (straight-line: ``step(sel) -> None``) or a :class:`Flow` (control or blocking:
  ``step(sel) -> [(pc, sel), ...]``, the threads that go on and where). Both wrap
  ``link(L)``, called per wave with a :class:`Linker` ``L``: ``L.read(op)`` / ``L.write(op)``
  give accessors over register rows, ``L.address(addr, space)`` a lane-address function and
  the space it really resolves to; ``L.m`` is the :class:`Machine`, ``L.pc`` the pc.
* ``sel`` is :data:`~.schedule.ALL` (every thread of the wave) or a sorted index array;
  ``m.tids(sel)`` gives indices. Memory goes through :mod:`.access` (bounds, alignment,
  sanitizer); findings through ``m.report(kind, pc, tids, message, address, detail)``.
* Blocking: a Flow step leaves blocked threads out of what it returns and records them in a
  waitable (``m.waitables``: :class:`~.ops.barrier.CtaBarriers`, or a
  :class:`~.schedule.WaitList` subclass for mbarrier phases); releasing calls
  ``m.release(pc, tids)``. Exits tell every waitable (``on_exit``); when nothing can run,
  each waitable's ``blocked()`` becomes a deadlock finding.
* Per-wave state of a family lives in ``m.extensions[name]`` (reset with the wave); link-time
  registrations in ``m.hooks`` (kept while the machine is reused for same-shaped waves).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol, TypeVar

import numpy as np

from .findings import Finding, Findings
from .linker import Linker
from .memory import HostMemory, Region
from .program import Lowered, Program
from .sanitizer import Sanitizer
from .schedule import ALL, Groups, count_warps, split
from .state import Layout, Registers, Threads

E = TypeVar("E")
"""The type of a family's per-wave state (:meth:`Machine.extension`)."""

NORMAL, FLOW = 0, 1

Step = Callable[[Any], Any]


class Flow:
    """What a control or blocking op's factory returns: ``link(L)`` makes a callable that
    takes the executing selector and returns ``[(pc, sel), ...]`` for where its threads
    continue (threads it blocks or retires are simply absent)."""

    def __init__(self, link: Callable[[Linker], Step]) -> None:
        self.link = link


class Op:
    """What other machine ops' factories return: ``link(L)`` makes ``step(sel) -> None``.

    ``fuse``, when given, may run a stretch of consecutive unguarded instructions that share
    it as one step (e.g. a run of independent ``mma`` as one batched call): it receives their
    linkers and returns ``[(start pc, length, step)]`` for the stretches it fused.
    """

    def __init__(
        self,
        link: Callable[[Linker], Step],
        fuse: Callable[[list[Linker]], list[tuple[int, int, Step]]] | None = None,
    ) -> None:
        self.link = link
        self.fuse = fuse


class Waitable(Protocol):
    """Something threads block on (CTA barriers, mbarriers): told of exits, asked on deadlock."""

    def on_exit(self, tids: np.ndarray) -> None: ...

    def blocked(self) -> list[tuple[str, int, np.ndarray, str]]:
        """``(kind, pc, waiting threads, what they wait for)`` for a deadlock report."""
        ...


def fusable_stretches(lows: list[Lowered]) -> list[tuple[int, int, Any]]:
    """``(start, end, fuse)`` of each stretch of two or more unguarded steps whose ops share
    one ``fuse`` (steps ``start`` to ``end - 1``): what :meth:`Machine._fuse` hands ``fuse``."""
    out = []
    pc = 0
    while pc < len(lows):
        fuse = getattr(lows[pc].impl, "fuse", None)
        end = pc
        while (
            end < len(lows)
            and fuse is not None
            and getattr(lows[end].impl, "fuse", None) is fuse
            and lows[end].ins.guard is None
        ):
            end += 1
        if fuse is not None and end - pc > 1:
            out.append((pc, end, fuse))
        pc = max(end, pc + 1)
    return out


class Machine:
    """One wave of CTAs of one launch."""

    def __init__(
        self,
        program: Program,
        layout: Layout,
        host: HostMemory,
        findings: Findings,
        *,
        dynamic_shared: int = 0,
        check: bool = True,
        budget: int | None = None,
        clock: list[int] | None = None,
    ) -> None:
        self.program = program
        self.layout = layout
        self.host = host
        self.findings = findings
        self.threads = Threads(layout)
        self.size = layout.size
        self.all_tids = self.threads.tid
        self.all_warps = np.arange(self.size // 32)
        self.regs = Registers(program.counts, self.size)
        self.dynamic_shared = dynamic_shared
        self.shared_size = (
            program.dynamic_shared_offset + dynamic_shared
            if dynamic_shared
            else program.shared_static
        )
        self.shared_stride = -(-max(self.shared_size, 16) // 16) * 16
        self.shared = Region(np.zeros(layout.n_cta * self.shared_stride, np.uint8))
        self.local_stride = -(-max(program.local_size, 16) // 16) * 16
        self.local = Region(np.zeros(self.size * self.local_stride, np.uint8))
        self.check = check
        self.observer: Any = None
        """Sees every memory access when set (:class:`.counters.Counters`); never semantics."""
        self.cluster_size = 1
        """CTAs per cluster (consecutive in the wave); Hopper cluster launches set it."""
        self.hooks: dict[str, Any] = {}
        """Link-time registrations of op families (e.g. ``bar.red`` result writers)."""
        n = len(program.steps)
        self.thread_counts = np.zeros(n, np.int64)
        self.warp_counts = np.zeros(n, np.int64)
        self.reset(layout, host, findings, budget=budget, clock=clock, fresh=True)
        self.steps: list[Step] = []
        self.kinds: list[int] = []
        self.guards: list[Callable[[Any], np.ndarray] | None] = []
        self.post_link: list[Callable[[], None]] = []
        """Run once every instruction is linked (ops that wrap other steps register here)."""
        self._link()
        for fn in self.post_link:
            fn()

    def reset(
        self,
        layout: Layout,
        host: HostMemory,
        findings: Findings,
        *,
        budget: int | None = None,
        clock: list[int] | None = None,
        fresh: bool = False,
    ) -> None:
        """Ready the machine for another wave of the same shape (linking is kept: the
        linked steps close over these arrays, so they are reset in place)."""
        if not fresh:
            if (layout.n_cta, layout.block, layout.grid) != (
                self.layout.n_cta,
                self.layout.block,
                self.layout.grid,
            ):
                raise ValueError("a machine is reused only for waves of the same shape")
            self.threads.rebase(layout.first_cta)
            for f in self.regs.files.values():
                f.fill(0)
            self.shared.u8.fill(0)
            self.local.u8.fill(0)
            self.thread_counts.fill(0)
            self.warp_counts.fill(0)
        self.layout = layout
        self.host = host
        self.findings = findings
        self.alive = self.threads.real.copy()
        self.live_per_cta = np.bincount(self.threads.cta[self.alive], minlength=layout.n_cta)
        if fresh:
            self.sanitizer = Sanitizer(self, self.check)
        else:
            self.sanitizer.reset()
        self.waitables: list[Waitable] = []
        self.extensions: dict[str, Any] = {}
        """Per-wave state of op families (barriers, async copies...), created on first use."""
        self.groups = Groups(self.size)
        self.budget = budget
        self.clock = clock if clock is not None else [0]

    def extension(self, name: str, make: Callable[[], E]) -> E:
        """The family state ``extensions[name]`` of this wave, made by ``make()`` on first use."""
        e = self.extensions.get(name)
        if e is None:
            e = self.extensions[name] = make()
        return e

    # ------------------------------------------------------------------ linking
    def _link(self) -> None:
        from .ops.elementwise import link_elementwise

        for low in self.program.steps:
            L = Linker(self, low.pc, low.ins)
            impl = low.impl
            if low.semantic.kind == "elementwise":
                self.steps.append(link_elementwise(L, impl, low.semantic.dests))
                self.kinds.append(NORMAL)
            elif isinstance(impl, Flow):
                self.steps.append(impl.link(L))
                self.kinds.append(FLOW)
            elif isinstance(impl, Op):
                self.steps.append(impl.link(L))
                self.kinds.append(NORMAL)
            else:
                raise TypeError(f"{low.ins.opcode}: factory returned {type(impl).__name__}")
            g = low.ins.guard
            self.guards.append(None if g is None else L.read(g))
        self._fuse()

    def _fuse(self) -> None:
        """Replace each fusable stretch's first step by one that runs the whole stretch."""
        lows = self.program.steps
        for pc, end, fuse in fusable_stretches(lows):
            linkers = [Linker(self, q, lows[q].ins) for q in range(pc, end)]
            for start, length, step in fuse(linkers):
                self.steps[start] = self._stretch(start, length, step)
                self.kinds[start] = FLOW

    def _stretch(self, start: int, length: int, step: Step) -> Step:
        tc, wc = self.thread_counts, self.warp_counts
        after = start + length

        def run(s: Any) -> Any:
            step(s)
            n = self.size if s is ALL else s.size
            tc[start + 1 : after] += n
            wc[start + 1 : after] += self.size // 32 if s is ALL else count_warps(s)
            return ((after, s),)

        return run

    # ------------------------------------------------------------------ helpers
    def line_of(self, pc: int) -> int:
        return self.program.steps[pc].ins.line if 0 <= pc < len(self.program.steps) else 0

    def tids(self, sel: Any) -> np.ndarray:
        """Thread indices of a selector."""
        return self.all_tids if sel is ALL else sel

    def report(
        self,
        kind: str,
        pc: int,
        tids: np.ndarray,
        message: str,
        address: int | None = None,
        detail: dict[str, Any] | None = None,
    ) -> None:
        """Record a finding at ``pc`` for threads ``tids`` (the first one is named)."""
        ins = self.program.steps[pc].ins if 0 <= pc < len(self.program.steps) else None
        line = ins.line if ins else 0
        n = int(np.size(tids)) or 1
        if self.findings.seen(kind, line):
            self.findings.bump(kind, line, n)
            return
        t = int(np.ravel(tids)[0]) if np.size(tids) else None
        src = ""
        if ins is not None and ins.loc is not None:
            src = f"{ins.loc.file}:{ins.loc.line}"
        self.findings.add(
            Finding(
                kind,
                message,
                self.program.kernel.name,
                line,
                ins.text.strip() if ins else "",
                src,
                self.threads.thread_of(t) if t is not None else None,
                self.threads.block_of(t) if t is not None else None,
                address,
                detail,
            ),
            n,
        )

    def retire(self, tids: np.ndarray) -> None:
        """Threads exit: they stop, and waitables stop expecting them."""
        tids = tids[self.alive[tids]]
        if tids.size == 0:
            return
        self.alive[tids] = False
        self.live_per_cta -= np.bincount(self.threads.cta[tids], minlength=self.layout.n_cta)
        for w in self.waitables:
            w.on_exit(tids)

    def release(self, pc: int, tids: np.ndarray) -> None:
        """Blocked threads become runnable at ``pc``."""
        self.groups.add(pc, ALL if tids.size == self.size else np.sort(tids))

    # ------------------------------------------------------------------ running
    def run(self) -> None:
        real = self.threads.real
        self.groups.add(0, ALL if real.all() else np.flatnonzero(real))
        self._run()
        while not self.findings.fatal and not self.groups and self._idle():
            self._run()
        if not self.findings.fatal and not self.groups:
            self._check_deadlock()

    def _idle(self) -> bool:
        """Nothing is runnable: waitables that hold yielding threads (a ``test_wait`` spin
        loop) may hand them back; True when one did."""
        resumed = False
        for w in self.waitables:
            idle = getattr(w, "on_idle", None)
            if idle is not None and idle():
                resumed = True
        return resumed

    def _run(self) -> None:
        steps, kinds, guards = self.steps, self.kinds, self.guards
        tcount, wcount = self.thread_counts, self.warp_counts
        groups = self.groups
        budget = self.budget if self.budget is not None else 1 << 62
        executed = int(tcount.sum())
        all_warps = self.size // 32
        sel: Any
        while groups and not self.findings.fatal:
            pc, sel = groups.pop()
            n = self.size if sel is ALL else sel.size
            nw = all_warps if sel is ALL else count_warps(sel)
            while True:
                g = guards[pc]
                esel, en, ew, rest = sel, n, nw, None
                if g is not None:
                    gv = g(sel)
                    if not gv.all():
                        if not gv.any():
                            if kinds[pc] == FLOW:
                                groups.add(pc + 1, sel)
                                break
                            pc += 1
                            continue
                        esel, rest = split(sel, gv)
                        en, ew = esel.size, count_warps(esel)
                tcount[pc] += en
                wcount[pc] += ew
                executed += en
                self.clock[0] += 1
                if kinds[pc] == NORMAL:
                    steps[pc](esel)
                    pc += 1
                    if pc >= groups.low:
                        groups.add(pc, sel)
                        break
                else:
                    for p, s in steps[pc](esel):
                        groups.add(p, s)
                    if rest is not None:
                        groups.add(pc + 1, rest)
                    break
                if executed > budget:
                    break
            if executed > budget:
                self.report(
                    "instruction-budget",
                    pc,
                    self.tids(sel)[:1],
                    f"the launch ran past its budget of {budget} thread-instructions "
                    "(a runaway loop?)",
                )
                break

    def _check_deadlock(self) -> None:
        for w in self.waitables:
            for kind, pc, tids, what in w.blocked():
                self.report(kind, pc, tids, what)

    @property
    def executed_threads(self) -> int:
        return int(self.thread_counts.sum())

    @property
    def executed_warps(self) -> int:
        return int(self.warp_counts.sum())
