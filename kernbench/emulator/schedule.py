"""Which threads run next: groups of threads standing at one pc, lowest pc first.

A group is an index array of threads (or :data:`ALL`, every thread of the wave, the
converged fast path). Threads leave the runnable set when they exit or block on a waitable
(a CTA barrier, an mbarrier phase); the waitable hands them back when it releases.
"""

from __future__ import annotations

from typing import Any

import numpy as np

ALL = slice(None)
"""Every thread of the wave: the selector of a fully converged group."""


def as_index(sel: slice | np.ndarray, size: int) -> np.ndarray:
    return np.arange(size, dtype=np.int64) if isinstance(sel, slice) else sel


def count_warps(idx: np.ndarray) -> int:
    """Distinct warps in a sorted thread index array."""
    if idx.size == 0:
        return 0
    w = idx >> 5
    return int(np.count_nonzero(w[1:] != w[:-1])) + 1


class Groups:
    """Runnable threads by pc; merging groups that meet at a pc."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.by_pc: dict[int, slice | np.ndarray] = {}
        self.low = 1 << 62
        """The lowest pc held (sentinel when empty)."""

    def add(self, pc: int, sel: slice | np.ndarray) -> None:
        if not isinstance(sel, slice) and sel.size == 0:
            return
        old = self.by_pc.get(pc)
        if old is not None:
            if isinstance(old, slice) or isinstance(sel, slice):
                sel = ALL
            else:
                sel = np.union1d(old, sel)
                if sel.size == self.size:
                    sel = ALL
        self.by_pc[pc] = sel
        if pc < self.low:
            self.low = pc

    def pop(self) -> tuple[int, slice | np.ndarray]:
        pc = self.low
        sel = self.by_pc.pop(pc)
        self.low = min(self.by_pc) if self.by_pc else 1 << 62
        return pc, sel

    def __bool__(self) -> bool:
        return bool(self.by_pc)


def split(sel: slice | np.ndarray, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The threads of ``sel`` where ``mask`` (aligned with ``sel``) holds, and the rest."""
    if isinstance(sel, slice):
        return np.flatnonzero(mask), np.flatnonzero(~mask)
    return sel[mask], sel[~mask]


def by_value(
    sel: slice | np.ndarray, values: np.ndarray, size: int
) -> list[tuple[int, np.ndarray]]:
    """Threads of ``sel`` grouped by an int per thread (a resume pc, a branch target)."""
    idx = as_index(sel, size)
    uniq = np.unique(values)
    if uniq.size == 1:
        return [(int(uniq[0]), idx)]
    return [(int(u), idx[values == u]) for u in uniq]


class WaitList:
    """Threads blocked on keyed waitables (an mbarrier address and phase, a named pipe...),
    each with the pc it resumes at: the building block of a :class:`~.machine.Waitable`.

    ``block`` takes threads out of the runnable set (a flow step simply does not return
    them); ``release`` hands back every blocked thread whose key satisfies a predicate.
    Subclasses say what an exit changes (``on_exit``) and how a deadlock reads.
    """

    kind = "deadlock"

    def __init__(self, machine: Any) -> None:
        self.m = machine
        self.key = np.full(machine.size, -1, np.int64)
        self.resume = np.zeros(machine.size, np.int64)
        machine.waitables.append(self)

    def block(self, tids: np.ndarray, key: np.ndarray | int, resume_pc: int) -> None:
        self.key[tids] = key
        self.resume[tids] = resume_pc

    def release(self, which: np.ndarray) -> None:
        """Make runnable every blocked thread where ``which`` (over all threads) holds."""
        tids = np.flatnonzero(which & (self.key >= 0))
        if tids.size == 0:
            return
        self.key[tids] = -1
        resume = self.resume[tids]
        for pc in np.unique(resume):
            self.m.release(int(pc), tids[resume == pc])

    def on_exit(self, tids: np.ndarray) -> None:
        """Nothing by default: exiting threads do not arrive anywhere."""

    def describe(self, key: int) -> str:
        return f"waitable {key:#x}"

    def blocked(self) -> list[tuple[str, int, np.ndarray, str]]:
        out = []
        for key in np.unique(self.key[self.key >= 0]):
            tids = np.flatnonzero(self.key == key)
            pc = int(self.resume[tids[0]]) - 1
            out.append(
                (
                    self.kind,
                    pc,
                    tids,
                    f"{tids.size} thread(s) wait on {self.describe(int(key))} forever",
                )
            )
        return out
