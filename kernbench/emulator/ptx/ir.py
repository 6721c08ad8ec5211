"""The parsed form of a PTX module: what the parser produces and the machine lowers.

Plain frozen dataclasses and nothing else, so the parser, the machine and the instruction
families agree on one vocabulary without importing each other. Names follow the PTX ISA:
an instruction is an opcode with dot-separated modifiers (``cvt.rn.ftz.f32.f16`` is opcode
``cvt`` with modifiers ``("rn", "ftz", "f32", "f16")``), an optional guard predicate and
operands, destinations first.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Reg:
    """A register or special register: ``%r1``, ``%tid.x`` (name ``%tid``, component ``x``).

    ``negated`` is a predicate operand written ``!%p``.
    """

    name: str
    component: str | None = None
    negated: bool = False


@dataclass(frozen=True)
class Imm:
    """An immediate. ``value`` is exact: an ``int`` for integer literals, else the float.

    ``bits`` and ``width`` keep the raw pattern of hexadecimal float literals (``0f3F800000``
    has bits 0x3F800000, width 32; ``0d...`` width 64) so NaN payloads survive; a decimal
    float literal has ``bits`` None and is converted to the instruction's type.
    """

    value: int | float
    bits: int | None = None
    width: int | None = None

    @property
    def is_float(self) -> bool:
        return isinstance(self.value, float)


@dataclass(frozen=True)
class Sym:
    """A variable or parameter named as a value (``mov.u64 %rd1, smem;`` takes its address)."""

    name: str
    offset: int = 0


@dataclass(frozen=True)
class Label:
    """A branch target, or a label list entry (``bra`` and ``brx.idx``)."""

    name: str


@dataclass(frozen=True)
class Addr:
    """A memory operand ``[base+offset]``: base is a register, a symbol, or None (``[0x100]``)."""

    base: Reg | Sym | None
    offset: int = 0


@dataclass(frozen=True)
class TensorAddr:
    """A tensor-map operand with coordinates: ``[%rd1, {%r1, %r2}]`` (``cp.async.bulk.tensor``).

    ``base`` names the tensor map (a register holding its address, or a parameter symbol).
    """

    base: Reg | Sym
    coords: tuple[Operand, ...]


@dataclass(frozen=True)
class Vec:
    """A brace list ``{%r1, %r2}``; elements may be ``_`` (a sink), written as ``None``."""

    items: tuple[Operand | None, ...]


@dataclass(frozen=True)
class Pair:
    """``%p|%q``: the two predicate destinations of ``setp``-like instructions."""

    first: Reg
    second: Reg


Operand = Reg | Imm | Sym | Label | Addr | TensorAddr | Vec | Pair


@dataclass(frozen=True)
class Location:
    """A CUDA source position from a ``.loc`` directive (file from the ``.file`` table)."""

    file: str
    line: int
    column: int = 0


@dataclass(frozen=True)
class Instruction:
    """One PTX instruction as written, with where it came from."""

    opcode: str
    mods: tuple[str, ...] = ()
    operands: tuple[Operand, ...] = ()
    guard: Reg | None = None
    """``@%p`` or ``@!%p`` (``negated`` set)."""
    line: int = 0
    """1-based line in the PTX text."""
    loc: Location | None = None
    text: str = ""
    """The instruction as it appears in the PTX (for findings and listings)."""

    @property
    def name(self) -> str:
        """``opcode.mod1.mod2``: the full spelling without operands."""
        return ".".join((self.opcode, *self.mods))


@dataclass(frozen=True)
class RegDecl:
    """``.reg .b32 %r<28>;`` declares ``%r0`` .. ``%r27``; a plain name declares one."""

    type: str
    """The PTX type without the dot: ``pred``, ``b16``, ``b32``, ``f32``, ``u64``, ``v2.b32`` ..."""
    name: str
    count: int | None = None
    """``n`` of ``%r<n>``; None for a single register."""


@dataclass(frozen=True)
class Variable:
    """A variable in a state space: ``.shared .align 16 .b8 smem[4096];``, ``.const``, ``.global``.

    ``size`` is the total in bytes; ``extern`` marks ``.extern .shared`` (dynamic shared
    memory, size 0); ``init`` holds the initializer's element values in order, if any.
    """

    space: str
    name: str
    type: str
    size: int
    align: int
    extern: bool = False
    init: tuple[int | float, ...] = ()
    array: tuple[int, ...] = ()


@dataclass(frozen=True)
class Param:
    """A kernel or function parameter: ``.param .u64 k_param_0`` or
    ``.param .align 64 .b8 k_param_1[128]`` (a struct or ``__grid_constant__`` object)."""

    name: str
    type: str
    size: int
    align: int
    ptr_space: str | None = None
    """``.ptr.global`` style attribute, when the PTX carries one."""


@dataclass(frozen=True)
class Statement:
    """A label (``target``) or an instruction, in program order, with lexical scope depth."""

    label: str | None = None
    instruction: Instruction | None = None


@dataclass(frozen=True)
class Function:
    """An ``.entry`` (kernel) or ``.func``, with its body as the parser read it.

    ``body`` is flat: nested ``{ }`` scopes (inline asm blocks) are resolved by the parser by
    renaming their registers to unique names, so every register in ``body`` is declared in
    ``regs``. Directives: ``maxntid``, ``reqntid``, ``minnctapersm``, ``reqnctapercluster``,
    ``explicitcluster``, ``maxnreg``... each as a tuple of ints (empty when bare).
    """

    name: str
    entry: bool
    params: tuple[Param, ...]
    returns: tuple[Param, ...] = ()
    regs: tuple[RegDecl, ...] = ()
    variables: tuple[Variable, ...] = ()
    """Function-scoped ``.local`` and ``.shared`` declarations."""
    body: tuple[Statement, ...] = ()
    directives: dict[str, tuple[int, ...]] = field(default_factory=dict)
    line: int = 0


@dataclass(frozen=True)
class Module:
    """One PTX text: its header, module-scope variables and functions."""

    version: tuple[int, int]
    target: tuple[str, ...]
    """``.target sm_90a`` -> ("sm_90a",); may carry ``texmode_independent``, ``debug``."""
    address_size: int
    variables: tuple[Variable, ...] = ()
    functions: tuple[Function, ...] = ()
    files: dict[int, str] = field(default_factory=dict)
    """The ``.file`` table: index -> path."""

    def kernel(self, name: str) -> Function:
        for fn in self.functions:
            if fn.entry and fn.name == name:
                return fn
        kernels = sorted(f.name for f in self.functions if f.entry)
        raise KeyError(f"no kernel {name!r} in this PTX (it has {', '.join(kernels) or 'none'})")

    @property
    def kernels(self) -> tuple[Function, ...]:
        return tuple(f for f in self.functions if f.entry)
