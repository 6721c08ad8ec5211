"""PTX text to :class:`~kernbench.emulator.ptx.ir.Module`: lark's LALR parser plus a resolver.

The grammar (``ptx.lark``) only shapes the text; the transformer below turns each reduction
into raw tuples as lark reduces it (no parse tree is built), and :mod:`.resolve` then gives
bare names their meaning (register, variable, label) with the nested ``{ }`` scopes of
inline asm flattened by renaming. Parsed modules are cached by text, since the harness parses
the same PTX once per launch.

How forms the ir leaves open are represented (what the machine can rely on):

* ``opcode`` is the first dot-word, ``mods`` the rest, ``::`` kept inside a modifier
  (``shared::cta``). ``text`` is the instruction as written (one line, whitespace collapsed
  when it spanned several); ``line`` is its first token's line; ``loc`` the last ``.loc``.
* A nested scope's declarations (registers, ``.param``/``.local``/``.shared`` variables,
  labels) are renamed ``name$sN``; a ranged declaration there is expanded (``%r<2>`` ->
  ``%r0$s3``, ``%r1$s3``) since ``RegDecl.count`` names ``%r0..`` of one prefix only.
* ``call``: always ``Vec(returns), target, Vec(arguments)`` (empty Vecs when absent), then a
  ``Sym`` for an indirect call's prototype; the target is a ``Sym`` (function) or a ``Reg``.
* ``brx.idx %r, table``: the table operand is a ``Vec`` of the ``.branchtargets`` labels.
* A bare ``_`` operand (a sink destination, ``mbarrier.arrive.b64 _, [..]``) is ``Sym("_")``;
  ``_`` in a brace list is ``None``; in a ``Pair`` it is ``Reg("_")``.
* ``.extern .func`` declarations (``vprintf``) are Functions with an empty body; a
  forward declaration of a function defined later is dropped.
* Variable initializers hold numbers only: an address (``generic(var)``, a function name)
  reads as 0. ``.pragma`` strings become ``directives["pragma <text>"] = ()``.
"""

from __future__ import annotations

import re
import struct
from collections import OrderedDict
from functools import lru_cache
from pathlib import Path
from typing import Any

from lark import Lark, Token, Transformer
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken

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
from .resolve import build_module

__all__ = ["PtxSyntaxError", "parse_module"]


class PtxSyntaxError(ValueError):
    """The text is not PTX this parser reads; the message names the line and column."""

    def __init__(self, message: str, line: int = 0, column: int = 0, text: str = "") -> None:
        where = f"line {line}, column {column}: " if line else ""
        shown = f"\n    {text.strip()}" if text else ""
        super().__init__(f"PTX syntax error at {where}{message}{shown}")
        self.line = line
        self.column = column
        self.text = text


def _int(tok: str) -> int:
    """PTX integer literal: decimal, ``0x`` hex, ``0b`` binary, leading-zero octal, ``U``."""
    s = tok
    neg = s[0] == "-"
    if neg:
        s = s[1:]
    if s[-1] == "U":
        s = s[:-1]
    c = s[:2]
    if c in ("0x", "0X"):
        v = int(s[2:], 16)
    elif c in ("0b", "0B"):
        v = int(s[2:], 2)
    elif len(s) > 1 and s[0] == "0":
        v = int(s, 8)
    else:
        v = int(s)
    return -v if neg else v


def _float(tok: str) -> ir.Imm:
    """``0f``/``0d`` keep their raw bits (NaN payloads survive); decimals are plain floats."""
    s = tok
    neg = s[0] == "-"
    if neg:
        s = s[1:]
    c = s[:2]
    if c in ("0f", "0F"):
        bits = int(s[2:], 16) ^ (0x80000000 if neg else 0)
        return ir.Imm(struct.unpack("<f", bits.to_bytes(4, "little"))[0], bits, 32)
    if c in ("0d", "0D"):
        bits = int(s[2:], 16) ^ (0x8000000000000000 if neg else 0)
        return ir.Imm(struct.unpack("<d", bits.to_bytes(8, "little"))[0], bits, 64)
    v = float(s)
    return ir.Imm(-v if neg else v)


def _reg(tok: str) -> ir.Reg:
    name, dot, comp = str(tok).partition(".")
    return ir.Reg(name, comp) if dot else ir.Reg(name)


class _ToRaw(Transformer[Token, Any]):
    """Callbacks lark runs at each LALR reduction, in source order."""

    def __init__(self) -> None:
        super().__init__(visit_tokens=False)
        self._regs: dict[str, ir.Reg] = {}

    # ---- header ----
    def version(self, c: list[Token]) -> tuple[str, Any]:
        major, minor = c[0].split(".")
        return ("version", (int(major), int(minor)))

    def target(self, c: list[Token]) -> tuple[str, Any]:
        return ("target", tuple(str(t) for t in c))

    def address_size(self, c: list[Token]) -> tuple[str, Any]:
        return ("address_size", _int(c[0]))

    def file(self, c: list[Token]) -> tuple[str, Any]:
        return ("file", (_int(c[0]), _unquote(c[1])))

    def pragma(self, c: list[Token]) -> tuple[str, Any]:
        return ("pragma", tuple(_unquote(t) for t in c))

    # ---- variables ----
    def dot(self, c: list[Token]) -> str:
        return str(c[0][1:])

    def align(self, c: list[Token]) -> int:
        return _int(c[0])

    def attrs(self, c: list[Any]) -> list[Any]:
        return [x for a in c for x in (a if isinstance(a, list) else (a,))]

    def attribute(self, c: list[Token]) -> list[str]:
        return ["attribute", *(str(t)[1:] for t in c)]  # .attribute(.managed)

    def dim(self, c: list[Token | None]) -> int | None:
        return _int(c[0]) if c and c[0] is not None else None

    def dims(self, c: list[int | None]) -> tuple[str, list[int | None]]:
        return ("dims", c)

    def init_num(self, c: list[Token]) -> int | float:
        t = c[0]
        return _float(t).value if t.type == "FLOAT" else _int(t)

    def init_sym(self, c: list[Token]) -> int:
        return 0  # an address initializer; ir.Variable.init holds numbers only

    def init_list(self, c: list[Any]) -> list[Any]:
        return [x for x in c if x is not None]

    def init(self, c: list[Any]) -> tuple[str, list[int | float]]:
        out: list[int | float] = []
        _flatten(c[0], out)
        return ("init", out)

    def var_decl(self, c: list[Any]) -> RawVar:
        attrs, name = c[0], c[1]
        dims: list[int | None] = []
        init: list[int | float] | None = None
        for kind, val in c[2:]:
            if kind == "dims":
                dims = val
            else:
                init = val
        return RawVar(attrs, str(name), dims, init, name.line)

    # ---- functions ----
    def param(self, c: list[Any]) -> RawParam:
        attrs: list[Any] = []
        name: Token | None = None
        dims: list[int | None] = []
        for x in c[1:]:
            if isinstance(x, Token):
                name = x
            elif name is None:
                attrs = x
            else:
                dims = x[1]
        assert name is not None
        return RawParam(attrs, str(name), dims, reg=c[0] == ".reg")

    def returns(self, c: list[RawParam]) -> tuple[str, list[RawParam]]:
        return ("returns", c)

    def params(self, c: list[RawParam | None]) -> tuple[str, list[RawParam]]:
        return ("params", [p for p in c if p is not None])

    def fdirective(self, c: list[Any]) -> tuple[str, Any]:
        return ("fdir", (str(c[0])[1:], tuple(_int(t) for t in c[1:] if t is not None)))

    def fpragma(self, c: list[Token]) -> tuple[str, Any]:
        return ("fdir", ("pragma " + " ".join(_unquote(t) for t in c), ()))

    def function(self, c: list[Any]) -> RawFunction:
        fn = RawFunction()
        for x in c:
            if isinstance(x, Token):
                if x.type == "KIND":
                    fn.entry = x == ".entry"
                    fn.line = x.line or 0
                else:
                    fn.name = str(x)
            elif isinstance(x, RawBlock):
                fn.body = x
            elif isinstance(x, tuple):
                kind, val = x
                if kind == "returns":
                    fn.returns = val
                elif kind == "params":
                    fn.params = val
                else:
                    fn.directives[val[0]] = val[1]
            elif isinstance(x, list):
                fn.attrs = x
        return fn

    # ---- bodies ----
    def block(self, c: list[Any]) -> RawBlock:
        return RawBlock(c[0] if c else [])

    def stmts(self, c: list[Any]) -> list[Any]:
        if len(c) == 1:
            return c
        c[0].append(c[1])
        return c[0]

    def operands(self, c: list[Any]) -> list[Any]:
        if len(c) == 1:
            return c
        c[0].append(c[1])
        return c[0]

    def label(self, c: list[Token]) -> tuple[str, Any]:
        return ("label", c[0].rstrip(": \t"))

    def reg_item(self, c: list[Token]) -> tuple[str, int | None]:
        return (str(c[0]), _int(c[1]) if len(c) > 1 else None)

    def reg_decl(self, c: list[Any]) -> RawRegDecl:
        attrs = c[1]
        return RawRegDecl(".".join(a for a in attrs if isinstance(a, str)), c[2:])

    def loc(self, c: list[Any]) -> RawLoc:
        return RawLoc(_int(c[0]), _int(c[1]), _int(c[2]))

    def loc_attr(self, c: list[Any]) -> None:
        return None

    def branchtargets(self, c: list[Token]) -> tuple[str, Any]:
        return ("branchtargets", tuple(str(t) for t in c))

    def calltargets(self, c: list[Token]) -> tuple[str, Any]:
        return ("calltargets", tuple(str(t) for t in c))

    def callprototype(self, c: list[Any]) -> tuple[str, Any]:
        return ("callprototype", None)

    def proto_list(self, c: list[Any]) -> None:
        return None

    def instruction(self, c: list[Any]) -> RawInstruction:
        first = c[0]
        if first.type == "GUARD":
            g = first[1:].lstrip()
            neg = g[0] == "!"
            if neg:
                g = g[1:].lstrip()
            guard: ir.Reg | Name | None = ir.Reg(g, None, neg) if g[0] == "%" else Name(g, 0, neg)
            op = c[1]
        else:
            guard = None
            op = first
        ops = c[-2] if len(c) > 2 and isinstance(c[-2], list) else []
        return RawInstruction(first, op, ops, guard, c[-1].end_pos)

    # ---- operands ----
    def reg(self, c: list[Token]) -> ir.Reg:
        t = c[0]
        r = self._regs.get(t)
        if r is None:
            r = self._regs[t] = _reg(t)
        return r

    def addr_token(self, c: list[Token]) -> ir.Addr:
        m = _ADDR.match(c[0])
        assert m is not None  # the grammar's ADDR matched it
        base, off = m.group(1), m.group(2)
        offset = _int(off.replace(" ", "").replace("\t", "")) if off else 0
        if base[0] == "%":
            return ir.Addr(self.reg([Token("REG", base)]), offset)
        if base[0].isdigit():
            return ir.Addr(None, _int(base) + offset)
        name: Any = Name(base)  # a bare name: resolve.py decides register or symbol
        return ir.Addr(name, offset)

    def rvec(self, c: list[Token]) -> ir.Vec:
        regs = self._regs
        out = []
        for t in c[0][1:-1].split(","):
            t = t.strip()
            r = regs.get(t)
            if r is None:
                r = regs[t] = _reg(t)
            out.append(r)
        return ir.Vec(tuple(out))

    def negreg(self, c: list[Token]) -> ir.Reg | Name:
        name = c[0][1:].lstrip()
        return ir.Reg(name, None, True) if name[0] == "%" else Name(name, 0, True)

    def name(self, c: list[Token]) -> Name:
        t = c[0]
        if t.type == "NAMECOMP":
            name, _, comp = str(t).partition(".")
            return Name(name, component=comp)
        return Name(str(t), _int(c[1]) if len(c) > 1 else 0)

    def int_imm(self, c: list[Token]) -> ir.Imm:
        return ir.Imm(_int(c[0]))

    def float_imm(self, c: list[Token]) -> ir.Imm:
        return _float(c[0])

    def pair(self, c: list[Token]) -> tuple[str, Any, Any]:
        a, b = (self.reg([t]) if t.type == "REG" else Name(str(t)) for t in c)
        return ("pair", a, b)

    def addr(self, c: list[Any]) -> ir.Addr:
        base = c[0]
        off = _int(c[1]) if len(c) > 1 else 0
        if isinstance(base, ir.Imm):
            return ir.Addr(None, int(base.value) + off)
        return ir.Addr(base, off)

    def tensor_addr(self, c: list[Any]) -> ir.TensorAddr:
        return ir.TensorAddr(c[0], c[1].items)

    def vec(self, c: list[Any]) -> ir.Vec:
        if c and c[-1] is None:
            c = []
        return ir.Vec(tuple(c))

    def paren(self, c: list[Any]) -> Paren:
        if c and c[-1] is None:
            c = []
        return Paren(tuple(c))

    def start(self, c: list[Any]) -> list[Any]:
        return c


_ADDR = re.compile(r"\[\s*([^\s+\-\]]+)\s*(?:\+?\s*(-?\s*\w+)\s*)?\]")


def _unquote(t: str) -> str:
    return t[1:-1].encode().decode("unicode_escape") if t.startswith('"') else t


def _flatten(v: Any, out: list[int | float]) -> None:
    if isinstance(v, list):
        for x in v:
            _flatten(x, out)
    else:
        out.append(v)


@lru_cache(maxsize=1)
def _parser() -> Lark:
    grammar = (Path(__file__).with_name("ptx.lark")).read_text()
    return Lark(
        grammar,
        parser="lalr",
        lexer="contextual",
        transformer=_ToRaw(),
        maybe_placeholders=True,
        cache=True,
    )


_CACHE: OrderedDict[str, ir.Module] = OrderedDict()
_CACHE_SIZE = 16


def parse_module(text: str) -> ir.Module:
    """Parse one PTX text (a whole ``.ptx`` file) into an :class:`ir.Module`.

    Cached by text: repeated calls with the same PTX return the same (immutable) module.
    Raises :class:`PtxSyntaxError` naming the line, column and offending source line.
    """
    mod = _CACHE.get(text)
    if mod is not None:
        _CACHE.move_to_end(text)
        return mod
    mod = _parse(text)
    _CACHE[text] = mod
    if len(_CACHE) > _CACHE_SIZE:
        _CACHE.popitem(last=False)
    return mod


def _parse(text: str) -> ir.Module:
    try:
        items: Any = _parser().parse(text)  # the transformer's list, not a Tree
    except UnexpectedInput as e:
        raise _syntax_error(e, text) from None
    return build_module(items, text)


def _syntax_error(e: UnexpectedInput, text: str) -> PtxSyntaxError:
    line = getattr(e, "line", 0) or 0
    col = getattr(e, "column", 0) or 0
    lines = text.splitlines()
    src = lines[line - 1] if 0 < line <= len(lines) else ""
    if isinstance(e, UnexpectedToken):
        what = "end of input" if e.token.type == "$END" else repr(str(e.token))
        msg = f"unexpected {what}{_expected(e.expected)}"
    elif isinstance(e, UnexpectedCharacters):
        msg = f"unexpected character {e.char!r}{_expected(e.allowed)}"
    elif isinstance(e, UnexpectedEOF):
        msg = f"unexpected end of input{_expected(e.expected)}"
        line = len(lines)
    else:
        msg = str(e).splitlines()[0]
    return PtxSyntaxError(msg, line, col, src)


_DESCRIBE = {
    "OPCODE": "an instruction",
    "REG": "a register",
    "NAME": "a name",
    "INT": "an integer",
    "FLOAT": "a float",
    "ADDR": "an address",
    "RVEC": "a brace list",
    "DOT": "a directive",
    "LABEL": "a label",
    "GUARD": "a guard",
    "STRING": "a string",
    "SEMI": "';'",
    "PARAMKW": "'.param'",
    "REGKW": "'.reg'",
    "KIND": "'.entry' or '.func'",
}


def _expected(names: Any) -> str:
    """`` (expected ';' or ',')``: what the grammar would have taken there, briefly."""
    if not names:
        return ""
    shown: set[str] = set()
    terminals = {t.name: t for t in _parser().terminals}
    for name in names:
        t = terminals.get(name)
        if name in _DESCRIBE:
            shown.add(_DESCRIBE[name])
        elif t is not None and t.pattern.type == "str":
            shown.add(repr(t.pattern.value))
        else:
            shown.add(name.lower())
    if len(shown) > 6:
        return ""
    return " (expected " + " or ".join(sorted(shown)) + ")"
