"""compute-sanitizer's checks, exact: bounds, alignment, shared races, uninitialized shared
reads and reads of pending ``cp.async`` destinations.

Shared memory is tracked per cell: the last writer and reader (thread, CTA barrier epoch,
warp-sync epoch, pc). Two accesses race when different threads of a CTA touch a byte in the
same barrier epoch and one writes, unless both threads are in one warp and a warp-level sync
(``bar.warp.sync`` or a ``.sync`` collective) separates them.

A cell is the largest power of two, at most 16 bytes, that every access so far has covered
whole: each byte of a cell then has the same history, so tracking cells is exactly tracking
bytes, at a quarter to a sixteenth of the work for the vector accesses kernels make. An
access that covers part of a cell first splits every cell (each part inherits the record).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from .machine import Machine

MASK = np.int64(0xFFFFFFFF)
MANY = np.int64(0xFFFFFFFF)
"""Reader id of a cell read by several threads in one epoch."""
CELL = 16
"""The widest cell: the widest single access (``.v4.b32``, ``ldmatrix`` rows, ``cp.async``)."""


class Sanitizer:
    """Per-launch checker; ``active`` False keeps only the safety checks (bounds)."""

    def __init__(self, m: Machine, active: bool) -> None:
        self.m = m
        self.active = active
        self.cta_ep = np.ones(m.layout.n_cta, np.int32)
        self.warp_ep = np.ones(m.layout.size // 32, np.int32)
        self.reset()

    def reset(self) -> None:
        """Forget everything (a new wave), back to the widest cells: a kernel whose
        epilogue stores words does not slow the next wave's main loop."""
        self.cell, self.shift = CELL, CELL.bit_length() - 1
        n = self.m.shared.u8.size // CELL if self.active else 0  # strides are 16-multiples
        # last writer / reader of each cell as one key: epoch << 32 | thread (-1: never);
        # a key >= the current epoch's base is from this epoch, so a race test is 2 compares
        self.w_key = np.full(n, -1, np.int64)
        self.w_wep = np.zeros(n, np.int32)
        self.w_pc = np.zeros(n, np.int32)
        self.r_key = np.full(n, -1, np.int64)
        self.r_wep = np.zeros(n, np.int32)
        self.r_pc = np.zeros(n, np.int32)
        self.pending = np.zeros(n, np.int16)
        self.n_pending = 0
        """Bytes of pending async-copy writes in flight (skips the check when none)."""
        self.cta_ep.fill(1)
        self.warp_ep.fill(1)
        self._rekey()

    def _rekey(self) -> None:
        """Each thread's access key in its CTA's current epoch (``epoch << 32 | thread``),
        kept ready: an access gathers its lanes' keys instead of building them."""
        m = self.m
        self.thread_key = (self.cta_ep[m.threads.cta].astype(np.int64) << 32) | m.all_tids

    # ------------------------------------------------------------------ cells
    _TRACKED = ("w_key", "w_wep", "w_pc", "r_key", "r_wep", "r_pc", "pending")

    def _split(self, cell: int) -> None:
        """Track cells of ``cell`` bytes from now on: each part inherits its cell's record."""
        parts = self.cell // cell
        for name in self._TRACKED:
            setattr(self, name, np.repeat(getattr(self, name), parts))
        self.cell, self.shift = cell, cell.bit_length() - 1

    def cells(self, flat: np.ndarray, nbytes: int, whole: bool = False) -> np.ndarray:
        """The cells of ``nbytes`` at each of the byte offsets ``flat``, lane-major (``k``
        per lane, lane by lane). Splits cells first where a lane covers part of one; with
        ``whole`` (an anonymous set of bytes, no lane attribution, e.g. a TMA box) the
        distinct cells are returned unsplit when the lanes together cover whole cells once."""
        f = flat.astype(np.int64, copy=False)
        g = self.cell
        if nbytes % g or (f & (g - 1)).any():
            if whole:
                b = (f[:, None] + np.arange(nbytes)).ravel()
                u = np.unique(b)
                if u.size == b.size:
                    c, per = np.unique(u >> self.shift, return_counts=True)
                    if (per == g).all():
                        return c
            low = int(np.bitwise_or.reduce(f)) | nbytes if f.size else nbytes
            self._split(min(g, low & -low))
        k = nbytes >> self.shift
        c = f >> self.shift
        return c if k == 1 else (c[:, None] + np.arange(k)).ravel()

    # ------------------------------------------------------------------ epochs
    def barrier(self, ctas: np.ndarray) -> None:
        """A CTA barrier completed in these CTAs: earlier accesses are ordered."""
        if self.active:
            self.cta_ep[ctas] += 1
            self._rekey()

    def warp_sync(self, tids: np.ndarray) -> None:
        if self.active:
            self.warp_ep[tids >> 5] += 1  # duplicates add once: each warp steps once

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
        data: np.ndarray | None = None,
    ) -> None:
        """Check and record an access; atomics never race with each other (and are not
        checked against plain accesses either, as racecheck does), but must read written
        memory and count as writes for later plain accesses. ``data`` (a store's
        ``(lanes, nbytes)`` bytes): lanes of one instruction writing the same bytes with
        the same values do not race, whichever lands last (Triton stores replicated
        tensors from every warp that holds a copy)."""
        if tids.size == 0:
            return
        b = self.cells(flat, nbytes)
        k = b.size // tids.size
        key = self.thread_key[tids]
        if k == 1:
            t = tids
        else:
            key = np.repeat(key, k)
            t = key & MASK
        base = key & ~MASK
        if read:
            prev = self._landed(
                pc,
                t,
                b,
                "reads shared memory that a cp.async has not delivered: its group was not "
                "waited for",
                "reads shared memory that nothing wrote",
            )
            if atomic:
                self._record(self.w_key, self.w_wep, self.w_pc, b, key, t, pc)
                return
            self._race(pc, key, base, b, prev, self.w_wep, self.w_pc, True, True)
        if write:
            self._race(pc, key, base, b, self.w_key[b], self.w_wep, self.w_pc, False, True)
            self._race(pc, key, base, b, self.r_key[b], self.r_wep, self.r_pc, False, False)
            self._record(self.w_key, self.w_wep, self.w_pc, b, key, t, pc)
            clash = self.w_key[b] != key
            if clash.any() and data is not None:
                clash &= _differs_from_last(b, data.reshape(b.size, -1))
            if clash.any():
                other = self.w_key[b][clash] & MASK
                diff_warp = (other >> 5) != (t[clash] >> 5)
                if diff_warp.any():
                    self._report(
                        "shared-race",
                        pc,
                        t[clash][diff_warp],
                        b[clash][diff_warp],
                        "threads of different warps write the same shared bytes in one instruction",
                    )
        elif read:
            rp = self.r_key[b]
            new = np.where((rp >= base) & (rp != key), base | MANY, key)
            self._record(self.r_key, self.r_wep, self.r_pc, b, new, t, pc)
            again = self.r_key[b] != new
            if again.any():  # lanes of this instruction read the same bytes: many readers
                self.r_key[b[again]] = base[again] | MANY

    def _record(
        self,
        keys: np.ndarray,
        weps: np.ndarray,
        pcs: np.ndarray,
        b: np.ndarray,
        key: np.ndarray,
        t: np.ndarray,
        pc: int,
    ) -> None:
        keys[b] = key
        weps[b] = self.warp_ep[t >> 5]
        pcs[b] = pc

    def _race(
        self,
        pc: int,
        key: np.ndarray,
        base: np.ndarray,
        b: np.ndarray,
        prev: np.ndarray,
        wep_of: np.ndarray,
        pc_of: np.ndarray,
        reading: bool,
        against_write: bool,
    ) -> None:
        hit = (prev >= base) & (prev != key)
        if not hit.any():
            return
        t = key & MASK
        other_t = prev & MASK
        # same warp and a warp-level sync since the other access: ordered, no race
        hit &= ~(((other_t >> 5) == (t >> 5)) & (wep_of[b] < self.warp_ep[t >> 5]))
        if not hit.any():
            return
        i = int(np.flatnonzero(hit)[0])
        other_line = self.m.line_of(int(pc_of[b[i]]))
        mine = "read" if reading else "write"
        theirs = "write" if against_write else "read"
        other = int(other_t[i])
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
        off = (int(b[0]) << self.shift) % m.shared_stride
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
        """``nbytes`` at each of ``flat`` become pending (``delta`` +1: an async copy
        issued) or land (-1): reading them while pending is a finding."""
        if self.active:
            f = np.sort(flat.astype(np.int64, copy=False))
            c = self.cells(f, nbytes, whole=True)
            if f.size < 2 or (np.diff(f) >= nbytes).all():
                self.pending[c] += delta  # lanes' bytes are disjoint: plain indexing
            else:
                np.add.at(self.pending, c, delta)
            self.n_pending += delta * c.size * self.cell

    def async_written(self, flat: np.ndarray, nbytes: int, readers: bool = False) -> None:
        """The async proxy wrote ``nbytes`` at each of ``flat`` (TMA, ``st.async``): written,
        long ago as far as races go; earlier readers are forgotten unless ``readers``."""
        if self.active:
            c = self.cells(flat, nbytes, whole=True)
            self.w_key[c] = 0
            if not readers:
                self.r_key[c] = -1

    def operand_reads(
        self, pc: int, tids: np.ndarray, flat: np.ndarray, nbytes: int, who: str
    ) -> None:
        """An async-proxy read of ``nbytes`` at each of ``flat`` (a wgmma operand): its
        bytes must have landed and been written. Reads are not recorded, so cells need not
        split: the first and last byte's cells cover each element."""
        if not self.active:
            return
        f = flat.astype(np.int64, copy=False).ravel()
        c = np.unique(np.concatenate([f >> self.shift, (f + nbytes - 1) >> self.shift]))
        t = np.broadcast_to(tids[:1], c.shape)
        self._landed(
            pc,
            t,
            c,
            f"{who} reads shared memory whose async copy has not completed (its mbarrier "
            "phase was not waited for)",
            f"{who} reads shared memory that nothing wrote",
        )

    def _landed(
        self, pc: int, t: np.ndarray, c: np.ndarray, pending: str, unwritten: str
    ) -> np.ndarray:
        """Report reads by threads ``t`` of cells ``c`` that an async copy has not delivered
        or that nothing wrote; the cells' last-writer keys, for the race check."""
        if self.n_pending:
            hit = self.pending[c] > 0
            if hit.any():
                self._report("async-copy-read-before-wait", pc, t[hit], c[hit], pending)
        prev = self.w_key[c]
        unw = prev < 0
        if unw.any():
            self._report("uninitialized-shared-read", pc, t[unw], c[unw], unwritten)
        return prev


def _differs_from_last(b: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Per written cell ``b`` (its bytes a row of ``v``), whether its value differs from the
    value the last lane writing that cell stored (what memory keeps: later lanes win, as in
    ``_record`` and ``Region.write``)."""
    where, inv = np.unique(b, return_inverse=True)
    last = np.empty((where.size, v.shape[1]), v.dtype)
    last[inv] = v
    return np.asarray((last[inv] != v).any(axis=1))
