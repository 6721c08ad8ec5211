"""Config parameters that never reach the kernel, found by reading a variant's code.

A space parameter that nothing reads is a knob that does nothing: the tuner spends trials on it
and reports noise as its effect. When a variant loads, the registry asks :func:`idle_params`
which of its parameters are read nowhere in the code that turns a config into launches:

- the variant's module (its ``build``, ``plan`` and Triton kernels: a kernel parameter named
  like the config key counts), read as Python syntax, not text;
- the Python files named in ``sources`` and every function the config is handed to
  (``launch_options(config)``, a shared helper), followed across modules;
- the other files in ``sources`` (CUDA C++: config values arrive as macros) as words, with the
  headers they ``#include`` beside them.

Mentions that are not reads do not count: a parameter's declaration (``Pow2("BLOCK_M", ...)``),
the keys of a dict of constants (the defaults) and the space's constraints. Where the whole
config escapes (``**config``, ``config.items()``, iterating over it) the Python cannot tell what
is read: then only kernel sources can show a parameter unused, and without them nothing is
reported. The check never runs or compiles anything, and it errs towards silence.
"""

from __future__ import annotations

import ast
import inspect
import re
import sys
import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from .variant import Variant

DECLARERS = frozenset({"Pow2", "Int", "Categorical", "Param"})
"""Calls whose first argument declares a parameter's name (not a read of it)."""
ESCAPES = frozenset({"items", "keys", "values", "copy"})
"""Methods that hand over every key of the config at once."""
CONFIG_NAMES = frozenset({"config", "cfg"})
_INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.MULTILINE)


def idle_params(variant: Variant) -> list[str]:
    """The variant's space parameters that its code never reads (see the module docstring)."""
    names = set(variant.space.names)
    if not names:
        return []
    module = inspect.getmodule(variant.build)
    if module is None or getattr(module, "__file__", None) is None:
        return []
    reading = _Reading(names, _config_names(variant.build), _constraint_spans(variant))
    reading.scan_file(Path(module.__file__ or ""), vars(module))
    words: set[str] = set()
    for source in variant.sources:
        if source.suffix == ".py":
            owner = _module_of(source, module.__package__)
            reading.scan_file(source, vars(owner) if owner is not None else {})
        else:
            words |= _kernel_words(source)
    if reading.escaped and not words:
        return []
    return [p for p in variant.space.names if p not in reading.read and p not in words]


def _config_names(build: Callable[..., Any]) -> set[str]:
    """The names a config goes by: ``config``, and whatever ``build`` calls its second argument."""
    try:
        params = list(inspect.signature(build).parameters)
    except (TypeError, ValueError):
        params = []
    return {*CONFIG_NAMES, *params[1:2]}


def _constraint_spans(variant: Variant) -> set[tuple[str, int]]:
    """(file, first line) of each constraint function: its reads are not the kernel's."""
    spans = set()
    for rule in variant.space.constraints:
        try:
            spans.add(
                (
                    str(Path(inspect.getsourcefile(rule) or "").resolve()),
                    rule.__code__.co_firstlineno,
                )
            )
        except (TypeError, AttributeError):
            continue
    return spans


def _module_of(path: Path, package: str | None) -> Any:
    """The imported module of a Python source file (a sibling of the variant's module)."""
    sibling = sys.modules.get(f"{package}.{path.stem}") if package else None
    if getattr(sibling, "__file__", None) and Path(sibling.__file__).resolve() == path.resolve():  # type: ignore[union-attr,arg-type]
        return sibling
    path = path.resolve()
    for module in list(sys.modules.values()):
        file = getattr(module, "__file__", None)
        if file and file.endswith(path.name) and Path(file).resolve() == path:
            return module
    return None


def _kernel_words(path: Path, seen: set[Path] | None = None) -> set[str]:
    """The identifiers of a kernel source and of the headers it includes from beside it."""
    seen = seen if seen is not None else set()
    if path in seen or not path.is_file():
        return set()
    seen.add(path)
    text = path.read_text(errors="replace")
    words = set(re.findall(r"\w+", text))
    for name in _INCLUDE.findall(text):
        words |= _kernel_words(path.parent / name, seen)
    return words


@dataclass(frozen=True)
class _Event:
    """One thing a piece of code does with names, kept so that a file shared by many
    variants is parsed and walked once: a mention of a name, a name whose every key escapes
    (``**x``, ``x.items()``), or a call handing names to a callee."""

    kind: str  # "mention", "escape" or "call"
    name: str  # the name mentioned or escaping; for a call, its callee's name
    attr: str | None = None  # a call of ``module.attr``
    args: frozenset[str] = frozenset()  # the plain names a call hands over
    defs: tuple[int, ...] = ()  # the lines the enclosing functions start at (with decorators)


class _Events(ast.NodeVisitor):
    def __init__(self, offset: int) -> None:
        self.offset = offset
        self.events: list[_Event] = []
        self.declared: set[int] = set()
        self.defs: list[int] = []

    def add(self, kind: str, name: str, **kw: Any) -> None:
        self.events.append(_Event(kind, name, defs=tuple(self.defs), **kw))

    def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        first = min([node.lineno, *(d.lineno for d in node.decorator_list)]) + self.offset
        lines = range(first, node.lineno + self.offset + 1)
        self.defs.extend(lines)
        self.generic_visit(node)
        del self.defs[len(self.defs) - len(lines) :]

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_Call(self, node: ast.Call) -> None:
        if _called_name(node) in ("dict", "list", "tuple", "sorted", "set"):
            for a in node.args:
                if isinstance(a, ast.Name):
                    self.add("escape", a.id)
        handed = frozenset(
            v.id for v in [*node.args, *(k.value for k in node.keywords)] if isinstance(v, ast.Name)
        )
        if handed and isinstance(node.func, ast.Name):
            self.add("call", node.func.id, args=handed)
        elif (
            handed
            and isinstance(node.func, ast.Attribute)
            and isinstance(node.func.value, ast.Name)
        ):
            self.add("call", node.func.value.id, attr=node.func.attr, args=handed)
        self.generic_visit(node)

    def visit_Dict(self, node: ast.Dict) -> None:
        for k, v in zip(node.keys, node.values, strict=True):
            if k is None and isinstance(v, ast.Name):
                self.add("escape", v.id)  # {**config}
        self.generic_visit(node)

    def visit_Constant(self, node: ast.Constant) -> None:
        value = node.value
        if isinstance(value, str) and value.isidentifier() and id(node) not in self.declared:
            self.add("mention", value)

    def visit_Name(self, node: ast.Name) -> None:
        self.add("mention", node.id)

    def visit_arg(self, node: ast.arg) -> None:
        self.add("mention", node.arg)  # a Triton kernel's parameter of that name
        self.generic_visit(node)

    def visit_keyword(self, node: ast.keyword) -> None:
        if node.arg is not None:
            self.add("mention", node.arg)
        elif isinstance(node.value, ast.Name):
            self.add("escape", node.value.id)  # f(**config)
        self.generic_visit(node)

    def visit_Attribute(self, node: ast.Attribute) -> None:
        if node.attr in ESCAPES and isinstance(node.value, ast.Name):
            self.add("escape", node.value.id)
        self.generic_visit(node)

    def visit_For(self, node: ast.For) -> None:
        if isinstance(node.iter, ast.Name):
            self.add("escape", node.iter.id)
        self.generic_visit(node)

    def visit_comprehension(self, node: ast.comprehension) -> None:
        if isinstance(node.iter, ast.Name):
            self.add("escape", node.iter.id)
        self.generic_visit(node)


def _events_of(tree: ast.AST, offset: int) -> list[_Event]:
    visitor = _Events(offset)
    # Declarations first: a Param's name, and the keys of a dict of constants ({"num_stages":
    # 3}, a default), are mentions that are not reads.
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and _called_name(node) in DECLARERS and node.args:
            visitor.declared.add(id(node.args[0]))
        elif isinstance(node, ast.Dict):
            for k, v in zip(node.keys, node.values, strict=True):
                if k is not None and isinstance(v, ast.Constant):
                    visitor.declared.add(id(k))
    visitor.visit(tree)
    return visitor.events


@lru_cache(maxsize=256)
def _file_events(path: str) -> list[_Event]:
    try:
        tree = ast.parse(Path(path).read_text(), filename=path)
    except (OSError, SyntaxError, ValueError):
        return []
    return _events_of(tree, 0)


_FUNCTION_EVENTS: dict[Any, tuple[str, list[_Event]]] = {}


def _function_events(func: Any) -> tuple[str, list[_Event]]:
    if func not in _FUNCTION_EVENTS:
        try:
            file = str(Path(inspect.getsourcefile(func) or "").resolve())
            lines, first = inspect.getsourcelines(func)
            tree = ast.parse(textwrap.dedent("".join(lines)))
        except (OSError, TypeError, SyntaxError):
            file, tree, first = "", None, 1
        _FUNCTION_EVENTS[func] = (file, _events_of(tree, first - 1) if tree is not None else [])
    return _FUNCTION_EVENTS[func]


class _Reading:
    """What the scanned code reads, across the files and functions the config reaches."""

    def __init__(self, names: set[str], config_names: set[str], skip: set[tuple[str, int]]):
        self.names = names
        self.config_names = config_names
        self.skip = skip
        self.read: set[str] = set()
        self.escaped = False
        self.files: set[str] = set()
        self.functions: set[Any] = set()

    def scan_file(self, path: Path, namespace: dict[str, Any]) -> None:
        key = str(path.resolve())
        if key not in self.files:
            self.files.add(key)
            self._take(_file_events(key), namespace, key)

    def _scan_function(self, func: Any) -> None:
        func = inspect.unwrap(func)
        if func in self.functions or not inspect.isfunction(func):
            return
        self.functions.add(func)
        file, events = _function_events(func)
        if file and file not in self.files:  # else read whole already
            self._take(events, func.__globals__, file)

    def _take(self, events: list[_Event], namespace: dict[str, Any], file: str) -> None:
        for ev in events:
            if any((file, line) in self.skip for line in ev.defs):
                continue  # inside a constraint: its reads are not the kernel's
            if ev.kind == "mention":
                if ev.name in self.names:
                    self.read.add(ev.name)
            elif ev.kind == "escape":
                self.escaped = self.escaped or ev.name in self.config_names
            elif ev.args & self.config_names:
                found = namespace.get(ev.name)
                if ev.attr is not None:
                    found = getattr(found, ev.attr, None)
                if found is not None:
                    self._scan_function(found)


def _called_name(call: ast.Call) -> str | None:
    if isinstance(call.func, ast.Name):
        return call.func.id
    if isinstance(call.func, ast.Attribute):
        return call.func.attr
    return None
