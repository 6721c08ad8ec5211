"""The layers read one way: the static check builds on the variant contract, never the reverse.

A small AST scan of every import in the two modules (``TYPE_CHECKING`` blocks included), so a
back-reference cannot hide behind a type-only import.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "kernbench"


def imported_modules(module: str) -> set[str]:
    """Dotted names of the kernbench modules that ``module`` imports anywhere in its file."""
    path = PACKAGE.joinpath(*module.split(".")[1:]).with_suffix(".py")
    package = module.rsplit(".", 1)[0].split(".")
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names if a.name.startswith("kernbench"))
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            name = ".".join([*base, *(node.module or "").split(".")]).strip(".")
            if node.module is None:
                out.update(f"{name}.{a.name}" for a in node.names)
            else:
                out.add(name)
    return {m for m in out if m.startswith("kernbench")}


def test_the_variant_contract_does_not_import_the_static_check() -> None:
    assert "kernbench.staticcheck" not in imported_modules("kernbench.variant")
    assert "kernbench.variant" in imported_modules("kernbench.staticcheck")


def test_the_target_limits_import_neither() -> None:
    below = imported_modules("kernbench.target")
    assert not below & {"kernbench.variant", "kernbench.staticcheck"}


def test_the_scan_sees_type_checking_imports() -> None:
    assert "kernbench.device" in imported_modules("kernbench.target")
    assert "kernbench.measure.outcome" in imported_modules("kernbench.staticcheck")
