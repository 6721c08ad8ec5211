"""Memory spaces as byte regions: host allocations (``.global``, ``.const``, kernel
``.param``), per-CTA ``.shared`` and per-thread ``.local``, plus the generic windows.

A :class:`Region` reads and writes raw bits at byte offsets that the caller has already
validated; bounds, alignment and race checks live in :mod:`.sanitizer`, never here.
"""

from __future__ import annotations

import ctypes
from dataclasses import dataclass
from typing import Any

import numpy as np

SHARED_WINDOW = 1 << 60
"""Generic address of byte 0 of the executing CTA's shared memory."""
LOCAL_WINDOW = 2 << 60
"""Generic address of byte 0 of the executing thread's local memory."""
WINDOW_SIZE = 1 << 60
WINDOWS = ((0, "host", 0), (1, "shared", SHARED_WINDOW), (2, "local", LOCAL_WINDOW))
"""Each generic-address window (:func:`window`), the state space it maps and its base."""


def window(addr: np.ndarray) -> np.ndarray:
    """The window of each generic address: 0 global (host), 1 shared, 2 local, more: none."""
    return np.asarray(addr, np.uint64) >> np.uint64(60)


UINT = {1: np.uint8, 2: np.uint16, 4: np.uint32, 8: np.uint64}


class Region:
    """A contiguous byte buffer with typed views for aligned gathers."""

    def __init__(self, data: np.ndarray) -> None:
        self.u8 = data
        self._views: dict[int, np.ndarray] = {1: data}

    def view(self, w: int) -> np.ndarray:
        v = self._views.get(w)
        if v is None:
            n = self.u8.size - self.u8.size % w
            v = self._views[w] = self.u8[:n].view(UINT[w])
        return v

    def read(self, off: np.ndarray, w: int, n: int = 1) -> np.ndarray:
        """``(len(off), n)`` raw values of width ``w`` bytes at byte offsets ``off``."""
        off = off.astype(np.int64, copy=False)
        if w == 16:
            w, n = 8, n * 2
        if not (off % w).any():
            idx = off // w
            if n == 1:
                return self.view(w)[idx][:, None]
            return self.view(w)[idx[:, None] + np.arange(n)]
        b = self.u8[off[:, None] + np.arange(n * w)]
        return b.view(UINT[w]).reshape(len(off), n)

    def write(self, off: np.ndarray, w: int, vals: np.ndarray) -> None:
        """Store ``vals`` (``(len(off), n)``) at byte offsets; later lanes win collisions."""
        n = vals.shape[1]
        off = off.astype(np.int64, copy=False)
        if w == 16:  # 16-byte values arrive as pairs of uint64 columns, as ``read`` gives them
            w = 8
        vals = vals.astype(UINT[w], copy=False)
        if not (off % w).any():
            idx = off // w
            if n == 1:
                self.view(w)[idx] = vals[:, 0]
            else:
                self.view(w)[idx[:, None] + np.arange(n)] = vals
            return
        self.u8[off[:, None] + np.arange(n * w)] = (
            np.ascontiguousarray(vals).view(np.uint8).reshape(len(off), n * w)
        )


def host_view(address: int, size: int) -> np.ndarray:
    """A writable ``uint8`` numpy view of ``size`` bytes of this process's memory."""
    if size == 0:
        return np.zeros(0, np.uint8)
    buf = (ctypes.c_uint8 * size).from_address(address)
    return np.frombuffer(buf, dtype=np.uint8)  # type: ignore[call-overload]


@dataclass
class Allocation:
    """One host buffer the kernel may address: an argument, a module variable, scratch."""

    base: int
    size: int
    name: str
    region: Region
    keep: Any = None
    """What owns the bytes (tensor, array), held so they outlive the launch."""


class HostMemory:
    """The allocation table: which buffer a host address falls in."""

    def __init__(self) -> None:
        self.allocs: list[Allocation] = []
        self._bases = np.zeros(0, np.uint64)
        self._ends = np.zeros(0, np.uint64)

    def add(self, base: int, size: int, name: str, keep: Any = None) -> Allocation:
        a = Allocation(base, size, name, Region(host_view(base, size)), keep)
        self.extend([a])
        return a

    def extend(self, allocs: list[Allocation]) -> None:
        """Add existing allocations (e.g. a program's module variables)."""
        self.allocs.extend(allocs)
        self.allocs.sort(key=lambda x: x.base)
        self._bases = np.array([x.base for x in self.allocs], np.uint64)
        self._ends = np.array([x.base + x.size for x in self.allocs], np.uint64)

    def add_array(self, arr: np.ndarray, name: str) -> Allocation:
        return self.add(arr.ctypes.data, arr.nbytes, name, arr)

    def locate(self, addr: np.ndarray, nbytes: int) -> tuple[np.ndarray, np.ndarray]:
        """Per address: index of the allocation it starts in (-1: none) and whether the
        whole ``nbytes`` access lies inside that allocation."""
        k = np.searchsorted(self._bases, addr, side="right").astype(np.int64) - 1
        kk = np.maximum(k, 0)
        if not self.allocs:
            return k, np.zeros(addr.shape, bool)
        inside = (k >= 0) & (addr < self._ends[kk])
        k = np.where(inside, k, -1)
        ok = inside & (addr + np.uint64(nbytes) <= self._ends[kk])
        return k, ok

    def nearest(self, addr: int) -> tuple[Allocation, int] | None:
        """The allocation closest to a stray address and the signed distance from it: bytes
        past its end (>= 0, 0 = right after it) or before its start (< 0); an address inside
        one gives (that allocation, 0)."""
        best: tuple[Allocation, int] | None = None
        for a in self.allocs:
            if a.base <= addr < a.base + a.size:
                return a, 0
            d = addr - (a.base + a.size) if addr >= a.base + a.size else addr - a.base
            if best is None or abs(d) < abs(best[1]):
                best = (a, d)
        return best
