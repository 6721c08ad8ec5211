"""Packaging: every package directory is installed, under the names users import."""

from __future__ import annotations

import sys
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[1]


def test_every_package_is_listed_in_pyproject() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    listed = set(config["packages"])
    found = set()
    for top, name in (("kernbench", "kernbench"), ("kernels", "kernbench_kernels")):
        for init in (ROOT / top).rglob("__init__.py"):
            rel = init.parent.relative_to(ROOT / top)
            found.add(".".join([name, *rel.parts]))
    assert found == listed, f"missing: {found - listed}, stale: {listed - found}"


def test_no_top_level_kernels_package_is_installed(tmp_path: Path) -> None:
    """``kernels`` on PyPI is another project: ours installs as ``kernbench_kernels``."""
    import subprocess

    code = (
        "import importlib.util as u; "
        "assert u.find_spec('kernbench_kernels.gemm') is not None; "
        "spec = u.find_spec('kernels'); "
        "assert spec is None or 'kernbench' not in str(spec.origin), spec"
    )
    subprocess.run([sys.executable, "-c", code], cwd=tmp_path, check=True)
