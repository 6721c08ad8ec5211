"""``mov``: copies, immediates, and packing/unpacking brace lists (PTX ISA "mov")."""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import numeric as nm
from ..ptx.ir import Imm, Instruction, Vec
from .table import Compute, NotSupported, Registry

FAMILY = Registry()


def _pack(items: tuple[Any, ...], total: int) -> Any:
    """Little-endian concatenation: the first brace element is the least significant."""
    k = total // len(items)
    out = np.zeros((), nm.UINT[total])
    dt = nm.UINT[total]
    for i, x in enumerate(items):
        out = out | (nm.bits(x, k).astype(dt) << dt(i * k))
    return out


def _unpack(x: Any, total: int, n: int) -> tuple[Any, ...]:
    k = total // n
    v = nm.bits(x, total)
    mask = (1 << k) - 1
    dt = nm.UINT[total]
    return tuple(((v >> dt(i * k)) & dt(mask)).astype(nm.UINT[k]) for i in range(n))


@FAMILY.elementwise("mov")
def mov(ins: Instruction) -> Compute:
    """``mov.type d, a``: d = a. With a brace source, pack its elements (first = low bits);
    with a brace destination, split the source into equal parts. ``.pred`` copies a
    predicate (an immediate 0/1 or a predicate register). A symbol source (an address) is
    resolved by the machine before the call: it arrives as an array or an ``Imm``."""
    t = nm.find_type(ins.mods)
    if t is None:
        raise NotSupported(ins, "mov needs a type")
    if len(ins.operands) != 2:
        raise NotSupported(ins, "mov takes two operands")
    dest, src = ins.operands
    if t == "pred":
        return lambda a: (a.value != 0) if isinstance(a, Imm) else a
    w = nm.width(t)
    if isinstance(src, Vec):
        return lambda items: _pack(items, w)
    if isinstance(dest, Vec):
        n = len(dest.items)
        if w % n:
            raise NotSupported(ins, f"cannot split {w} bits into {n}")
        return lambda a: _unpack(a, w, n)
    if w == 128:
        raise NotSupported(ins, "b128 registers")
    return lambda a: nm.bits(a, w, t)


OPCODES = FAMILY.table
