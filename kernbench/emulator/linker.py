"""Linking: compile one instruction's operands into fast accessors over a wave's state.

A :class:`Linker` is handed to every machine op's ``link`` (see :mod:`.machine`): reads and
writes of registers become closures over register rows, symbols become addresses, memory
operands become lane-address functions, all decided once per wave, not per execution.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from .ptx import ir

if TYPE_CHECKING:
    from .machine import Machine


class Linker:
    """Compiles operands of one instruction into fast accessors over the machine's state."""

    def __init__(self, m: Machine, pc: int, ins: ir.Instruction) -> None:
        self.m, self.pc, self.ins = m, pc, ins

    def read(self, o: Any) -> Callable[[Any], Any]:
        m = self.m
        if isinstance(o, ir.Reg):
            slot = m.program.slots.get(o.name)
            if slot is None:
                from .ops.special import special

                val = special(m, o)
                if callable(val):
                    return val
                return val.__getitem__ if isinstance(val, np.ndarray) else (lambda s: val)
            row = m.regs.row(*slot)
            if o.negated:
                return lambda s: ~row[s]
            return row.__getitem__
        if isinstance(o, ir.Sym):
            imm = ir.Imm(self.symbol_address(o))
            return lambda s: imm
        if isinstance(o, ir.Vec):
            rs = [self.read(x) for x in o.items if x is not None]
            return lambda s: tuple(r(s) for r in rs)
        return lambda s: o

    def scalar(self, o: Any, dtype: Any = None) -> Callable[[Any, int], np.ndarray]:
        """``get(s, n)``: ``o`` for the ``n`` executing threads, one value each (an immediate
        broadcast to all), cast with ``astype(dtype)`` when ``dtype`` is given."""
        r = self.read(o)

        def get(s: Any, n: int) -> np.ndarray:
            v = r(s)
            if isinstance(v, ir.Imm):
                v = int(v.value)
            a = np.asarray(v) if dtype is None else np.asarray(v).astype(dtype)
            return np.broadcast_to(a, (n,))

        return get

    def symbol_address(self, o: ir.Sym) -> int:
        """A symbol's value as an operand: its address in its own state space. A kernel
        parameter's is its offset in the parameter buffer (LLVM moves it in 32 bits);
        ``cvta.param`` and ``ld.param`` through a register add the buffer's host address."""
        sym = self.m.program.symbols.get(o.name)
        if sym is None:
            raise ValueError(f"line {self.ins.line}: unknown symbol {o.name}")
        if any(p.name == o.name for p, _ in self.m.program.params):
            return sym.address - self.param_base() + o.offset
        return sym.address + o.offset

    def param_base(self) -> int:
        """Host address of the kernel parameter buffer: .param address 0."""
        return int(self.m.program.param_buffer.ctypes.data)

    def write(self, o: Any) -> Callable[[Any, Any], None]:
        m = self.m
        if isinstance(o, ir.Reg):
            if o.name not in m.program.slots:
                raise ValueError(f"line {self.ins.line}: cannot write {o.name}")
            cls, slot = m.program.slots[o.name]
            row = m.regs.row(cls, slot)
            mask = {"pred": 1, "b8": 0xFF, "b16": 0xFFFF, "b32": 0xFFFFFFFF}.get(
                cls, 0xFFFFFFFFFFFFFFFF
            )

            def w(s: Any, v: Any) -> None:
                if type(v) is int:
                    v &= mask
                row[s] = v

            return w
        if isinstance(o, (ir.Vec, ir.Pair)):
            items = o.items if isinstance(o, ir.Vec) else (o.first, o.second)
            ws = [None if x is None else self.write(x) for x in items]

            def wv(s: Any, v: Any) -> None:
                for wi, vi in zip(ws, v, strict=True):
                    if wi is not None:
                        wi(s, vi)

            return wv
        raise ValueError(f"line {self.ins.line}: {o!r} is not a destination")

    def width_of(self, o: Any) -> str:
        """Register file class of a register operand ('b32', 'pred'...)."""
        return self.m.program.slots[o.name][0]

    def address(self, o: Any, space: str) -> tuple[Callable[[Any], Any], str]:
        """``ea(sel) -> uint64 addresses`` and the space the access really goes to."""
        from .memory import LOCAL_WINDOW, SHARED_WINDOW

        if not isinstance(o, ir.Addr):
            raise ValueError(f"line {self.ins.line}: expected a memory operand [..], got {o!r}")
        base = o.base
        if isinstance(base, ir.Sym) or (
            isinstance(base, ir.Reg) and base.name in self.m.program.symbols
        ):
            sym = self.m.program.symbols[base.name]
            a = sym.address + o.offset + getattr(base, "offset", 0)
            sp = sym.space
            if space == "generic" and sp != "host":
                a += SHARED_WINDOW if sp == "shared" else LOCAL_WINDOW
                sp = "generic"
            const = np.uint64(a)
            return (lambda s: const), sp
        sp = {"global": "host", "const": "host", "param": "host"}.get(space, space)
        offset = o.offset + (self.param_base() if space == "param" else 0)
        if base is None:
            const = np.uint64(offset & 0xFFFFFFFFFFFFFFFF)
            return (lambda s: const), sp
        r = self.read(base)
        off = np.uint64(offset & 0xFFFFFFFFFFFFFFFF)
        if offset == 0:
            return (lambda s: r(s).astype(np.uint64, copy=False)), sp
        return (lambda s: r(s).astype(np.uint64) + off), sp
