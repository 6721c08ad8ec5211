"""The numerics families' tables: no opcode registered twice across modules (``merge``
would let a later module silently replace an earlier one), and every factory refuses what it
cannot do with NotSupported rather than failing when run."""

from __future__ import annotations

import pytest

from kernbench.emulator.ops import compare, convert, floating, integer, logic, moves
from kernbench.emulator.ops.table import NotSupported

from .numerics_util import build, u32

FAMILIES = [integer, logic, compare, floating, convert, moves]


def test_no_opcode_in_two_families():
    seen: dict[str, str] = {}
    for fam in FAMILIES:
        for op in fam.OPCODES:
            assert op not in seen, f"{op} in {fam.__name__} and {seen[op]}"
            seen[op] = fam.__name__
    for op in ["mov", "add", "fma", "cvt", "setp", "selp", "lop3", "prmt", "bfe", "popc",
               "ex2", "tanh", "testp", "shf", "dp4a", "copysign", "bmsk", "fns"]:  # fmt: skip
        assert op in seen


@pytest.mark.parametrize(
    "name",
    ["add.cc.u32", "addc.u32", "mul.wide.u64", "mul.u32", "add.sat.u32", "cvt.rs.f16x2.f32",
     "fma.rn.oob.f16", "cvt.f32", "mad.wide.s64", "add.sat.s16x2"],
)  # fmt: skip
def test_refused_at_load(name):
    with pytest.raises(NotSupported):
        build(name, u32(1), u32(2), u32(3))
