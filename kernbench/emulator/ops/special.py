"""Special registers: per-thread index arrays built once per wave, counters read live."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from ..ptx import ir

if TYPE_CHECKING:
    from ..machine import Machine

AXES = {"x": 0, "y": 1, "z": 2, None: 0}
SM_COUNT = 108


def special(m: Machine, reg: ir.Reg) -> np.ndarray | int | Callable[[Any], Any]:
    """The value of special register ``reg``: a per-thread array, a constant, or a reader."""
    name, t, lay = reg.name, m.threads, m.layout
    axis = AXES.get(reg.component, 0)
    u32 = np.uint32
    if name == "%tid":
        return t.tid_xyz[axis]
    if name == "%ntid":
        return u32(lay.block[axis])
    if name == "%ctaid":
        return t.ctaid_xyz[axis]
    if name == "%nctaid":
        return u32(lay.grid[axis])
    if name == "%laneid":
        return t.lane
    if name == "%warpid":
        return (t.flat >> 5).astype(u32)
    if name == "%nwarpid":
        return u32(64)
    if name == "%smid":
        return lambda s: ((t.cta[s] + m.layout.first_cta) % SM_COUNT).astype(u32)
    if name == "%nsmid":
        return u32(SM_COUNT)
    if name == "%gridid":
        return np.uint64(1)
    lanemask = {
        "%lanemask_eq": lambda ln: 1 << ln,
        "%lanemask_lt": lambda ln: (1 << ln) - 1,
        "%lanemask_le": lambda ln: (2 << ln) - 1,
        "%lanemask_gt": lambda ln: 0xFFFFFFFF ^ ((2 << ln) - 1),
        "%lanemask_ge": lambda ln: 0xFFFFFFFF ^ ((1 << ln) - 1),
    }.get(name)
    if lanemask is not None:
        table = np.array([lanemask(i) & 0xFFFFFFFF for i in range(32)], u32)
        return table[t.lane]
    if name in (
        "%clock",
        "%clock_hi",
        "%clock64",
        "%globaltimer",
        "%globaltimer_lo",
        "%globaltimer_hi",
    ):
        wide = name in ("%clock64", "%globaltimer")
        shift = 32 if name.endswith("_hi") else 0
        scale = 1000 if name.startswith("%globaltimer") else 1
        return lambda s: (np.uint64 if wide else u32)(
            (m.clock[0] * scale >> shift) & (0xFFFFFFFFFFFFFFFF if wide else 0xFFFFFFFF)
        )
    if name == "%dynamic_smem_size":
        return u32(m.dynamic_shared)
    if name == "%total_smem_size":
        return u32(m.shared_stride)
    if name.startswith("%cluster") or name in ("%clusterid", "%nclusterid", "%is_explicit_cluster"):
        return _cluster(m, name, axis)
    if name.startswith("%envreg") or name.startswith("%pm"):
        return u32(0)
    raise ValueError(f"special register {name} is not supported")


def _cluster(m: Machine, name: str, axis: int) -> Any:
    """Cluster special registers from the launch's cluster shape (1x1x1 without one); read
    when executed, since a reused machine's next wave holds other clusters."""
    from ..cluster import ClusterMap

    u32 = np.uint32

    def per_cta(values: Callable[[ClusterMap], np.ndarray]) -> Callable[[Any], Any]:
        return lambda s: values(ClusterMap.of(m))[m.threads.cta[s]].astype(u32)

    if name == "%clusterid":
        return per_cta(lambda c: c.id_xyz[axis])
    if name == "%cluster_ctaid":
        return per_cta(lambda c: c.ctaid[axis])
    if name == "%cluster_ctarank":
        return per_cta(lambda c: c.rank)
    if name == "%nclusterid":
        return lambda s: u32(m.layout.grid[axis] // m.layout.cluster[axis])
    if name == "%cluster_nctaid":
        return lambda s: u32(m.layout.cluster[axis])
    if name == "%cluster_nctarank":
        return lambda s: u32(m.layout.cluster[0] * m.layout.cluster[1] * m.layout.cluster[2])
    if name == "%is_explicit_cluster":
        return lambda s: np.full(m.tids(s).size, m.layout.explicit_cluster, bool)
    raise ValueError(f"special register {name} is not supported")
