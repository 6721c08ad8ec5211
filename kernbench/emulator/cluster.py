"""Where the CTAs of a wave sit in their clusters (sm_90): rank, cluster index, peers.

A ``shared::cluster`` address carries its target CTA's cluster rank + 1 in bits 24 and up
(below 2^24 it is the executing CTA's own shared memory); :func:`remote_owner` turns those
bits into the wave index of the CTA whose shared memory is meant.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from .machine import Machine
    from .state import Layout

RANK_SHIFT = 24
OFFSET_MASK = (1 << RANK_SHIFT) - 1


class ClusterMap:
    """Per-CTA cluster rank and index, and each cluster's members by rank."""

    def __init__(self, layout: Layout) -> None:
        cx, cy, cz = layout.cluster
        gx, gy, _ = layout.grid
        g = np.arange(layout.n_cta, dtype=np.int64) + layout.first_cta
        x, y, z = g % gx, g // gx % gy, g // (gx * gy)
        self.size = cx * cy * cz
        self.rank = (x % cx) + (y % cy) * cx + (z % cz) * cx * cy
        self.ctaid = (x % cx, y % cy, z % cz)
        self.id_xyz = (x // cx, y // cy, z // cz)
        cid = x // cx + (y // cy) * (gx // cx) + (z // cz) * (gx // cx) * (gy // cy)
        self.cluster_id = cid
        _, self.index = np.unique(cid, return_inverse=True)
        self.members = np.full((int(self.index.max()) + 1, self.size), -1, np.int64)
        self.members[self.index, self.rank] = np.arange(layout.n_cta)

    @staticmethod
    def of(m: Machine) -> ClusterMap:
        return m.extension("cluster", lambda: ClusterMap(m.layout))

    def peer(self, cta: np.ndarray, rank: np.ndarray) -> np.ndarray:
        """Wave index of the CTA of rank ``rank`` in ``cta``'s cluster (-1: no such rank)."""
        rank = np.asarray(rank, np.int64)
        ok = (rank >= 0) & (rank < self.size)
        out = np.full(np.broadcast(cta, rank).shape, -1, np.int64)
        c = np.broadcast_to(cta, out.shape)
        r = np.broadcast_to(rank, out.shape)
        out[ok] = self.members[self.index[c[ok]], r[ok]]
        return out


def remote_owner(m: Machine, owner: np.ndarray, addr: np.ndarray) -> np.ndarray:
    """The CTA each shared address refers to: its own for offsets below 2^24, else the
    cluster peer of rank ``(addr >> 24) - 1`` (-1 where that rank does not exist)."""
    hi = (addr >> np.uint64(RANK_SHIFT)).astype(np.int64)
    if not hi.any():
        return owner
    peers = ClusterMap.of(m).peer(owner, hi - 1)
    return np.where(hi == 0, owner, peers)


def shared_flat(
    m: Machine, pc: int, tids: np.ndarray, space: str, addr: np.ndarray, nbytes: int, align: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Byte index into the wave's shared memory of each lane's ``shared``/``shared::cluster``
    (or generic shared-window) address, and which lanes are valid. Bad lanes get a finding
    (out of bounds, misaligned, not shared); no race tracking, as for async-proxy accesses
    and mbarrier objects."""
    from .memory import SHARED_WINDOW, window

    addr = np.asarray(addr, np.uint64)
    ok = np.ones(addr.shape, bool)
    if space == "generic":
        win = window(addr)
        notsh = win != 1
        if notsh.any():
            m.report(
                "shared-out-of-bounds",
                pc,
                tids[notsh],
                f"generic address 0x{int(addr[notsh][0]):x} is not in shared memory",
                int(addr[notsh][0]),
            )
            ok &= ~notsh
        addr = addr - np.uint64(SHARED_WINDOW) * (win == 1)
    owner = remote_owner(m, m.threads.cta[tids], addr)
    off = addr & np.uint64(OFFSET_MASK)
    align = align or nbytes
    mis = (off % np.uint64(max(align, 1))) != 0
    if mis.any() and align > 1:
        m.sanitizer.misaligned(pc, tids[mis], off[mis], align)
        ok &= ~mis
    bad = ok & ((owner < 0) | (off + np.uint64(nbytes) > np.uint64(m.shared_size)))
    if bad.any():
        m.sanitizer.out_of_bounds(pc, "shared", tids[bad], off[bad], nbytes)
        ok &= ~bad
    flat = np.maximum(owner, 0).astype(np.int64) * m.shared_stride + off.astype(np.int64)
    return flat, ok


def cluster_dims(
    directives: dict[str, tuple[int, ...]],
    cluster: tuple[int, int, int] | None,
    grid: tuple[int, int, int],
    arch: str,
) -> tuple[tuple[int, int, int], bool]:
    """A launch's cluster shape and whether it is explicit: the launch's ``cluster=``, else
    the kernel's ``.reqnctapercluster`` (``__cluster_dims__``); checked against the grid."""
    declared = directives.get("reqnctapercluster")
    want = cluster
    if declared:
        dd = (*declared, 1, 1)[:3]
        if want is not None and want != dd:
            raise ValueError(f"cluster {want} differs from the kernel's .reqnctapercluster {dd}")
        want = dd  # type: ignore[assignment]
    explicit = want is not None or "explicitcluster" in directives
    c = want or (1, 1, 1)
    if c != (1, 1, 1) and not arch.startswith("sm_9"):
        raise ValueError(f"clusters need sm_90 or later, not {arch}")
    if c[0] * c[1] * c[2] > 16:
        raise ValueError(f"cluster {c} has more than 16 blocks")
    if any(gi % ci for gi, ci in zip(grid, c, strict=True)):
        raise ValueError(f"grid {grid} is not a multiple of the cluster {c}")
    return c, explicit


def whole_clusters(per_wave: int, c: tuple[int, int, int], grid: tuple[int, int, int]) -> int:
    """Round a wave down to whole clusters (CTAs are numbered x fastest: a cluster taller
    than one row spans whole grid rows)."""
    if c == (1, 1, 1):
        return per_wave
    if c[1] == c[2] == 1:
        unit = c[0]
    elif c[2] == 1:
        unit = grid[0] * c[1]
    else:
        unit = grid[0] * grid[1] * c[2]
    return max(unit, per_wave // unit * unit)
