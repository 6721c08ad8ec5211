"""Baselines are named by what ran them, and docstrings show their code as code."""

from __future__ import annotations

import pytest

from kernbench.registry import Registry
from kernbench.report import ReportData
from kernbench.report.labels import docstring_html, reference_label
from tests.report.conftest import GEMM_4K, H100, synthetic

CPU = {"kind": "cpu", "name": "CPU (x86_64, 2 cores)", "timing_kind": "cpu-interpreter"}


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> ReportData:
    empty = tmp_path_factory.mktemp("empty") / "results"
    empty.mkdir()
    return ReportData.load([empty], registry=Registry.discover(), allow_empty=True)


@pytest.mark.parametrize(
    ("variant", "device", "label"),
    [
        ("torch_matmul", H100, "cuBLAS"),
        ("torch_matmul", CPU, "torch (CPU)"),
        ("cutlass_sm90", H100, "CUTLASS sm90"),
        ("torch_sdpa", H100, "torch_sdpa"),  # no label declared: its name
        ("not_installed", H100, "not_installed"),
    ],
)
def test_reference_label(data: ReportData, variant: str, device: dict, label: str) -> None:
    rec = synthetic("gemm", variant, GEMM_4K, "bf16", 1.0, 1.0, 1e-3, device=device)
    if variant == "torch_matmul":
        rec.language = "torch"
    assert reference_label(data, rec) == label


def test_docstring_literals_become_code_and_the_rest_is_escaped() -> None:
    html = str(docstring_html("loads into ``tl.dot``\nthen `x<y` and <b>\n\nnext"))
    assert html == "loads into <code>tl.dot</code> then <code>x&lt;y</code> and &lt;b&gt;\n\nnext"
