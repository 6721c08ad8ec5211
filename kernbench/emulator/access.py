"""Checked memory access: turn lane addresses in a state space into region offsets.

Each access resolves its lanes to ``(region, lanes, offsets)`` pieces after the sanitizer
has vetted them; a lane that is out of bounds or misaligned gets a finding and no piece, so
its load reads zero and its store is dropped. Host memory is never touched outside an
allocation.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from .memory import UINT, WINDOWS, Region, window

if TYPE_CHECKING:
    from .machine import Machine

SHARED_OFFSET_MASK = np.uint64((1 << 24) - 1)


@dataclass
class Piece:
    """Lanes (positions within the access, None for all) of one region and their offsets."""

    region: Region
    lanes: np.ndarray | None
    off: np.ndarray
    space: str


def _sub(lanes: np.ndarray | None, keep: np.ndarray) -> np.ndarray:
    pos = np.flatnonzero(keep)
    return pos if lanes is None else lanes[pos]


def resolve(
    m: Machine,
    pc: int,
    tids: np.ndarray,
    space: str,
    addr: np.ndarray,
    nbytes: int,
    write: bool,
    read: bool = True,
    atomic: bool = False,
    align: int = 0,
    data: np.ndarray | None = None,
    observe: bool = True,
) -> list[Piece]:
    """Pieces for an access of ``nbytes`` per lane at ``addr`` by threads ``tids``
    (aligned to ``align`` bytes, by default the access size). ``data``, a store's
    ``(lanes, nbytes)`` bytes, lets the sanitizer tell replicated stores from races. The
    machine's observer (the counters), when set, sees every access unless ``observe`` is
    false."""
    if observe and m.observer is not None:
        m.observer.access(pc, tids, space, addr, nbytes, write, m.host)
    out: list[Piece] = []
    align = align or min(nbytes, 16)
    if space == "generic":
        win = window(addr)
        if not win.any():
            _host(m, pc, tids, addr, None, nbytes, align, out)
            return out
        for w, sp, base in WINDOWS:
            keep = win == w
            if keep.any():
                lanes = np.flatnonzero(keep)
                a = addr[lanes] - np.uint64(base)
                if sp == "host":
                    _host(m, pc, tids[lanes], a, lanes, nbytes, align, out)
                else:
                    flags = (write, read, atomic)
                    _onchip(m, pc, tids[lanes], sp, a, lanes, nbytes, align, *flags, out, data)
        bad = win > 2
        if bad.any():
            m.sanitizer.out_of_bounds(pc, "global", tids[bad], addr[bad], nbytes)
        return out
    if space == "host":
        _host(m, pc, tids, addr, None, nbytes, align, out)
    else:
        _onchip(m, pc, tids, space, addr, None, nbytes, align, write, read, atomic, out, data)
    return out


def _aligned(
    m: Machine, pc: int, tids: np.ndarray, addr: np.ndarray, align: int
) -> np.ndarray | None:
    if align <= 1:
        return None
    bad = (addr & np.uint64(align - 1)) != 0
    if bad.any():
        m.sanitizer.misaligned(pc, tids[bad], addr[bad], align)
        return ~bad
    return None


def _host(
    m: Machine,
    pc: int,
    tids: np.ndarray,
    addr: np.ndarray,
    lanes: np.ndarray | None,
    nbytes: int,
    align: int,
    out: list[Piece],
) -> None:
    keep = _aligned(m, pc, tids, addr, align)
    k, ok = m.host.locate(addr, nbytes)
    if keep is not None:
        ok &= keep
    if not ok.all():
        bad = ~ok if keep is None else (~ok & keep)
        if bad.any():
            m.sanitizer.out_of_bounds(pc, "global", tids[bad], addr[bad], nbytes)
    k0 = int(k[0]) if k.size else -1
    if ok.all() and (k == k0).all():
        a = m.host.allocs[k0]
        out.append(Piece(a.region, lanes, addr - np.uint64(a.base), "host"))
        return
    for kk in np.unique(k[ok]):
        sel = ok & (k == kk)
        a = m.host.allocs[int(kk)]
        out.append(Piece(a.region, _sub(lanes, sel), addr[sel] - np.uint64(a.base), "host"))


def _onchip(
    m: Machine,
    pc: int,
    tids: np.ndarray,
    space: str,
    addr: np.ndarray,
    lanes: np.ndarray | None,
    nbytes: int,
    align: int,
    write: bool,
    read: bool,
    atomic: bool,
    out: list[Piece],
    data: np.ndarray | None = None,
) -> None:
    remote_ok = None
    if space == "shared":
        size, stride, owner, region = m.shared_size, m.shared_stride, m.threads.cta[tids], m.shared
        if (addr >> np.uint64(24)).any():  # shared::cluster: another CTA of the cluster
            from .cluster import remote_owner

            owner = remote_owner(m, owner, addr)
            remote_ok = owner >= 0
            owner = np.maximum(owner, 0)
        addr = addr & SHARED_OFFSET_MASK
    else:
        size, stride, owner, region = m.program.local_size, m.local_stride, tids, m.local
    keep = _aligned(m, pc, tids, addr, align)
    ok = addr + np.uint64(nbytes) <= np.uint64(size)
    if remote_ok is not None:
        ok &= remote_ok
    if keep is not None:
        ok &= keep
    if not ok.all():
        bad = ~ok if keep is None else (~ok & keep)
        if bad.any():
            m.sanitizer.out_of_bounds(pc, space, tids[bad], addr[bad], nbytes)
        lanes = _sub(lanes, ok)
        tids, addr, owner = tids[ok], addr[ok], owner[ok]
    flat = owner.astype(np.uint64) * np.uint64(stride) + addr
    if write and space == "shared":  # async operations reading these bytes (sm_90)
        for check in m.hooks.get("shared-write", ()):
            check(m, pc, tids, flat, nbytes)
    if space == "shared" and m.sanitizer.active:
        rows = None if data is None else data if lanes is None else data[lanes]
        m.sanitizer.shared_access(pc, tids, flat, nbytes, write, read, atomic, rows)
    out.append(Piece(region, lanes, flat, space))


def load(
    m: Machine,
    pc: int,
    tids: np.ndarray,
    space: str,
    addr: np.ndarray,
    w: int,
    n: int,
    align: int = 0,
    observe: bool = True,
) -> np.ndarray:
    """``(lanes, n)`` raw values (``w`` bytes each; 16 -> two uint64) with bad lanes zero."""
    cols = n * 2 if w == 16 else n
    dt = UINT[8 if w == 16 else w]
    pieces = resolve(m, pc, tids, space, addr, w * n, write=False, align=align, observe=observe)
    if len(pieces) == 1 and pieces[0].lanes is None:
        p = pieces[0]
        return p.region.read(p.off, w, n).reshape(len(addr), cols)
    vals = np.zeros((len(addr), cols), dt)
    for p in pieces:
        vals[p.lanes] = p.region.read(p.off, w, n).reshape(-1, cols)
    return vals


def store(
    m: Machine, pc: int, tids: np.ndarray, space: str, addr: np.ndarray, w: int, vals: np.ndarray
) -> None:
    """Store ``(lanes, n)`` raw values; bad lanes are dropped."""
    n = vals.shape[1] // (2 if w == 16 else 1)
    data = None
    if space != "host" and m.sanitizer.active:  # what each lane writes, byte by byte
        raw = np.ascontiguousarray(vals, UINT[8 if w == 16 else w])
        data = raw.view(np.uint8).reshape(len(tids), w * n)
    for p in resolve(m, pc, tids, space, addr, w * n, write=True, read=False, data=data):
        v = vals if p.lanes is None else vals[p.lanes]
        p.region.write(p.off, w, v)
