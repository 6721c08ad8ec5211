"""Tensor maps in memory (sm_90): reading one for a TMA copy (checked as the driver checks
an encoding), ``tensormap.replace`` and ``tensormap.cp_fenceproxy`` on the same 128 bytes
(Triton builds its maps in global memory this way), and making a by-value map's tensor
addressable for a launch. The encoding is :mod:`..hopper.tensormap`'s.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import numpy as np

from .. import access
from ..hopper import tensormap as tmap
from ..machine import Linker, Machine, Op
from ..ptx import ir
from .table import Registry

FAMILY = Registry()


@lru_cache(maxsize=256)
def _decode_map(raw: bytes) -> tmap.TensorMapFields:
    f = tmap.decode(raw)
    tmap.validate(f)
    return f


def read_map(m: Machine, pc: int, tid: int, addr: int) -> tmap.TensorMapFields | None:
    """The tensor map at a generic/global/param address, checked as the driver would. A
    ``.param`` state-space address (a kernel parameter's offset, below the parameter
    buffer's size: host addresses never are) reads the parameter buffer."""
    params = m.program.param_buffer
    if addr + 128 <= params.size:
        addr += int(params.ctypes.data)
    raw = access.load(m, pc, np.array([tid]), "generic", np.array([addr], np.uint64), 8, 16)
    try:
        return _decode_map(np.ascontiguousarray(raw).tobytes())
    except (tmap.TensorMapError, ValueError, KeyError) as e:
        m.report(
            "tma-error", pc, np.array([tid]), f"the tensor map at 0x{addr:x} is invalid: {e}", addr
        )
        return None


@FAMILY.machine("tensormap", dests=0)
def tensormap_op(ins: ir.Instruction) -> Op:
    mods = ins.mods
    if mods[:1] == ("cp_fenceproxy",):
        return _tensormap_copy(ins)
    spec = tmap.decode_replace(ins)
    space = {"global": "global", "shared::cta": "shared"}.get(spec.space or "", "generic")

    def link(L: Linker) -> Any:
        m, pc = L.m, L.pc
        ea, sp = L.address(ins.operands[0], space)
        val = L.scalar(ins.operands[spec.value_operand])

        def step(s: Any) -> None:
            tids = m.tids(s)
            n = tids.size
            a = np.broadcast_to(np.asarray(ea(s), np.uint64), (n,))
            v = val(s, n)
            for i, tid in enumerate(tids.tolist()):
                one = np.array([tid])
                raw = access.load(m, pc, one, sp, a[i : i + 1], 8, 16)
                try:
                    new = tmap.replace(
                        np.ascontiguousarray(raw).tobytes(),
                        spec.field,
                        int(v[i]),
                        spec.ordinal or 0,
                    )
                except ValueError as e:
                    m.report("tma-error", pc, one, f"tensormap.replace: {e}")
                    continue
                access.store(
                    m, pc, one, sp, a[i : i + 1], 8, np.frombuffer(new, np.uint64).reshape(1, 16)
                )

        return step

    return Op(link)


def _tensormap_copy(ins: ir.Instruction) -> Op:
    """``tensormap.cp_fenceproxy.global.shared::cta...`` [dst], [src], 128: a plain copy."""

    def link(L: Linker) -> Any:
        m, pc = L.m, L.pc
        dst, dsp = L.address(ins.operands[0], "global")
        src, ssp = L.address(ins.operands[1], "shared")

        def step(s: Any) -> None:
            tids = m.tids(s)
            n = tids.size
            a = np.broadcast_to(np.asarray(src(s), np.uint64), (n,))
            d = np.broadcast_to(np.asarray(dst(s), np.uint64), (n,))
            vals = access.load(m, pc, tids, ssp, a, 8, 16)
            access.store(m, pc, tids, dsp, d, 8, vals)

        return step

    return Op(link)


def register_map_tensor(raw: bytes, name: str, host: Any) -> None:
    """A tensor map made by :func:`~..hopper.tensormap.encode_tiled` names global memory no
    argument does: make its extent addressable (its TMA copies read and write there)."""
    if len(raw) != 128 or raw[15] != 1:
        return
    try:
        f = _decode_map(bytes(raw))
        eb = f.elem_bytes
    except (ValueError, KeyError):
        return
    span = f.global_dim[0] * eb + sum(
        (d - 1) * st for d, st in zip(f.global_dim[1:], f.global_strides, strict=True)
    )
    a = f.global_address
    if any(x.base <= a and a + span <= x.base + x.size for x in host.allocs):
        return
    host.add(a, span, name)


OPCODES = FAMILY.table
