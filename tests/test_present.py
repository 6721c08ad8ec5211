"""The terminal table that ``bench``, ``tune`` and ``results`` end with (issues #4, #5, #7, #9).

Records are hand-made H100 ones with synthetic samples (tests/report/conftest.py), so the
figures in the cells can be computed by hand; they are never shown as results.
"""

from __future__ import annotations

from rich.console import Console

from kernbench.present import records_table
from kernbench.store import Record
from tests.report.conftest import GEMM_4K, GEMM_4K_BYTES, GEMM_4K_FLOPS, decode, synthetic


def _table(
    records: list[Record], precision: dict[str, str], order: dict[str, int], variant: str
) -> tuple[list[str], dict[str, str]]:
    """The table's column names and the cells of ``variant``'s row, as a terminal shows them."""
    console = Console(width=400, record=True, force_terminal=False)
    console.print(records_table(records, "t", precision, (), order))
    lines = console.export_text().splitlines()
    header = [cell.strip() for cell in next(ln for ln in lines if "variant" in ln).split("┃")]
    line = next(ln for ln in lines if ln.startswith(f"│ {variant} "))
    cells = [cell.strip() for cell in line.strip("│").split("│")]
    return header, dict(zip(header[1:-1], cells, strict=True))


def test_gemm_ladder_table_shows_tflops_roofline_percent_of_cublas_and_step_gain() -> None:
    f, b = GEMM_4K_FLOPS, GEMM_4K_BYTES
    records = [
        synthetic("gemm", "triton_naive", GEMM_4K, "bf16", f, b, f / 100e12),
        synthetic("gemm", "triton_grouped", GEMM_4K, "bf16", f, b, f / 350e12),
        synthetic("gemm", "torch_matmul", GEMM_4K, "bf16", f, b, f / 700e12, baseline=True),
    ]
    order = {"triton_naive": 1, "triton_grouped": 2}
    header, row = _table(records, {"gemm": "bf16"}, order, "triton_grouped")
    for column in ("config", "median", "TFLOP/s", "% roofline", "% torch_matmul", "step gain"):
        assert column in header
    assert row["TFLOP/s"] == "350"
    assert row["% roofline"] == "35.4%" and row["bound"] == "compute"  # 350 of 989 (datasheet)
    assert row["% torch_matmul"] == "50.0%"  # cuBLAS at 700 TFLOP/s
    assert row["step gain"] == "3.50x"  # over triton_naive at 100


def test_paged_attention_table_shows_bandwidth_roofline_and_each_baseline() -> None:
    problem, flops, nbytes = decode(16, 8192)
    records = [
        synthetic(
            "paged_attention", "triton_split_kv", problem, "fp16", flops, nbytes, nbytes / 2.68e12
        ),
        synthetic(
            "paged_attention",
            "torch_sdpa",
            problem,
            "fp16",
            flops,
            nbytes,
            nbytes / 1.34e12,
            baseline=True,
        ),
    ]
    _, row = _table(records, {"paged_attention": "fp16"}, {}, "triton_split_kv")
    assert row["GB/s"] == "2680"
    assert row["% roofline"] == "80.0%" and row["bound"] == "memory"  # of 3.35 TB/s HBM
    assert row["% torch_sdpa"] == "200.0%"  # twice as fast as the baseline
