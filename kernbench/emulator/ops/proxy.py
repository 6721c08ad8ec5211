"""The async proxy (sm_90): ``fence.proxy.async`` between generic shared-memory writes and the
units that read shared memory through the async proxy (wgmma operands, TMA and bulk stores).

A generic write leaves its 16-byte chunk *unfenced* until the writing thread executes
``fence.proxy.async`` (or, after a CTA barrier that orders the write before it, any thread of
the block does). An async-proxy read of an unfenced chunk is a ``missing-proxy-fence``
finding: the hardware may read what was there before the write. Every other ``fence`` form
is a no-op here, as in :mod:`.memory` (the emulator is sequentially consistent).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..machine import Machine, Op
from ..ptx import ir
from .table import Registry

FAMILY = Registry()


class Unfenced:
    """Per wave: the last generic writer of each 16-byte shared chunk not yet fenced."""

    def __init__(self, m: Machine) -> None:
        self.m = m
        n = m.shared.u8.size // 16 + 1
        self.writer = np.full(n, -1, np.int64)
        self.epoch = np.zeros(n, np.int64)

    @staticmethod
    def of(m: Machine) -> Unfenced:
        return m.extension("unfenced", lambda: Unfenced(m))

    def fence(self, tids: np.ndarray) -> None:
        m = self.m
        dirty = np.flatnonzero(self.writer >= 0)
        if dirty.size == 0:
            return
        w = self.writer[dirty]
        mine = np.isin(w, tids)
        ctas = np.unique(m.threads.cta[tids])
        wcta = m.threads.cta[w]
        ordered = np.isin(wcta, ctas) & (self.epoch[dirty] < m.sanitizer.cta_ep[wcta])
        self.writer[dirty[mine | ordered]] = -1


def mark_generic_write(
    m: Machine, pc: int, tids: np.ndarray, flat: np.ndarray, nbytes: int
) -> None:
    """A ``shared-write`` hook: generic stores leave their chunks unfenced."""
    u = Unfenced.of(m)
    t = tids if tids.size == flat.size else np.broadcast_to(tids[:1], flat.shape)
    f = flat.astype(np.int64)
    for last in (f >> 4, (f + nbytes - 1) >> 4):
        u.writer[last] = t
        u.epoch[last] = m.sanitizer.cta_ep[m.threads.cta[t]]


def check_async_read(m: Machine, pc: int, tids: np.ndarray, flat: np.ndarray, what: str) -> None:
    """An async-proxy read of unfenced chunks is a finding (``what`` names the reader)."""
    u = m.extensions.get("unfenced")
    if u is None:
        return
    c = np.unique(flat.astype(np.int64).ravel() >> 4)
    hit = c[u.writer[c] >= 0]
    if hit.size:
        off = int(hit[0] * 16) % m.shared_stride
        writer = int(u.writer[hit[0]])
        m.report(
            "missing-proxy-fence",
            pc,
            tids,
            f"{what} reads shared offset {off} through the async proxy, but thread "
            f"{m.threads.thread_of(writer)} wrote it with a generic store and no "
            "fence.proxy.async ordered that write before this read",
            off,
            {"shared_offset": off, "writer": m.threads.thread_of(writer)},
        )
        u.writer[hit] = -1  # reported once


def watch(m: Machine) -> None:
    """Link-time: a program with async-proxy readers tracks its generic shared writes."""
    checks = m.hooks.setdefault("shared-write", [])
    if mark_generic_write not in checks:
        checks.append(mark_generic_write)


@FAMILY.machine("fence", dests=0)
def fence(ins: ir.Instruction) -> Op:
    if ins.mods[:2] == ("proxy", "async"):
        return Op(lambda L: lambda s: _fence(L.m, L.m.tids(s)))
    return Op(lambda L: lambda s: None)


def _fence(m: Machine, tids: np.ndarray) -> Any:
    u = m.extensions.get("unfenced")
    if u is not None:
        u.fence(tids)


OPCODES = FAMILY.table
