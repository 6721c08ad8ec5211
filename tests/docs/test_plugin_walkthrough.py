"""docs/plugins.md builds a plugin from nothing: this installs exactly its files and benches it."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import kernbench
from kernbench.store import open_store
from tests.docs.markdown import DOCS, files
from tests.helpers import pip_install_into, run_cli

PAGE = DOCS / "plugins.md"

pytestmark = [
    pytest.mark.slow,
    pytest.mark.xdist_group("plugin_walkthrough"),  # one worker pip-installs the site
]


def test_the_walkthrough_gives_a_whole_package() -> None:
    found = files(PAGE)
    assert set(found) == {
        "pyproject.toml",
        "kernbench_softmax/__init__.py",
        "kernbench_softmax/family.py",
        "kernbench_softmax/triton_row_softmax.py",
    }


def test_the_walkthrough_imports_only_public_names() -> None:
    """A plugin author copies these imports: each must be exported where it is imported from."""
    public = {"kernbench": set(kernbench.__all__)}
    for name, text in files(PAGE).items():
        if not name.endswith(".py"):
            continue
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("kernbench"):
                module = node.module or ""
                if module not in public:
                    exported = __import__(module, fromlist=["_"])
                    public[module] = {n for n in vars(exported) if not n.startswith("_")}
                for alias in node.names:
                    assert alias.name in public[module], f"{name}: {module}.{alias.name}"
                    assert not alias.name.startswith("_"), f"{name}: {module}.{alias.name}"


def test_the_helpers_a_family_needs_are_public() -> None:
    """The dtype names map to torch dtypes and element sizes; an unknown name is a usage error."""
    import torch

    assert kernbench.torch_dtype("bf16") is torch.bfloat16
    assert [kernbench.element_size(d) for d in kernbench.DTYPES] == [2, 2, 4, 8]
    with pytest.raises(kernbench.UsageError, match="unknown dtype 'fp8'"):
        kernbench.element_size("fp8")


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The walkthrough's package, written from the page and installed with pip into a directory."""
    source = tmp_path_factory.mktemp("kernbench-softmax")
    for name, text in files(PAGE).items():
        path = source / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    target = tmp_path_factory.mktemp("site")
    pip_install_into(source, target, tmp_path_factory.mktemp("build"))
    return target


def test_listed_and_benched_on_the_cpu(site: Path, tmp_path: Path) -> None:
    env = {"PYTHONPATH": str(site)}
    listed = run_cli("list", "row_softmax", "-V", env=env)
    assert listed.returncode == 0, listed.stderr
    assert "triton_row_softmax" in listed.stdout
    assert "30 valid / 40" in listed.stdout  # the constraint is applied, as the page says

    bench = run_cli("bench", "row_softmax", "--device", "cpu", "--out", str(tmp_path), env=env)
    assert bench.returncode == 0, bench.stdout + bench.stderr
    records = open_store(tmp_path, create=False).query(family="row_softmax")
    problems = {r.problem for r in records}  # the cpu-small preset: two problems
    assert len(problems) == 2 and any("cols=300" in p for p in problems), problems
    for r in records:
        assert r.variant == "triton_row_softmax"
        assert r.status == "ok", r.message
        assert r.error is not None and r.error < 1e-5  # gated against the float64 reference


def test_tuned_on_the_cpu_within_the_rule(site: Path, tmp_path: Path) -> None:
    """Every config the tuner measures obeys the constraint and passes the gate."""
    env = {"PYTHONPATH": str(site)}
    tune = run_cli(
        "tune",
        "row_softmax",
        "--device",
        "cpu",
        "-v",
        "triton_row_softmax",
        "--shape",
        "rows=4,cols=200",
        "--trials",
        "3",
        "--out",
        str(tmp_path),
        env=env,
    )
    assert tune.returncode == 0, tune.stdout + tune.stderr
    records = open_store(tmp_path, create=False).query(family="row_softmax")
    measured = [r for r in records if r.status != "static_rejected"]
    assert measured and all(r.status == "ok" for r in measured), [r.message for r in records]
    for r in measured:
        assert int(r.config["BLOCK_N"]) >= 32 * int(r.config["num_warps"])


@pytest.mark.gpu
def test_benched_on_a_gpu(site: Path, tmp_path: Path) -> None:
    """On a GPU the walkthrough's kernel compiles for the device and passes the gate in bf16."""
    env = {"PYTHONPATH": str(site)}
    bench = run_cli(
        "bench",
        "row_softmax",
        "--device",
        "cuda",
        "--shape",
        "rows=4096,cols=32000",
        "--dtype",
        "bf16",
        "--out",
        str(tmp_path),
        env=env,
    )
    assert bench.returncode == 0, bench.stdout + bench.stderr
    records = open_store(tmp_path, create=False).query(family="row_softmax")
    assert records and all(r.status == "ok" for r in records), [r.message for r in records]
    assert all(r.timing_kind == "gpu" for r in records)
