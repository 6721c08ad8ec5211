"""Lower a kernel (``ir.Function``) to a program the machine runs.

Lowering happens once per (PTX text, kernel, architecture) and is cached: ``.func`` calls
are inlined (renamed registers, labels and variables), labels become pcs, registers get
slots in the per-width register files, symbols become addresses, and every instruction gets
its semantics from the architecture's opcode table. Every unsupported instruction is
reported at once, with its PTX line, before anything runs.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from .memory import HostMemory
from .ops.table import NotSupported, Semantic, Table
from .ptx import ir
from .state import WIDTH_CLASS

SIZES = {
    "pred": 1, "b8": 1, "u8": 1, "s8": 1,
    "b16": 2, "u16": 2, "s16": 2, "f16": 2, "bf16": 2,
    "b32": 4, "u32": 4, "s32": 4, "f32": 4, "f16x2": 4, "bf16x2": 4, "tf32": 4,
    "b64": 8, "u64": 8, "s64": 8, "f64": 8, "b128": 16,
}  # fmt: skip

INIT_DTYPE = {"f32": np.float32, "f64": np.float64, "f16": np.float16}


class UnsupportedKernel(ValueError):
    """The kernel uses instructions the emulator does not implement (all listed)."""

    def __init__(self, kernel: str, problems: list[str]) -> None:
        super().__init__(
            f"kernel {kernel!r} cannot run on the emulator:\n  " + "\n  ".join(problems)
        )
        self.problems = problems


@dataclass(frozen=True)
class Symbol:
    """A variable or parameter's address in the state space an access to it uses."""

    space: str
    """``shared`` (CTA offset), ``local`` (thread offset) or ``host`` (absolute)."""
    address: int
    size: int


@dataclass
class Lowered:
    """One instruction ready to link: its semantics and its decoded implementation."""

    pc: int
    ins: ir.Instruction
    semantic: Semantic
    impl: Any


@dataclass
class Program:
    """A kernel lowered for one architecture; launch-independent and cached."""

    kernel: ir.Function
    module: ir.Module
    arch: str
    steps: list[Lowered]
    labels: dict[str, int]
    slots: dict[str, tuple[str, int]]
    counts: dict[str, int]
    symbols: dict[str, Symbol]
    params: list[tuple[ir.Param, int]]
    param_buffer: np.ndarray
    host: HostMemory
    """Module ``.global``/``.const`` variables and the kernel parameter buffer."""
    shared_static: int
    dynamic_shared_offset: int
    local_size: int
    reg_types: dict[str, str] = field(default_factory=dict)


def _align(x: int, a: int) -> int:
    return -(-x // max(a, 1)) * max(a, 1)


def declared_names(decl: ir.RegDecl) -> list[str]:
    if decl.count is None:
        return [decl.name]
    return [f"{decl.name}{i}" for i in range(decl.count)]


# --------------------------------------------------------------------------- inlining


class _Renamer:
    """Renames a callee's registers, labels and variables into the caller's namespace."""

    def __init__(self, prefix: str, regs: set[str], labels: set[str], syms: dict[str, str]):
        self.prefix, self.regs, self.labels, self.syms = prefix, regs, labels, syms

    def op(self, o: Any) -> Any:
        if isinstance(o, ir.Reg):
            return replace(o, name=self.prefix + o.name) if o.name in self.regs else o
        if isinstance(o, ir.Label):
            return ir.Label(self.prefix + o.name) if o.name in self.labels else o
        if isinstance(o, ir.Sym):
            return replace(o, name=self.syms[o.name]) if o.name in self.syms else o
        if isinstance(o, ir.Addr):
            return replace(o, base=self.op(o.base))
        if isinstance(o, ir.Vec):
            return ir.Vec(tuple(None if i is None else self.op(i) for i in o.items))
        if isinstance(o, ir.Pair):
            return ir.Pair(self.op(o.first), self.op(o.second))
        if isinstance(o, ir.TensorAddr):
            return ir.TensorAddr(self.op(o.base), tuple(self.op(c) for c in o.coords))
        return o

    def ins(self, ins: ir.Instruction) -> ir.Instruction:
        guard = self.op(ins.guard) if ins.guard is not None else None
        return replace(ins, operands=tuple(self.op(o) for o in ins.operands), guard=guard)


@dataclass
class _Flat:
    body: list[ir.Statement] = field(default_factory=list)
    regs: list[ir.RegDecl] = field(default_factory=list)
    variables: list[ir.Variable] = field(default_factory=list)
    n_calls: int = 0


def _inline(
    module: ir.Module,
    fn: ir.Function,
    out: _Flat,
    prefix: str,
    syms: dict[str, str],
    ret_label: str | None,
    depth: int,
) -> None:
    if depth > 16:
        raise UnsupportedKernel(fn.name, ["calls nest deeper than 16 (recursion?)"])
    regs = {n for d in fn.regs for n in declared_names(d)}
    labels = {s.label for s in fn.body if s.label}
    names = dict(syms)
    for v in fn.variables:
        names[v.name] = prefix + v.name
        out.variables.append(replace(v, name=prefix + v.name))
    rn = _Renamer(prefix, regs, labels, names)
    out.regs.extend(replace(d, name=prefix + d.name) for d in fn.regs)
    funcs = {f.name: f for f in module.functions if not f.entry}
    for st in fn.body:
        if st.label is not None:
            out.body.append(ir.Statement(label=prefix + st.label))
            continue
        ins = st.instruction
        assert ins is not None
        ins = rn.ins(ins)
        if ins.opcode == "ret" and ret_label is not None:
            out.body.append(
                ir.Statement(
                    instruction=replace(
                        ins,
                        opcode="bra",
                        mods=("uni",) if "uni" in ins.mods else (),
                        operands=(ir.Label(ret_label),),
                    )
                )
            )
            continue
        if ins.opcode == "call":
            rets, target, args = ins.operands[0], ins.operands[1], ins.operands[2]
            assert isinstance(rets, ir.Vec) and isinstance(args, ir.Vec)
            name = getattr(target, "name", "")
            if name in _BUILTINS and name not in funcs_with_body(module):
                # device-runtime helpers without a body here: printf prints nothing (its
                # status, read from a zeroed .param, is 0); a failed assert traps
                if name == "__assertfail":
                    out.body.append(
                        ir.Statement(instruction=replace(ins, opcode="trap", mods=(), operands=()))
                    )
                continue
            callee = funcs.get(name)
            if callee is None or callee.body == () or len(ins.operands) > 3:
                raise _CallError(ins, "only direct calls to .func bodies in this PTX")
            if ins.guard is not None:
                raise _CallError(ins, "a guarded call")
            out.n_calls += 1
            sub = f"{callee.name}${out.n_calls}::"
            end = f"{sub}$return"
            binds: dict[str, str] = {}
            for formal, actual in [
                *zip(callee.params, args.items, strict=False),
                *zip(callee.returns, rets.items, strict=False),
            ]:
                if not isinstance(actual, ir.Sym):
                    raise _CallError(ins, "arguments must be .param variables")
                binds[formal.name] = actual.name
            _inline(module, callee, out, sub, binds, end, depth + 1)
            out.body.append(ir.Statement(label=end))
            continue
        out.body.append(ir.Statement(instruction=ins))


_BUILTINS = frozenset({"vprintf", "__assertfail"})


def funcs_with_body(module: ir.Module) -> set[str]:
    return {f.name for f in module.functions if not f.entry and f.body}


class _CallError(Exception):
    def __init__(self, ins: ir.Instruction, why: str) -> None:
        super().__init__(why)
        self.ins = ins


# --------------------------------------------------------------------------- layout


def _place(vs: list[ir.Variable], start: int) -> tuple[dict[str, int], int]:
    out, off = {}, start
    for v in vs:
        off = _align(off, v.align)
        out[v.name] = off
        off += v.size
    return out, off


def _init_bytes(v: ir.Variable) -> np.ndarray:
    buf = np.zeros(max(v.size, 1), np.uint8)
    if v.init:
        w = SIZES.get(v.type, 1)
        if v.type in INIT_DTYPE:
            vals = np.array(v.init, INIT_DTYPE[v.type]).view(np.uint8)
        else:
            ints = [int(x) & ((1 << (8 * w)) - 1) for x in v.init]
            vals = np.array(ints, np.uint64).astype(f"<u{w}").view(np.uint8)
        buf[: min(vals.size, v.size)] = vals[: v.size]
    return buf


def lower(module: ir.Module, kernel: str, table: Table, arch: str) -> Program:
    """Lower ``kernel`` of ``module`` with ``table``'s semantics (see module docstring)."""
    fn = module.kernel(kernel)
    flat = _Flat()
    problems: list[str] = []
    try:
        _inline(module, fn, flat, "", {}, None, 0)
    except _CallError as e:
        problems.append(f"line {e.ins.line}: {e.ins.text.strip() or e.ins.name}: {e}")
        raise UnsupportedKernel(kernel, problems) from None

    # registers
    slots: dict[str, tuple[str, int]] = {}
    counts = {c: 0 for c in ("pred", "b8", "b16", "b32", "b64")}
    reg_types: dict[str, str] = {}
    for d in flat.regs:
        cls = WIDTH_CLASS.get(d.type)
        if cls is None:
            problems.append(f"register {d.name}: type .{d.type} is not supported")
            continue
        for name in declared_names(d):
            slots[name] = (cls, counts[cls])
            reg_types[name] = d.type
            counts[cls] += 1

    # state spaces
    host = HostMemory()
    symbols: dict[str, Symbol] = {}
    mod_shared = [v for v in module.variables if v.space == "shared" and not v.extern]
    fn_shared = [v for v in flat.variables if v.space == "shared" and not v.extern]
    sh, shared_static = _place(mod_shared + fn_shared, 0)
    for v in mod_shared + fn_shared:
        symbols[v.name] = Symbol("shared", sh[v.name], v.size)
    externs = [v for v in [*module.variables, *flat.variables] if v.space == "shared" and v.extern]
    dyn = _align(shared_static, max([16, *(v.align for v in externs)]))
    for v in externs:
        symbols[v.name] = Symbol("shared", dyn, 0)
    local_vars = [v for v in flat.variables if v.space in ("local", "param")]
    lo, local_size = _place(local_vars, 0)
    for v in local_vars:
        symbols[v.name] = Symbol("local", lo[v.name], v.size)
    for v in module.variables:
        if v.space in ("global", "const"):
            a = host.add_array(_init_bytes(v), f"{v.space} variable {v.name}")
            symbols[v.name] = Symbol("host", a.base, v.size)
    params: list[tuple[ir.Param, int]] = []
    off = 0
    for p in fn.params:
        off = _align(off, p.align or SIZES.get(p.type, 1))
        params.append((p, off))
        off += p.size
    pbuf = np.zeros(_align(max(off, 8), 16), np.uint8)
    pa = host.add_array(pbuf, "kernel parameters")
    for p, o in params:
        symbols[p.name] = Symbol("host", pa.base + o, p.size)

    # instructions
    labels: dict[str, int] = {}
    steps: list[Lowered] = []
    for st in flat.body:
        if st.label is not None:
            labels[st.label] = len(steps)
            continue
        ins = st.instruction
        assert ins is not None
        sem = table.get(ins.opcode)
        where = f"line {ins.line}: {ins.text.strip() or ins.name}"
        if sem is None:
            problems.append(f"{where}: opcode {ins.opcode!r} is not supported")
            continue
        try:
            impl = sem.factory(ins)
        except NotSupported as e:
            problems.append(f"{where}: {e}")
            continue
        steps.append(Lowered(len(steps), ins, sem, impl))
    for s in steps:
        for opd in s.ins.operands:
            for lab in _labels_in(opd):
                if lab not in labels:
                    problems.append(f"line {s.ins.line}: unknown label {lab}")
    if problems:
        raise UnsupportedKernel(kernel, problems)
    # a trailing exit so falling off the end retires threads
    ret = ir.Instruction("exit", text="(end of kernel)")
    steps.append(Lowered(len(steps), ret, table["exit"], table["exit"].factory(ret)))
    return Program(
        fn,
        module,
        arch,
        steps,
        labels,
        slots,
        counts,
        symbols,
        params,
        pbuf,
        host,
        shared_static,
        dyn,
        local_size,
        reg_types,
    )


def _labels_in(o: Any) -> list[str]:
    if isinstance(o, ir.Label):
        return [o.name]
    if isinstance(o, ir.Vec):
        return [x.name for x in o.items if isinstance(x, ir.Label)]
    return []


_CACHE: OrderedDict[tuple[str, str, str], Program] = OrderedDict()
CACHE_SIZE = 64
"""Programs kept (least recently used dropped): a tuning run lowers one per config."""


def load(text: str, kernel: str, arch: str, table: Table, parse: Any = None) -> Program:
    """The lowered program for ``kernel`` in PTX ``text``, cached in this process."""
    key = (hashlib.sha256(text.encode()).hexdigest(), kernel, arch)
    prog = _CACHE.get(key)
    if prog is None:
        if parse is None:
            from .ptx.parse import parse_module as parse
        module = parse(text)
        prog = _CACHE[key] = lower(module, kernel, table, arch)
        while len(_CACHE) > CACHE_SIZE:
            _CACHE.popitem(last=False)
    else:
        _CACHE.move_to_end(key)
    return prog
