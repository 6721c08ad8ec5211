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

MASK = np.int64(0xFFFFFFFF)
MANY = np.int64(0xFFFFFFFF)
"""Reader id of a byte read by several threads in one epoch."""


class Sanitizer:
    """Per-launch checker; ``active`` False keeps only the safety checks (bounds)."""

    def __init__(self, m: Machine, active: bool) -> None:
        self.m = m
        self.active = active
        n = m.shared.u8.size if active else 0
        # last writer / reader of each byte as one key: epoch << 32 | thread (-1: never);
        # a key >= the current epoch's base is from this epoch, so a race test is 2 compares
        self.w_key = np.full(n, -1, np.int64)
        self.w_wep = np.zeros(n, np.int32)
        self.w_pc = np.zeros(n, np.int32)
        self.r_key = np.full(n, -1, np.int64)
        self.r_wep = np.zeros(n, np.int32)
        self.r_pc = np.zeros(n, np.int32)
        self.pending = np.zeros(n, np.int16)
        self.n_pending = 0
        """Pending async-copy byte writes in flight (skips the check when none)."""
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
        self,
        pc: int,
        tids: np.ndarray,
        flat: np.ndarray,
        nbytes: int,
        write: bool,
        read: bool,
        atomic: bool = False,
    ) -> None:
        """Check and record an access; atomics never race with each other (and are not
        checked against plain accesses either, as racecheck does), but must read written
        memory and count as writes for later plain accesses.

        The shadow arrays are viewed as rows of ``g`` bytes: an access aligned to its size
        (nearly all) touches whole rows, so each lane is one row index, not ``nbytes``."""
        if tids.size == 0:
            return
        m = self.m
        flat = flat.astype(np.int64, copy=False)
        lane_base = self.cta_ep[m.threads.cta[tids]].astype(np.int64) << 32
        lane_key = lane_base | tids
        if nbytes in (1, 2, 4, 8, 16) and not (flat & (nbytes - 1)).any():
            g, rows = nbytes, flat // nbytes
            base, key = lane_base[:, None], lane_key[:, None]
        else:
            g, rows = 1, (flat[:, None] + np.arange(nbytes)).ravel()
            base = np.repeat(lane_base, nbytes)[:, None]
            key = np.repeat(lane_key, nbytes)[:, None]
        w_key, r_key = self.w_key.reshape(-1, g), self.r_key.reshape(-1, g)
        w_wep, w_pc = self.w_wep.reshape(-1, g), self.w_pc.reshape(-1, g)
        r_wep, r_pc = self.r_wep.reshape(-1, g), self.r_pc.reshape(-1, g)
        t = key & MASK
        wep = self.warp_ep[t >> 5]
        where = (rows, g)
        if read:
            if self.n_pending:
                hit = self.pending.reshape(-1, g)[rows] > 0
                if hit.any():
                    self._hits(
                        "async-copy-read-before-wait",
                        pc,
                        t,
                        where,
                        hit,
                        "reads shared memory that a cp.async has not delivered: "
                        "its group was not waited for",
                    )
            prev = w_key[rows]
            unw = prev < 0
            if unw.any():
                self._hits(
                    "uninitialized-shared-read",
                    pc,
                    t,
                    where,
                    unw,
                    "reads shared memory that nothing wrote",
                )
            if atomic:
                w_key[rows], w_wep[rows], w_pc[rows] = key, wep, pc
                return
            self._race(pc, key, base, wep, where, prev, w_wep, w_pc, True, True)
        if write:
            self._race(pc, key, base, wep, where, w_key[rows], w_wep, w_pc, False, True)
            self._race(pc, key, base, wep, where, r_key[rows], r_wep, r_pc, False, False)
            w_key[rows], w_wep[rows], w_pc[rows] = key, wep, pc
            now = w_key[rows]
            clash = now != key
            if clash.any():
                other = np.broadcast_to(now & MASK, clash.shape)
                diff = clash & ((other >> 5) != (t >> 5))
                if diff.any():
                    self._hits(
                        "shared-race",
                        pc,
                        t,
                        where,
                        diff,
                        "threads of different warps write the same shared bytes in one instruction",
                    )
        elif read:
            rp = r_key[rows]
            r_key[rows] = np.where((rp >= base) & (rp != key), base | MANY, key)
            r_wep[rows], r_pc[rows] = wep, pc
            shared_read = r_key[rows] != np.where((rp >= base) & (rp != key), base | MANY, key)
            if shared_read.any():  # lanes of this instruction read the same bytes: many readers
                r_key[rows[shared_read.any(axis=1)]] = (base | MANY)[shared_read.any(axis=1)]

    def _race(
        self,
        pc: int,
        key: np.ndarray,
        base: np.ndarray,
        wep: np.ndarray,
        where: tuple[np.ndarray, int],
        prev: np.ndarray,
        wep_of: np.ndarray,
        pc_of: np.ndarray,
        reading: bool,
        against_write: bool,
    ) -> None:
        hit = (prev >= base) & (prev != key)
        if not hit.any():
            return
        rows, _ = where
        t = key & MASK
        other_t = prev & MASK
        # same warp and a warp-level sync since the other access: ordered, no race
        hit &= ~(((other_t >> 5) == (t >> 5)) & (wep_of[rows] < wep))
        if not hit.any():
            return
        r, c = (int(x[0]) for x in np.nonzero(hit))
        other_line = self.m.line_of(int(pc_of[rows[r], c]))
        mine = "read" if reading else "write"
        theirs = "write" if against_write else "read"
        other = int(other_t[r, c])
        who_txt = (
            "several threads" if other == MANY else f"thread {self.m.threads.thread_of(other)}"
        )
        self._hits(
            "shared-race",
            pc,
            t,
            where,
            hit,
            f"{mine} races with a {theirs} by {who_txt} at PTX line {other_line} "
            "with no barrier between them",
            {"other_line": other_line, "other_thread": other},
        )

    def _hits(
        self,
        kind: str,
        pc: int,
        t: np.ndarray,
        where: tuple[np.ndarray, int],
        hit: np.ndarray,
        msg: str,
        detail: dict[str, object] | None = None,
    ) -> None:
        """Report the threads (one per lane row) and byte offsets where ``hit`` holds."""
        rows, g = where
        r, c = np.nonzero(hit)
        tt = np.broadcast_to(t, hit.shape)[r, c]
        self._report(kind, pc, tt, rows[r] * g + c, msg, detail)

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
            start = np.sort(flat.astype(np.int64))
            b = (start[:, None] + np.arange(nbytes)).ravel()
            if start.size < 2 or (np.diff(start) >= nbytes).all():
                self.pending[b] += delta  # lanes' bytes are disjoint: plain indexing
            else:
                np.add.at(self.pending, b, delta)
            self.n_pending += delta * b.size
