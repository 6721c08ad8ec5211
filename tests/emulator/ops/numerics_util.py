"""Test helpers for the elementwise families: build an instruction, run it, read bits.

``frac_round`` is the tests' own exact oracle (pure Python integers, a different algorithm
from :func:`kernbench.emulator.numeric.round_to`): it rounds a ``Fraction`` to a binary
format by scaling to an integer significand and inspecting the remainder.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import numpy as np

from kernbench.emulator.ops import compare, convert, floating, integer, logic, moves
from kernbench.emulator.ops.table import merge
from kernbench.emulator.ptx.ir import Imm, Instruction, Pair, Reg, Vec

TABLE = merge(
    integer.OPCODES,
    logic.OPCODES,
    compare.OPCODES,
    floating.OPCODES,
    convert.OPCODES,
    moves.OPCODES,
)


def build(name: str, *args: Any, dest: Any = None) -> Any:
    """The compute function of ``name`` (``"add.s32"``) for sources like ``args``."""
    op, *mods = name.split(".")
    ops: list[Any] = [dest if dest is not None else Reg("%d")]
    for i, a in enumerate(args):
        if isinstance(a, Imm):
            ops.append(a)
        elif isinstance(a, tuple):
            ops.append(Vec(tuple(Reg(f"%v{i}{j}") for j in range(len(a)))))
        else:
            ops.append(Reg(f"%s{i}"))
    ins = Instruction(op, tuple(mods), tuple(ops))
    return TABLE[op].factory(ins)


def run(name: str, *args: Any, dest: Any = None) -> Any:
    """Build ``name`` and run it on ``args`` (arrays, Imm, tuples)."""
    return build(name, *args, dest=dest)(*args)


PAIR = Pair(Reg("%p"), Reg("%q"))


def u8(*v: int) -> np.ndarray:
    return np.array(v, np.uint8)


def u16(*v: int) -> np.ndarray:
    return np.array(v, np.uint16)


def u32(*v: int) -> np.ndarray:
    return np.array([x & 0xFFFFFFFF for x in v], np.uint32)


def u64(*v: int) -> np.ndarray:
    return np.array([x & 0xFFFFFFFFFFFFFFFF for x in v], np.uint64)


def f32(*v: float) -> np.ndarray:
    """f32 values -> their uint32 register bits."""
    return np.array(v, np.float32).view(np.uint32)


def f64(*v: float) -> np.ndarray:
    return np.array(v, np.float64).view(np.uint64)


def as_f32(b: Any) -> np.ndarray:
    return np.asarray(b, np.uint32).view(np.float32)


def as_f64(b: Any) -> np.ndarray:
    return np.asarray(b, np.uint64).view(np.float64)


def hexes(b: Any) -> list[int]:
    return [int(x) for x in np.atleast_1d(b)]


def frac_round(q: Fraction, ebits: int, mbits: int, mode: str) -> Fraction | None:
    """Round ``q`` to the IEEE format (ebits, mbits) in ``mode``; None means overflow to inf
    (the caller decides between inf and max-finite by mode)."""
    if q == 0:
        return Fraction(0)
    bias = (1 << (ebits - 1)) - 1
    emin = 1 - bias
    sign = -1 if q < 0 else 1
    a = abs(q)
    e = a.numerator.bit_length() - a.denominator.bit_length()
    if Fraction(2) ** e > a:
        e -= 1
    e = max(e, emin)
    unit = Fraction(2) ** (e - mbits)
    n, rem = divmod(a, unit)  # n integer, rem in [0, unit)
    n = int(n)
    half = unit / 2
    if mode == "rn":
        up = rem > half or (rem == half and n % 2 == 1)
    elif mode == "rna":
        up = rem >= half
    elif mode == "rz":
        up = False
    elif mode == "rp":
        up = rem > 0 and sign > 0
    elif mode == "rm":
        up = rem > 0 and sign < 0
    else:
        raise ValueError(mode)
    n += up
    val = n * unit
    emax = bias
    largest = (2 - Fraction(2) ** -mbits) * Fraction(2) ** emax
    if val > largest:
        return None
    return sign * val


def overflow_value(sign: int, ebits: int, mbits: int, mode: str) -> float:
    """IEEE overflow result: inf, or the largest finite for a mode rounding toward zero."""
    largest = float((2 - Fraction(2) ** -mbits) * Fraction(2) ** ((1 << (ebits - 1)) - 1))
    to_max = mode == "rz" or (mode == "rm" and sign > 0) or (mode == "rp" and sign < 0)
    return sign * (largest if to_max else float("inf"))
