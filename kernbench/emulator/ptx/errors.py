"""Syntax errors that say where (line, column, the line itself) and what was expected."""

from __future__ import annotations

from typing import Any

from lark import Lark
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken


class PtxSyntaxError(ValueError):
    """The text is not PTX this parser reads; the message names the line and column."""

    def __init__(self, message: str, line: int = 0, column: int = 0, text: str = "") -> None:
        where = f"line {line}, column {column}: " if line else ""
        shown = f"\n    {text.strip()}" if text else ""
        super().__init__(f"PTX syntax error at {where}{message}{shown}")
        self.reason = message
        self.line = line
        self.column = column
        self.text = text


def syntax_error(e: UnexpectedInput, text: str, parser: Lark) -> PtxSyntaxError:
    """lark's error for ``text`` as a PtxSyntaxError (``parser`` names the terminals)."""
    line = getattr(e, "line", 0) or 0
    col = getattr(e, "column", 0) or 0
    lines = text.splitlines()
    src = lines[line - 1] if 0 < line <= len(lines) else ""
    if isinstance(e, UnexpectedToken):
        what = "end of input" if e.token.type == "$END" else repr(str(e.token))
        msg = f"unexpected {what}{_expected(e.expected, parser)}"
    elif isinstance(e, UnexpectedCharacters):
        msg = f"unexpected character {e.char!r}{_expected(e.allowed, parser)}"
    elif isinstance(e, UnexpectedEOF):
        msg = f"unexpected end of input{_expected(e.expected, parser)}"
        line = len(lines)
    else:
        msg = str(e).splitlines()[0]
    return PtxSyntaxError(msg, line, col, src)


_DESCRIBE = {
    "OPCODE": "an instruction",
    "REG": "a register",
    "NAME": "a name",
    "INT": "an integer",
    "CEXPR": "an integer",
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


def _expected(names: Any, parser: Lark) -> str:
    """`` (expected ';' or ',')``: what the grammar would have taken there, briefly."""
    if not names:
        return ""
    shown: set[str] = set()
    terminals = {t.name: t for t in parser.terminals}
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
