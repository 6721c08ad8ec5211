"""An out-of-tree package registers a variant through the entry point, with no change to kernbench."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import kernbench
from kernbench.store import open_store
from tests.helpers import pip_install_into, run_cli

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "kernbench-example-plugin"


def test_example_imports_only_public_names() -> None:
    """The example is what authors copy: everything it takes from kernbench is exported."""
    for source in (EXAMPLE / "kernbench_example").glob("*.py"):
        for node in ast.walk(ast.parse(source.read_text())):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("kernbench"):
                assert node.module == "kernbench", f"{source.name}: from {node.module}"
                for alias in node.names:
                    assert alias.name in kernbench.__all__, f"{source.name}: {alias.name}"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example plugin installed with pip into a directory of its own."""
    target = tmp_path_factory.mktemp("site")
    pip_install_into(EXAMPLE, target, tmp_path_factory.mktemp("build"))
    assert any(p.name.startswith("kernbench_example_plugin") for p in target.glob("*.dist-info"))
    return target


@pytest.mark.slow
def test_listed_benched_and_tuned(site: Path, tmp_path: Path) -> None:
    env = {"PYTHONPATH": str(site)}
    listed = run_cli("list", "gemm", env=env)
    assert listed.returncode == 0, listed.stderr
    assert "example_chunked" in listed.stdout

    bench = run_cli(
        "bench",
        "gemm",
        "--device",
        "cpu",
        "--variant",
        "example_chunked",
        "--shape",
        "64x48x40",
        "--out",
        str(tmp_path),
        env=env,
    )
    assert bench.returncode == 0, bench.stderr
    tune = run_cli(
        "tune",
        "gemm",
        "--device",
        "cpu",
        "--variant",
        "example_chunked",
        "--shape",
        "64x48x40",
        "--trials",
        "3",
        "--out",
        str(tmp_path),
        env=env,
    )
    assert tune.returncode == 0, tune.stderr
    records = open_store(tmp_path, create=False).query(variant="example_chunked")
    assert len(records) >= 4
    assert all(r.status == "ok" for r in records), [r.message for r in records]
