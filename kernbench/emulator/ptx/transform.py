"""The transformer lark runs at each LALR reduction: PTX text to :mod:`.raw` items.

Literals are decoded here (integers in every PTX base, ``0f``/``0d`` floats with their bits);
bare names stay :class:`~.raw.Name` for :mod:`.resolve` to give meaning.
"""

from __future__ import annotations

import re
import struct
from typing import Any

from lark import Token, Transformer

from . import ir
from .errors import PtxSyntaxError
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


def parse_int(tok: str) -> int:
    """PTX integer literal: decimal, ``0x`` hex, ``0b`` binary, leading-zero octal, ``U``;
    or a parenthesised constant expression (:func:`evaluate`)."""
    s = tok
    if s[0] == "(":
        try:
            return evaluate(s)
        except ValueError as e:  # the text shown is added by parse.py
            line, column = getattr(tok, "line", 0), getattr(tok, "column", 0)
            raise PtxSyntaxError(str(e), line or 0, column or 0) from None
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


def parse_float(tok: str) -> ir.Imm:
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


_CTOKEN = re.compile(
    r"\s*(?:(0[xX][0-9a-fA-F]+U?|0[bB][01]+U?|\d+U?)|(<<|>>|&&|\|\||==|!=|<=|>=|[-+*/%&|^~!<>()]))"
)
_BINARY = {
    "||": 1, "&&": 2, "|": 3, "^": 4, "&": 5, "==": 6, "!=": 6,
    "<": 7, "<=": 7, ">": 7, ">=": 7, "<<": 8, ">>": 8, "+": 9, "-": 9, "*": 10, "/": 10, "%": 10,
}  # fmt: skip
"""C's binary operators and their precedence (higher binds tighter), as PTX defines them."""


def evaluate(expr: str) -> int:
    """An integer constant expression (PTX ISA "Constant Expressions": C operators and
    precedence, 64-bit integers, division truncating toward zero), e.g. ``((1 << 12) - 1)``."""
    tokens: list[str] = []
    pos = 0
    text = expr.rstrip()
    while pos < len(text):
        m = _CTOKEN.match(text, pos)
        if m is None:
            raise ValueError(f"not a constant expression: {expr}")
        tokens.append(m.group(1) or m.group(2))
        pos = m.end()
    value, rest = _binary(tokens, 0, 0)
    if rest != len(tokens):
        raise ValueError(f"not a constant expression: {expr}")
    value &= (1 << 64) - 1
    return value - (1 << 64) if value >> 63 else value


def _binary(tokens: list[str], i: int, floor: int) -> tuple[int, int]:
    """Precedence climbing from ``tokens[i]``: (value, index after it)."""
    left, i = _unary(tokens, i)
    while i < len(tokens) and _BINARY.get(tokens[i], 0) > floor:
        op = tokens[i]
        right, i = _binary(tokens, i + 1, _BINARY[op])
        left = _apply(op, left, right)
    return left, i


def _unary(tokens: list[str], i: int) -> tuple[int, int]:
    if i >= len(tokens):
        raise ValueError("constant expression ends early")
    t = tokens[i]
    if t == "(":
        value, i = _binary(tokens, i + 1, 0)
        if i >= len(tokens) or tokens[i] != ")":
            raise ValueError("unbalanced parentheses in a constant expression")
        return value, i + 1
    if t in ("-", "+", "~", "!"):
        value, i = _unary(tokens, i + 1)
        return {"-": -value, "+": value, "~": ~value, "!": int(not value)}[t], i
    return parse_int(t), i + 1


def _apply(op: str, a: int, b: int) -> int:
    if op in ("/", "%"):
        if b == 0:
            raise ValueError("division by zero in a constant expression")
        q = abs(a) // abs(b) * (1 if (a < 0) == (b < 0) else -1)  # C: toward zero
        return q if op == "/" else a - q * b
    return {
        "||": lambda: int(bool(a) or bool(b)), "&&": lambda: int(bool(a) and bool(b)),
        "|": lambda: a | b, "^": lambda: a ^ b, "&": lambda: a & b,
        "==": lambda: int(a == b), "!=": lambda: int(a != b), "<": lambda: int(a < b),
        "<=": lambda: int(a <= b), ">": lambda: int(a > b), ">=": lambda: int(a >= b),
        "<<": lambda: a << b, ">>": lambda: a >> b, "+": lambda: a + b, "-": lambda: a - b,
        "*": lambda: a * b,
    }[op]()  # fmt: skip


def _reg(tok: str) -> ir.Reg:
    name, dot, comp = str(tok).partition(".")
    return ir.Reg(name, comp) if dot else ir.Reg(name)


class ToRaw(Transformer[Token, Any]):
    """Callbacks lark runs at each LALR reduction, in source order."""

    def __init__(self) -> None:
        super().__init__(visit_tokens=False)
        self._regs: dict[str, ir.Reg] = {}

    def forget(self) -> None:
        """Drop the register objects shared within one parse (bounded memory across parses)."""
        self._regs = {}

    # ---- header ----
    def version(self, c: list[Token]) -> tuple[str, Any]:
        major, minor = c[0].split(".")
        return ("version", (int(major), int(minor)))

    def target(self, c: list[Token]) -> tuple[str, Any]:
        return ("target", tuple(str(t) for t in c))

    def address_size(self, c: list[Token]) -> tuple[str, Any]:
        return ("address_size", parse_int(c[0]))

    def file(self, c: list[Token]) -> tuple[str, Any]:
        return ("file", (parse_int(c[0]), _unquote(c[1])))

    def pragma(self, c: list[Token]) -> tuple[str, Any]:
        return ("pragma", tuple(_unquote(t) for t in c))

    # ---- variables ----
    def dot(self, c: list[Token]) -> str:
        return str(c[0][1:])

    def align(self, c: list[Token]) -> int:
        return parse_int(c[0])

    def attrs(self, c: list[Any]) -> list[Any]:
        return [x for a in c for x in (a if isinstance(a, list) else (a,))]

    def attribute(self, c: list[Token]) -> list[str]:
        return ["attribute", *(str(t)[1:] for t in c)]  # .attribute(.managed)

    def dim(self, c: list[Token | None]) -> int | None:
        return parse_int(c[0]) if c and c[0] is not None else None

    def dims(self, c: list[int | None]) -> tuple[str, list[int | None]]:
        return ("dims", c)

    def init_num(self, c: list[Token]) -> int | float:
        t = c[0]
        return parse_float(t).value if t.type == "FLOAT" else parse_int(t)

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
        return ("fdir", (str(c[0])[1:], tuple(parse_int(t) for t in c[1:] if t is not None)))

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
        return (str(c[0]), parse_int(c[1]) if len(c) > 1 else None)

    def reg_decl(self, c: list[Any]) -> RawRegDecl:
        attrs = c[1]
        return RawRegDecl(".".join(a for a in attrs if isinstance(a, str)), c[2:])

    def loc(self, c: list[Any]) -> RawLoc:
        return RawLoc(parse_int(c[0]), parse_int(c[1]), parse_int(c[2]))

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
        offset = parse_int(off.replace(" ", "").replace("\t", "")) if off else 0
        if base[0] == "%":
            return ir.Addr(self.reg([Token("REG", base)]), offset)
        if base[0].isdigit():
            return ir.Addr(None, parse_int(base) + offset)
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
        return Name(str(t), parse_int(c[1]) if len(c) > 1 else 0)

    def int_imm(self, c: list[Token]) -> ir.Imm:
        return ir.Imm(parse_int(c[0]))

    def float_imm(self, c: list[Token]) -> ir.Imm:
        return parse_float(c[0])

    def pair(self, c: list[Token]) -> tuple[str, Any, Any]:
        a, b = (self.reg([t]) if t.type == "REG" else Name(str(t)) for t in c)
        return ("pair", a, b)

    def addr(self, c: list[Any]) -> ir.Addr:
        base = c[0]
        off = parse_int(c[1]) if len(c) > 1 else 0
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
    """A PTX string's text: ``\\x`` is ``x`` (Windows paths in ``.file`` are ``C:\\\\src``)."""
    return _ESCAPE.sub(r"\1", t[1:-1]) if t.startswith('"') else t


_ESCAPE = re.compile(r"\\(.)")


def _flatten(v: Any, out: list[int | float]) -> None:
    if isinstance(v, list):
        for x in v:
            _flatten(x, out)
    else:
        out.append(v)
