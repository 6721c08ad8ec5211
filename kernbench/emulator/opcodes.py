"""The opcode tables per architecture, py-evm style: each is the previous one plus changes.

``SM80`` merges every instruction family; ``SM90`` is ``merge(SM80, HOPPER)``: the Hopper
families (mbarriers, TMA and tensor maps, wgmma, clusters, the async proxy), which also replace ``cp`` (bulk forms) and
``barrier`` (``barrier.cluster``) with versions that hand the sm_80 forms back.
"""

from __future__ import annotations

from .ops import (
    async_copy,
    barrier,
    cluster,
    compare,
    control,
    convert,
    floating,
    integer,
    logic,
    mbarrier,
    memory,
    moves,
    proxy,
    tensor_core,
    tensormap,
    tma,
    warp,
    wgmma,
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
HOPPER: dict = merge(
    mbarrier.OPCODES,
    tma.OPCODES,
    tensormap.OPCODES,
    wgmma.OPCODES,
    cluster.OPCODES,
    proxy.OPCODES,
)
SM90: dict = merge(SM80, HOPPER)

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
