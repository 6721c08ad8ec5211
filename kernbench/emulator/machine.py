"""The machine: links a lowered program to one wave's state and runs it.

Linking turns each instruction into a closure over the wave's register rows (so executing
one is a few numpy calls) plus a flow kind. Running takes the lowest pc among runnable
threads and executes it for all threads there at once, lanes, warps and CTAs together.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, Protocol

import numpy as np

from .findings import Finding, Findings
from .memory import HostMemory, Region
from .program import Program
from .ptx import ir
from .sanitizer import Sanitizer
from .schedule import ALL, Groups, count_warps, split
from .state import Layout, Registers, Threads

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


class Linker:
    """Compiles operands of one instruction into fast accessors over the machine's state."""

    def __init__(self, m: Machine, pc: int, ins: ir.Instruction) -> None:
        self.m, self.pc, self.ins = m, pc, ins

    def read(self, o: Any) -> Callable[[Any], Any]:
        m = self.m
        if isinstance(o, ir.Reg):
            slot = m.program.slots.get(o.name)
            if slot is None:
                from .ops.special import special

                val = special(m, o)
                if callable(val):
                    return val
                return val.__getitem__ if isinstance(val, np.ndarray) else (lambda s: val)
            row = m.regs.row(*slot)
            if o.negated:
                return lambda s: ~row[s]
            return row.__getitem__
        if isinstance(o, ir.Sym):
            imm = ir.Imm(self.symbol_address(o))
            return lambda s: imm
        if isinstance(o, ir.Vec):
            rs = [self.read(x) for x in o.items if x is not None]
            return lambda s: tuple(r(s) for r in rs)
        return lambda s: o

    def symbol_address(self, o: ir.Sym) -> int:
        sym = self.m.program.symbols.get(o.name)
        if sym is None:
            raise ValueError(f"line {self.ins.line}: unknown symbol {o.name}")
        return sym.address + o.offset

    def write(self, o: Any) -> Callable[[Any, Any], None]:
        m = self.m
        if isinstance(o, ir.Reg):
            if o.name not in m.program.slots:
                raise ValueError(f"line {self.ins.line}: cannot write {o.name}")
            cls, slot = m.program.slots[o.name]
            row = m.regs.row(cls, slot)
            mask = {"pred": 1, "b8": 0xFF, "b16": 0xFFFF, "b32": 0xFFFFFFFF}.get(
                cls, 0xFFFFFFFFFFFFFFFF
            )

            def w(s: Any, v: Any) -> None:
                if type(v) is int:
                    v &= mask
                row[s] = v

            return w
        if isinstance(o, (ir.Vec, ir.Pair)):
            items = o.items if isinstance(o, ir.Vec) else (o.first, o.second)
            ws = [None if x is None else self.write(x) for x in items]

            def wv(s: Any, v: Any) -> None:
                for wi, vi in zip(ws, v, strict=True):
                    if wi is not None:
                        wi(s, vi)

            return wv
        raise ValueError(f"line {self.ins.line}: {o!r} is not a destination")

    def width_of(self, o: Any) -> str:
        """Register file class of a register operand ('b32', 'pred'...)."""
        return self.m.program.slots[o.name][0]

    def address(self, o: Any, space: str) -> tuple[Callable[[Any], Any], str]:
        """``ea(sel) -> uint64 addresses`` and the space the access really goes to."""
        from .memory import LOCAL_WINDOW, SHARED_WINDOW

        if not isinstance(o, ir.Addr):
            raise ValueError(f"line {self.ins.line}: expected a memory operand [..], got {o!r}")
        base = o.base
        if isinstance(base, ir.Sym) or (
            isinstance(base, ir.Reg) and base.name in self.m.program.symbols
        ):
            sym = self.m.program.symbols[base.name]
            a = sym.address + o.offset + getattr(base, "offset", 0)
            sp = sym.space
            if space == "generic" and sp != "host":
                a += SHARED_WINDOW if sp == "shared" else LOCAL_WINDOW
                sp = "generic"
            const = np.uint64(a)
            return (lambda s: const), sp
        sp = {"global": "host", "const": "host", "param": "host"}.get(space, space)
        if base is None:
            const = np.uint64(o.offset & 0xFFFFFFFFFFFFFFFF)
            return (lambda s: const), sp
        r = self.read(base)
        off = np.uint64(o.offset & 0xFFFFFFFFFFFFFFFF)
        if o.offset == 0:
            return (lambda s: r(s).astype(np.uint64, copy=False)), sp
        return (lambda s: r(s).astype(np.uint64) + off), sp


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
        self.hooks: dict[str, Any] = {}
        """Link-time registrations of op families (e.g. ``bar.red`` result writers)."""
        n = len(program.steps)
        self.thread_counts = np.zeros(n, np.int64)
        self.warp_counts = np.zeros(n, np.int64)
        self.reset(layout, host, findings, budget=budget, clock=clock, fresh=True)
        self.steps: list[Step] = []
        self.kinds: list[int] = []
        self.guards: list[Callable[[Any], np.ndarray] | None] = []
        self._link()

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
        self.sanitizer = Sanitizer(self, self.check)
        self.waitables: list[Waitable] = []
        self.extensions: dict[str, Any] = {}
        """Per-wave state of op families (barriers, async copies...), created on first use."""
        self.groups = Groups(self.size)
        self.budget = budget
        self.clock = clock if clock is not None else [0]

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
                linkers = [Linker(self, q, lows[q].ins) for q in range(pc, end)]
                for start, length, step in fuse(linkers):
                    self.steps[start] = self._stretch(start, length, step)
                    self.kinds[start] = FLOW
            pc = max(end, pc + 1)

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
        steps, kinds, guards = self.steps, self.kinds, self.guards
        tcount, wcount = self.thread_counts, self.warp_counts
        groups = self.groups
        real = self.threads.real
        start: Any = ALL if real.all() else np.flatnonzero(real)
        groups.add(0, start)
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
        if not self.findings.fatal and not groups:
            self._check_deadlock()

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


def timed(fn: Callable[[], None]) -> float:
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t
