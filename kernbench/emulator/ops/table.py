"""How an instruction family declares its semantics, and how tables merge per architecture.

Two kinds of semantics, both registered by full opcode (``add``, ``cvt``, ``mma``):

* **Elementwise**: a pure function of its source operands, lane by lane. A factory receives
  the parsed :class:`~kernbench.emulator.ptx.ir.Instruction` once, when a kernel is loaded,
  decodes its modifiers and returns the function the machine calls on every execution::

      @elementwise("add")
      def add(ins: Instruction) -> Compute:
          ...
          return lambda a, b: ...

  The function receives one argument per source operand (the operands after the
  ``dests`` destinations): a 1-D numpy array of raw bits for a register (``uint8``/
  ``uint16``/``uint32``/``uint64`` as the register is declared, ``bool`` for a predicate,
  already negated for ``!%p``), the :class:`~kernbench.emulator.ptx.ir.Imm` itself for an
  immediate, and a tuple of those for a brace list. It returns raw bits for the destination
  (numpy array, or a Python/numpy scalar that broadcasts), a tuple for a brace destination or a
  :class:`~kernbench.emulator.ptx.ir.Pair`. The machine narrows or widens the result to the
  destination register (``astype``) and writes it under the active mask. The function never
  reads machine state, prints, counts or checks bounds: that is the machine's job.

* **Machine**: anything that touches state beyond its operands (memory, warps, barriers,
  control flow). A factory again receives the instruction once and returns a callable that
  the machine invokes with its execution context and the active-lane mask; the machine
  module defines that context. Families register these with :func:`machine`.

A factory raises :class:`NotSupported` for a modifier combination it does not implement, so
a kernel that uses one is refused when loaded, with the PTX line, never half-run.

Tables are dicts from opcode to :class:`Semantic`; an architecture's table is the previous
one merged with what it adds (:func:`merge`), as py-evm builds its forks' opcode tables.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from .. import numeric as nm
from ..ptx.ir import Instruction

Compute = Callable[..., Any]
"""The per-execution function an elementwise factory returns."""

Factory = Callable[[Instruction], Any]


class NotSupported(Exception):
    """This instruction (or modifier combination) is not implemented by the emulator."""

    def __init__(self, ins: Instruction, why: str = "") -> None:
        where = f"line {ins.line}: " if ins.line else ""
        super().__init__(
            f"{where}{ins.name} is not supported by the emulator{': ' + why if why else ''}"
        )
        self.instruction = ins


def type_of(ins: Instruction) -> str:
    """The instruction's type modifier (``.u32``, ``.f16``...): not supported without one."""
    t = nm.find_type(ins.mods)
    if t is None:
        raise NotSupported(ins, "missing type")
    return t


@dataclass(frozen=True)
class Semantic:
    """One opcode's semantics: its kind, its factory and how many leading operands it writes."""

    opcode: str
    kind: Literal["elementwise", "machine"]
    factory: Factory
    dests: int = 1
    """Leading operands that are destinations (0 for ``st``, ``bar``, ``bra``; a ``Pair``
    or ``Vec`` destination counts as one)."""


Table = Mapping[str, Semantic]


class Registry:
    """A family module's opcodes: ``FAMILY = Registry()`` then ``@FAMILY.elementwise("add")``."""

    def __init__(self) -> None:
        self.table: dict[str, Semantic] = {}

    def _add(self, semantic: Semantic) -> None:
        if semantic.opcode in self.table:
            raise ValueError(f"opcode {semantic.opcode!r} registered twice")
        self.table[semantic.opcode] = semantic

    def elementwise(self, *opcodes: str, dests: int = 1) -> Callable[[Factory], Factory]:
        def register(factory: Factory) -> Factory:
            for op in opcodes:
                self._add(Semantic(op, "elementwise", factory, dests))
            return factory

        return register

    def machine(self, *opcodes: str, dests: int = 1) -> Callable[[Factory], Factory]:
        def register(factory: Factory) -> Factory:
            for op in opcodes:
                self._add(Semantic(op, "machine", factory, dests))
            return factory

        return register


def merge(*tables: Table) -> dict[str, Semantic]:
    """Later tables add opcodes or replace earlier ones (an architecture's changes)."""
    out: dict[str, Semantic] = {}
    for table in tables:
        out.update(table)
    return out
