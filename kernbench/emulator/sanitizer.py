"""compute-sanitizer's checks, exact: bounds, alignment, shared races, uninitialized shared
reads and reads of pending ``cp.async`` destinations.

Shared memory is tracked per byte: the last writer and reader (thread, CTA barrier epoch,
warp-sync epoch, pc). Two accesses race when different threads of a CTA touch a byte in the
same barrier epoch and one writes, unless both threads are in one warp and a warp-level sync
(``bar.warp.sync`` or a ``.sync`` collective) separates them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from .machine import Machine

MANY = -2
"""Reader id of a byte read by several threads in one epoch."""


class Sanitizer:
    """Per-launch checker; ``active`` False keeps only the safety checks (bounds)."""

    def __init__(self, m: Machine, active: bool) -> None:
        self.m = m
        self.active = active
        n = m.shared.u8.size if active else 0
        self.w_tid = np.full(n, -1, np.int32)
        self.w_ep = np.zeros(n, np.int32)
        self.w_wep = np.zeros(n, np.int32)
        self.w_pc = np.zeros(n, np.int32)
        self.r_tid = np.full(n, -1, np.int32)
        self.r_ep = np.zeros(n, np.int32)
        self.r_wep = np.zeros(n, np.int32)
        self.r_pc = np.zeros(n, np.int32)
        self.written = np.zeros(n, bool)
        self.pending = np.zeros(n, np.int16)
        self.cta_ep = np.ones(m.layout.n_cta, np.int32)
        self.warp_ep = np.ones(m.layout.size // 32, np.int32)

    # ------------------------------------------------------------------ epochs
    def barrier(self, ctas: np.ndarray) -> None:
        """A CTA barrier completed in these CTAs: earlier accesses are ordered."""
        if self.active:
            self.cta_ep[ctas] += 1

    def warp_sync(self, tids: np.ndarray) -> None:
        if self.active:
            self.warp_ep[np.unique(tids >> 5)] += 1

    # ------------------------------------------------------------------ bounds
    def out_of_bounds(
        self, pc: int, space: str, tids: np.ndarray, addr: np.ndarray, nbytes: int
    ) -> None:
        a = int(addr[0])
        detail: dict[str, object] = {"bytes": nbytes, "space": space}
        if space == "global":
            near = self.m.host.nearest(a)
            if near is None:
                msg = f"{nbytes}-byte access at 0x{a:x} is outside every allocation"
            else:
                alloc, d = near
                end = alloc.base + alloc.size
                if alloc.base <= a < end:
                    d = a + nbytes - end
                    where = f"runs {d} byte(s) past the end of"
                elif a >= end:
                    where = f"starts {d} byte(s) past the end of"
                else:
                    where = f"starts {-d} byte(s) before the start of"
                msg = (
                    f"{nbytes}-byte access at 0x{a:x} {where} {alloc.name} "
                    f"(0x{alloc.base:x}, {alloc.size} bytes)"
                )
                detail.update(buffer=alloc.name, distance=d, buffer_size=alloc.size)
            kind = "global-out-of-bounds"
        else:
            size = self.m.shared_size if space == "shared" else self.m.program.local_size
            msg = f"{nbytes}-byte {space} access at offset {a} is outside the {size} bytes"
            kind = f"{space}-out-of-bounds"
            detail["size"] = size
        self.m.report(kind, pc, tids, msg, a, detail)

    def misaligned(self, pc: int, tids: np.ndarray, addr: np.ndarray, align: int) -> None:
        a = int(addr[0])
        self.m.report(
            "misaligned",
            pc,
            tids,
            f"address 0x{a:x} is not aligned to the access size {align}",
            a,
            {"alignment": align},
        )

    # ------------------------------------------------------------------ shared
    def shared_access(
        self, pc: int, tids: np.ndarray, flat: np.ndarray, nbytes: int, write: bool, read: bool
    ) -> None:
        if tids.size == 0:
            return
        b = (flat.astype(np.int64)[:, None] + np.arange(nbytes)).ravel()
        t = np.repeat(tids.astype(np.int32), nbytes)
        m = self.m
        ep = self.cta_ep[m.threads.cta[t]]
        wep = self.warp_ep[t >> 5]
        if read:
            if self.pending.any():
                hit = self.pending[b] > 0
                if hit.any():
                    self._report(
                        "async-copy-read-before-wait",
                        pc,
                        t[hit],
                        b[hit],
                        "reads shared memory that a cp.async has not delivered: "
                        "its group was not waited for",
                    )
            unw = ~self.written[b]
            if unw.any():
                self._report(
                    "uninitialized-shared-read",
                    pc,
                    t[unw],
                    b[unw],
                    "reads shared memory that nothing wrote",
                )
            self._race(pc, t, b, ep, wep, self.w_tid, self.w_ep, self.w_wep, self.w_pc, True)
        if write:
            self._race(pc, t, b, ep, wep, self.w_tid, self.w_ep, self.w_wep, self.w_pc, False)
            self._race(pc, t, b, ep, wep, self.r_tid, self.r_ep, self.r_wep, self.r_pc, False)
            self.w_tid[b], self.w_ep[b], self.w_wep[b], self.w_pc[b] = t, ep, wep, pc
            clash = self.w_tid[b] != t
            if clash.any():
                other = self.w_tid[b][clash]
                diff_warp = (other >> 5) != (t[clash] >> 5)
                if diff_warp.any():
                    self._report(
                        "shared-race",
                        pc,
                        t[clash][diff_warp],
                        b[clash][diff_warp],
                        "threads of different warps write the same shared bytes in one instruction",
                    )
            self.written[b] = True
        elif read:
            many = (self.r_ep[b] == ep) & (self.r_tid[b] != t)
            self.r_tid[b] = np.where(many, MANY, t)
            self.r_ep[b], self.r_wep[b], self.r_pc[b] = ep, wep, pc

    def _race(
        self,
        pc: int,
        t: np.ndarray,
        b: np.ndarray,
        ep: np.ndarray,
        wep: np.ndarray,
        who: np.ndarray,
        when: np.ndarray,
        wwhen: np.ndarray,
        where: np.ndarray,
        reading: bool,
    ) -> None:
        prev = who[b]
        hit = (when[b] == ep) & (prev != t) & (prev != -1)
        if not hit.any():
            return
        same_warp = (prev >> 5) == (t >> 5)
        hit &= ~(same_warp & (wwhen[b] < wep))
        if not hit.any():
            return
        i = int(np.flatnonzero(hit)[0])
        other_pc = int(where[b[i]])
        other_line = self.m.line_of(other_pc)
        mine = "read" if reading else "write"
        theirs = "write" if who is self.w_tid else "read"
        other = int(prev[i])
        who_txt = (
            "several threads" if other == MANY else f"thread {self.m.threads.thread_of(other)}"
        )
        self._report(
            "shared-race",
            pc,
            t[hit],
            b[hit],
            f"{mine} races with a {theirs} by {who_txt} at PTX line {other_line} "
            "with no barrier between them",
            {"other_line": other_line, "other_thread": other},
        )

    def _report(
        self,
        kind: str,
        pc: int,
        t: np.ndarray,
        b: np.ndarray,
        msg: str,
        detail: dict[str, object] | None = None,
    ) -> None:
        m = self.m
        off = int(b[0]) % m.shared_stride
        m.report(
            kind,
            pc,
            t,
            f"{msg} (shared offset {off})",
            off,
            {"shared_offset": off, **(detail or {})},
        )

    # ------------------------------------------------------------------ async copies
    def async_pending(self, flat: np.ndarray, nbytes: int, delta: int) -> None:
        if self.active:
            b = (flat.astype(np.int64)[:, None] + np.arange(nbytes)).ravel()
            np.add.at(self.pending, b, delta)
            if delta < 0:
                self.written[b] = True
