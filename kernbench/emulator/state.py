"""Per-launch state: the thread layout of a wave of CTAs and the register file.

Every thread of every CTA in the wave is one element of each register array. Each CTA's
threads are padded up to whole warps, so thread ``t`` is lane ``t % 32`` of global warp
``t // 32`` and warp collectives reshape a register to ``(warps, 32)`` without gathering.
Padding threads start exited.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

WIDTH_CLASS = {
    "pred": "pred",
    **{t: "b8" for t in ("b8", "u8", "s8")},
    **{t: "b16" for t in ("b16", "u16", "s16", "f16", "bf16")},
    **{t: "b32" for t in ("b32", "u32", "s32", "f32", "f16x2", "bf16x2", "tf32")},
    **{t: "b64" for t in ("b64", "u64", "s64", "f64")},
}
"""Declared register type -> register file class."""

CLASS_DTYPE: dict[str, type] = {
    "pred": np.bool_,
    "b8": np.uint8,
    "b16": np.uint16,
    "b32": np.uint32,
    "b64": np.uint64,
}


@dataclass(frozen=True)
class Layout:
    """Where each thread of a wave sits: CTA, thread index and lane."""

    block: tuple[int, int, int]
    grid: tuple[int, int, int]
    first_cta: int
    """Linear index (x fastest) of the wave's first CTA in the grid."""
    n_cta: int
    cluster: tuple[int, int, int] = (1, 1, 1)
    """Cluster shape in CTAs (sm_90); every cluster of the wave is whole."""
    explicit_cluster: bool = False

    @property
    def cta_threads(self) -> int:
        return self.block[0] * self.block[1] * self.block[2]

    @property
    def cta_stride(self) -> int:
        """Threads per CTA rounded up to whole warps."""
        return -(-self.cta_threads // 32) * 32

    @property
    def size(self) -> int:
        return self.n_cta * self.cta_stride


class Threads:
    """Per-thread index arrays of a wave (all ``int64`` unless said)."""

    def __init__(self, layout: Layout) -> None:
        self.layout = layout
        t = np.arange(layout.size, dtype=np.int64)
        stride = layout.cta_stride
        self.tid = t
        self.cta = t // stride
        """CTA index within the wave."""
        self.flat = t % stride
        """Linear thread index within its CTA."""
        self.lane = (t & 31).astype(np.uint32)
        self.warp = t >> 5
        """Global warp index in the wave."""
        self.real = self.flat < layout.cta_threads
        bx, by, _ = layout.block
        self.tid_xyz = tuple(
            v.astype(np.uint32)
            for v in (self.flat % bx, self.flat // bx % by, self.flat // (bx * by))
        )
        self.ctaid_xyz = tuple(np.zeros(layout.size, np.uint32) for _ in range(3))
        self.rebase(layout.first_cta)

    def rebase(self, first_cta: int) -> None:
        """Point the wave at the grid's CTAs from ``first_cta`` on (in place: linked steps
        hold these arrays)."""
        gx, gy, _ = self.layout.grid
        g = self.cta + first_cta
        for dst, v in zip(self.ctaid_xyz, (g % gx, g // gx % gy, g // (gx * gy)), strict=True):
            dst[:] = v

    def block_of(self, t: int) -> tuple[int, int, int]:
        return tuple(int(v[t]) for v in self.ctaid_xyz)  # type: ignore[return-value]

    def thread_of(self, t: int) -> tuple[int, int, int]:
        return tuple(int(v[t]) for v in self.tid_xyz)  # type: ignore[return-value]


class Registers:
    """One ``[n, T]`` raw-bit array per width class; rows are registers."""

    def __init__(self, counts: dict[str, int], size: int) -> None:
        self.files: dict[str, np.ndarray] = {
            cls: np.zeros((max(n, 1), size), dtype=CLASS_DTYPE[cls]) for cls, n in counts.items()
        }

    def row(self, cls: str, slot: int) -> np.ndarray:
        return self.files[cls][slot]

    @property
    def nbytes(self) -> int:
        return sum(a.nbytes for a in self.files.values())
