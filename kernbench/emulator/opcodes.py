"""The opcode tables per architecture, py-evm style: each is the previous one plus changes.

``SM80`` merges every instruction family; ``SM90`` is ``SM80`` until the Hopper families
(wgmma, TMA, mbarriers, clusters) land as ``merge(SM80, HOPPER)``.
"""

from __future__ import annotations

from .ops import (
    async_copy,
    barrier,
    compare,
    control,
    convert,
    floating,
    integer,
    logic,
    memory,
    moves,
    tensor_core,
    warp,
)
from .ops.table import Table, merge

SM80: dict = merge(
    integer.OPCODES,
    floating.OPCODES,
    convert.OPCODES,
    logic.OPCODES,
    compare.OPCODES,
    moves.OPCODES,
    memory.OPCODES,
    control.OPCODES,
    barrier.OPCODES,
    warp.OPCODES,
    async_copy.OPCODES,
    tensor_core.OPCODES,
)
SM90: dict = merge(SM80)

TABLES: dict[str, Table] = {
    "sm_80": SM80,
    "sm_86": SM80,
    "sm_89": SM80,
    "sm_90": SM90,
    "sm_90a": SM90,
}


def table_for(arch: str) -> Table:
    try:
        return TABLES[arch]
    except KeyError:
        raise ValueError(f"unknown arch {arch!r} (known: {', '.join(TABLES)})") from None
