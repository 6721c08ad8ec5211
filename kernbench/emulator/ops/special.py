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
    if name in ("%clusterid", "%cluster_ctaid"):
        # without a cluster launch every CTA is a cluster of one
        return t.ctaid_xyz[axis] if name == "%clusterid" else u32(0)
    if name == "%nclusterid":
        return u32(lay.grid[axis])
    if name == "%cluster_nctaid":
        return u32(1)
    if name == "%cluster_ctarank":
        return u32(0)
    if name == "%cluster_nctarank":
        return u32(1)
    if name == "%is_explicit_cluster":
        return np.zeros(1, bool)[0:1].repeat(m.size)
    if name.startswith("%envreg") or name.startswith("%pm"):
        return u32(0)
    raise ValueError(f"special register {name} is not supported")
