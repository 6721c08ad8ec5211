"""PTX text to :class:`~kernbench.emulator.ptx.ir.Module`: lark's LALR parser plus a resolver.

The grammar (``ptx.lark``) only shapes the text; :mod:`.transform` turns each reduction
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

from collections import OrderedDict
from functools import lru_cache
from pathlib import Path
from typing import Any

from lark import Lark
from lark.exceptions import UnexpectedInput

from . import ir
from .errors import PtxSyntaxError, syntax_error
from .resolve import build_module
from .transform import ToRaw

__all__ = ["PtxSyntaxError", "parse_module"]

_TRANSFORMER = ToRaw()


@lru_cache(maxsize=1)
def _parser() -> Lark:
    grammar = (Path(__file__).with_name("ptx.lark")).read_text()
    return Lark(
        grammar,
        parser="lalr",
        lexer="contextual",
        transformer=_TRANSFORMER,
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
    parser = _parser()
    try:
        items: Any = parser.parse(text)  # the transformer's list, not a Tree
    except UnexpectedInput as e:
        raise syntax_error(e, text, parser) from None
    except PtxSyntaxError as e:  # raised by a callback: show the line it is about
        lines = text.splitlines()
        src = lines[e.line - 1] if 0 < e.line <= len(lines) else ""
        raise PtxSyntaxError(e.reason, e.line, e.column, src) from None
    finally:
        _TRANSFORMER.forget()
    if not any(isinstance(x, tuple) and x[0] == "version" for x in items):
        first = next((ln for ln in text.splitlines() if ln.strip()), "")
        raise PtxSyntaxError(
            "PTX starts with a .version directive; this text has none", 1, 1, first
        )
    return build_module(items, text)
