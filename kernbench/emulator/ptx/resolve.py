"""Raw parse (:mod:`.raw`) to :mod:`.ir`: give names meaning and flatten nested scopes.

A bare name is a register where a ``.reg`` declares it, a variable where a ``.local`` /
``.shared`` / ``.param`` declares it, a branch target for ``bra``, a jump table for
``brx.idx``, else a symbol (module variable, parameter or function). Nested ``{ }`` scopes
(inline asm, call sequences) may redeclare registers, variables and labels; everything a
nested scope declares is renamed ``name$sN`` (N counts scopes in the function) so the flat
body is unambiguous and every register is in ``Function.regs``.
"""

from __future__ import annotations

from typing import Any

from . import ir
from .raw import (
    Name,
    Paren,
    RawBlock,
    RawFunction,
    RawInstruction,
    RawLoc,
    RawParam,
    RawRegDecl,
    RawVar,
)

SIZES = {
    "pred": 1,
    "b8": 1, "u8": 1, "s8": 1,
    "b16": 2, "u16": 2, "s16": 2, "f16": 2, "bf16": 2,
    "b32": 4, "u32": 4, "s32": 4, "f32": 4, "f16x2": 4, "bf16x2": 4, "tf32": 4,
    "b64": 8, "u64": 8, "s64": 8, "f64": 8,
    "b128": 16,
    "texref": 8, "samplerref": 8, "surfref": 8,
}  # fmt: skip
"""Bytes per element of each PTX fundamental type."""

SPACES = {"global", "const", "shared", "local", "param", "tex"}
LINKAGE = {"visible", "extern", "weak", "common"}
_BRANCHES = {"bra", "brx"}
_Env = dict[str, tuple[str, Any]]
"""name -> (kind, value): ("reg", new name), ("var", new name), ("label", new name),
("table", label names)."""


def build_module(items: list[Any], text: str) -> ir.Module:
    """The module from the transformer's top-level items, in source order."""
    version = (0, 0)
    target: tuple[str, ...] = ()
    address_size = 64
    files: dict[int, str] = {}
    variables: list[ir.Variable] = []
    for item in items:
        if isinstance(item, tuple):
            kind, val = item
            if kind == "version":
                version = val
            elif kind == "target":
                target = val
            elif kind == "address_size":
                address_size = val
            elif kind == "file":
                files[val[0]] = val[1]
        elif isinstance(item, RawVar):
            variables.append(_variable(item))
    raw_fns = [x for x in items if isinstance(x, RawFunction)]
    defined = {f.name for f in raw_fns if f.body is not None}
    functions = [
        _function(f, text, files) for f in raw_fns if f.body is not None or f.name not in defined
    ]
    return ir.Module(version, target, address_size, tuple(variables), tuple(functions), files)


def _split_attrs(attrs: list[Any]) -> tuple[str, str | None, str | None, int | None, set[str]]:
    """Dot-words of a declaration: (type, space, ptr space, align, other words)."""
    type_ = ""
    vec = ""
    space: str | None = None
    ptr_space: str | None = None
    align: int | None = None
    other: set[str] = set()
    after_ptr = False
    for a in attrs:
        if isinstance(a, int):
            if not after_ptr:  # `.ptr [.space] .align N` aligns the pointee, not the parameter
                align = a
            continue
        base = a.split("::", 1)[0]
        if a == "ptr":
            after_ptr = True
        elif base in SPACES:
            if after_ptr:
                ptr_space = a
            else:
                space = a
        elif a in SIZES:
            type_ = a
        elif a[0] == "v" and a[1:].isdigit():
            vec = a
        else:
            other.add(a)
    full = f"{vec}.{type_}" if vec else type_
    return full, space, ptr_space, align, other


def type_size(type_: str) -> int:
    """Bytes of one element of a type spelled like ``f32`` or ``v4.f32``."""
    vec, _, base = type_.rpartition(".")
    n = int(vec[1:]) if vec else 1
    return SIZES.get(base, 0) * n


def _variable(raw: RawVar, name: str | None = None) -> ir.Variable:
    type_, space, _, align, other = _split_attrs(raw.attrs)
    elem = type_size(type_)
    dims = list(raw.dims)
    init = tuple(raw.init) if raw.init is not None else ()
    if dims and dims[0] is None and init:
        inner = 1
        for d in dims[1:]:
            inner *= d or 1
        vec = elem // max(SIZES.get(type_.rpartition(".")[2], 1), 1)
        dims[0] = -(-len(init) // (inner * vec))
    count = 1
    for d in dims:
        count *= d or 0
    return ir.Variable(
        space=space or "global",
        name=name or raw.name,
        type=type_,
        size=elem * count,
        align=align or elem or 1,
        extern="extern" in other,
        init=init,
        array=tuple(d or 0 for d in dims),
    )


def _param(raw: RawParam) -> ir.Param:
    type_, _, ptr_space, align, _ = _split_attrs(raw.attrs)
    elem = type_size(type_)
    count = 1
    for d in raw.dims:
        count *= d or 0
    return ir.Param(raw.name, type_, elem * count, align or elem or 1, ptr_space)


class _FunctionBuilder:
    """Walks one function's nested blocks, emitting the flat body."""

    def __init__(self, text: str, files: dict[int, str]) -> None:
        self.text = text
        self.files = files
        self.regs: list[ir.RegDecl] = []
        self.variables: list[ir.Variable] = []
        self.body: list[ir.Statement] = []
        self.loc: ir.Location | None = None
        self.scopes = 0
        self._locs: dict[tuple[int, int, int], ir.Location] = {}

    def block(self, block: RawBlock, outer: _Env, depth: int) -> None:
        env = self._declare(block, outer, depth)
        items = block.items
        n = len(items)
        for i, item in enumerate(items):
            if isinstance(item, RawInstruction):
                self.body.append(ir.Statement(instruction=self._instruction(item, env)))
            elif isinstance(item, RawLoc):
                key = (item.file, item.line, item.column)
                loc = self._locs.get(key)
                if loc is None:
                    f = self.files.get(item.file, str(item.file))
                    loc = self._locs[key] = ir.Location(f, item.line, item.column)
                self.loc = loc
            elif isinstance(item, RawBlock):
                self.block(item, env, depth + 1)
            elif isinstance(item, tuple) and item[0] == "label":
                nxt = items[i + 1] if i + 1 < n else None
                if isinstance(nxt, tuple) and nxt[0] in _TABLES:
                    continue  # names a jump table or prototype, not code
                self.body.append(ir.Statement(label=env.get(item[1], ("", item[1]))[1]))

    def _declare(self, block: RawBlock, outer: _Env, depth: int) -> _Env:
        """This block's declarations: registers, variables, labels, jump tables."""
        env: _Env = dict(outer) if depth else outer
        suffix = ""
        if depth:
            self.scopes += 1
            suffix = f"$s{self.scopes}"
        items = block.items
        for i, item in enumerate(items):
            if isinstance(item, RawRegDecl):
                for name, count in item.items:
                    if count is None:
                        env[name] = ("reg", name + suffix)
                        self.regs.append(ir.RegDecl(item.type, name + suffix))
                    elif depth:
                        for k in range(count):
                            env[f"{name}{k}"] = ("reg", f"{name}{k}{suffix}")
                            self.regs.append(ir.RegDecl(item.type, f"{name}{k}{suffix}"))
                    else:
                        if name[0] != "%":
                            for k in range(count):
                                env[f"{name}{k}"] = ("reg", f"{name}{k}")
                        self.regs.append(ir.RegDecl(item.type, name, count))
            elif isinstance(item, RawVar):
                env[item.name] = ("var", item.name + suffix)
                self.variables.append(_variable(item, item.name + suffix))
            elif isinstance(item, tuple) and item[0] == "label":
                nxt = items[i + 1] if i + 1 < len(items) else None
                if isinstance(nxt, tuple) and nxt[0] == "branchtargets":
                    env[item[1]] = ("table", nxt[1])
                elif isinstance(nxt, tuple) and nxt[0] in _TABLES:
                    env[item[1]] = ("var", item[1])  # a prototype: named, never jumped to
                elif depth:
                    env[item[1]] = ("label", item[1] + suffix)
        return env

    def _instruction(self, raw: RawInstruction, env: _Env) -> ir.Instruction:
        op = raw.opcode
        opcode, *mods = op.split(".")
        ops = [self._operand(o, env, opcode) for o in raw.operands]
        if opcode == "call":
            ops = _call_operands(ops)
        guard = raw.guard
        if guard is not None:
            g = self._operand(guard, env, opcode)
            guard = g if isinstance(g, ir.Reg) else ir.Reg(guard.name, None, guard.negated)
        first = raw.first
        text = self.text[first.start_pos : raw.end]
        if "\n" in text:  # one line for findings and listings
            text = " ".join(text.split())
        return ir.Instruction(
            opcode,
            tuple(mods),
            tuple(ops),
            guard,
            first.line or 0,
            self.loc,
            text,
        )

    def _operand(self, o: Any, env: _Env, opcode: str) -> Any:
        t = type(o)
        if t is ir.Reg:
            if env and o.name in env:
                kind, new = env[o.name]
                if kind == "reg":
                    return ir.Reg(new, o.component, o.negated)
            return o
        if t is ir.Imm:
            return o
        if t is Name:
            found = env.get(o.name)
            if found is not None:
                kind, new = found
                if kind == "reg":
                    return ir.Reg(new, o.component, o.negated)
                if kind == "var":
                    return ir.Sym(new, o.offset)
                if kind == "label":
                    return ir.Label(new)
                return ir.Vec(tuple(ir.Label(env.get(x, ("", x))[1]) for x in new))
            if o.negated or o.component:
                return ir.Reg(o.name, o.component, o.negated)
            if opcode in _BRANCHES:
                return ir.Label(o.name)
            return ir.Sym(o.name, o.offset)
        if t is ir.Addr:
            base = o.base
            if base is None:
                return o
            b = self._operand(base, env, "")
            if isinstance(b, ir.Sym) and b.offset:
                return ir.Addr(ir.Sym(b.name), o.offset + b.offset)
            return o if b is base else ir.Addr(b, o.offset)
        if t is ir.Vec:
            return ir.Vec(
                tuple(
                    None if type(x) is Name and x.name == "_" else self._operand(x, env, "")
                    for x in o.items
                )
            )
        if t is ir.TensorAddr:
            base = self._operand(o.base, env, "")
            return ir.TensorAddr(base, tuple(self._operand(x, env, "") for x in o.coords))
        if t is Paren:
            return Paren(tuple(self._operand(x, env, "") for x in o.items))
        if t is tuple:  # ("pair", a, b)
            a = self._operand(o[1], env, "")
            b = self._operand(o[2], env, "")
            return ir.Pair(_as_reg(a), _as_reg(b))
        raise TypeError(f"unexpected operand {o!r}")


_TABLES = {"branchtargets", "calltargets", "callprototype"}


def _as_reg(x: Any) -> ir.Reg:
    if isinstance(x, ir.Reg):
        return x
    return ir.Reg(getattr(x, "name", str(x)))


def _call_operands(ops: list[Any]) -> list[Any]:
    """``call (rets), f, (args)[, proto]`` -> ``Vec(rets), Sym f, Vec(args)[, Sym proto]``."""
    rest = list(ops)
    rets: tuple[Any, ...] = ()
    args: tuple[Any, ...] = ()
    if rest and isinstance(rest[0], Paren):
        rets = rest.pop(0).items
    fn = rest.pop(0) if rest else ir.Sym("")
    if isinstance(fn, ir.Label):
        fn = ir.Sym(fn.name)
    if rest and isinstance(rest[0], Paren):
        args = rest.pop(0).items
    return [ir.Vec(rets), fn, ir.Vec(args), *rest]


def _function(raw: RawFunction, text: str, files: dict[int, str]) -> ir.Function:
    b = _FunctionBuilder(text, files)
    env: _Env = {}
    for p in (*raw.returns, *raw.params):
        if p.reg:  # `.func (.reg .b32 r) f(.reg .b32 a)`: registers of the body
            b.regs.append(ir.RegDecl(_split_attrs(p.attrs)[0], p.name))
            env[p.name] = ("reg", p.name)
    if raw.body is not None:
        b.block(raw.body, env, 0)
    return ir.Function(
        name=raw.name,
        entry=raw.entry,
        params=tuple(_param(p) for p in raw.params),
        returns=tuple(_param(p) for p in raw.returns),
        regs=tuple(b.regs),
        variables=tuple(b.variables),
        body=tuple(b.body),
        directives=dict(raw.directives),
        line=raw.line,
    )
