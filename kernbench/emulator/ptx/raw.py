"""What the grammar's transformer hands the resolver: PTX as read, before names have meaning.

A bare name (``p``, ``smem``, ``$L__BB0_3``, ``param0``) is a :class:`Name` until the
resolver knows the scope it sits in; everything else is already an :mod:`.ir` operand.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from lark import Token

from . import ir


@dataclass(frozen=True)
class Name:
    """A bare identifier operand, optionally ``name+offset``; ``negated`` for ``!p``;
    ``component`` for an element of a vector register (``v.x``)."""

    name: str
    offset: int = 0
    negated: bool = False
    component: str | None = None


@dataclass(frozen=True)
class Paren:
    """A parenthesised operand list (``call``'s returns and arguments)."""

    items: tuple[Any, ...]


@dataclass
class RawInstruction:
    first: Token
    """The instruction's first token (guard or opcode): its line and start offset."""
    opcode: Token
    operands: list[Any]
    guard: ir.Reg | Name | None
    end: int
    """Offset just past the ``;``."""


@dataclass
class RawRegDecl:
    type: str
    items: list[tuple[str, int | None]]


@dataclass
class RawVar:
    attrs: list[Any]
    """Dot-words without the dot (``shared``, ``v4``, ``f32``) and ints (``.align N``)."""
    name: str
    dims: list[int | None]
    init: list[int | float] | None
    line: int


@dataclass
class RawParam:
    attrs: list[Any]
    name: str
    dims: list[int | None]
    reg: bool = False


@dataclass
class RawLoc:
    file: int
    line: int
    column: int


@dataclass
class RawBlock:
    items: list[Any]


@dataclass
class RawFunction:
    name: str = ""
    entry: bool = False
    line: int = 0
    attrs: list[Any] = field(default_factory=list)
    returns: list[RawParam] = field(default_factory=list)
    params: list[RawParam] = field(default_factory=list)
    directives: dict[str, tuple[int, ...]] = field(default_factory=dict)
    body: RawBlock | None = None
