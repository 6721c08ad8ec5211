"""The terminal table that ``bench``, ``tune`` and ``results`` end with (issues #4, #5, #7, #9).

Records are hand-made H100 ones with synthetic samples (tests/report/conftest.py), so the
figures in the cells can be computed by hand; they are never shown as results.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from rich.console import Console
from rich.text import Text

from kernbench.present import records_table
from kernbench.store import Record
from tests.report.conftest import GEMM_4K, GEMM_4K_BYTES, GEMM_4K_FLOPS, decode, synthetic


def _table(
    records: list[Record], precision: dict[str, str], order: dict[str, int], variant: str
) -> tuple[list[str], dict[str, str]]:
    """The --wide table's column names and the cells of ``variant``'s row."""
    view = records_table(records, "t", precision, (), order, wide=True)
    header = [name for name, _ in view.table.columns]
    (row,) = [r for r in view.table.rows if r["variant"] == variant]
    return header, {name: Text.from_markup(row[name]).plain for name in header}


def _render(records: list[Record], width: int = 100, **kw: Any) -> list[str]:
    """The lines a terminal of ``width`` columns shows."""
    console = Console(width=width, record=True, force_terminal=False)
    console.print(records_table(records, "t", {"gemm": "bf16"}, (), **kw))
    return console.export_text().splitlines()


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


LONG = "triton_pipelined_persistent_tma"


def _bench_like() -> list[Record]:
    """A GPU bench's records: two configs of one long-named variant, a wrong result, variants
    skipped as unsupported, and two baselines (the issue's 100-column complaint)."""
    f, b = GEMM_4K_FLOPS, GEMM_4K_BYTES
    cfg = {"BLOCK_M": 128, "BLOCK_K": 64, "GROUP_M": 8, "num_warps": 8, "num_stages": 3}
    skipped = [
        replace(
            synthetic("gemm", f"cuda_step{i}_wgmma_cluster", GEMM_4K, "bf16", f, b, 1.0),
            status="skipped",
            message=f"cuda_step{i}_wgmma_cluster needs sm_90a",
            samples=[],
            stats={},
        )
        for i in range(6)
    ]
    return [
        synthetic("gemm", "triton_naive", GEMM_4K, "bf16", f, b, f / 100e12),
        synthetic("gemm", LONG, GEMM_4K, "bf16", f, b, f / 400e12, config={**cfg, "BLOCK_N": 128}),
        synthetic("gemm", LONG, GEMM_4K, "bf16", f, b, f / 420e12, config={**cfg, "BLOCK_N": 256}),
        replace(
            synthetic("gemm", "triton_pipelined_tma_ws", GEMM_4K, "bf16", f, b, 1.0),
            status="wrong_result",
            message="2048 of 4096 elements never written",
            samples=[],
            stats={},
        ),
        synthetic("gemm", "torch_matmul", GEMM_4K, "bf16", f, b, f / 700e12, baseline=True),
        synthetic("gemm", "cublas_lt_heuristic", GEMM_4K, "bf16", f, b, f / 710e12, baseline=True),
        *skipped,
    ]


def test_default_table_fits_100_columns_with_names_whole_rows_distinct_and_reasons() -> None:
    lines = _render(_bench_like(), order_of={"triton_naive": 1, LONG: 2})
    assert max(map(len, lines)) <= 100
    rows = [
        ln
        for ln in lines
        if ln.split(" ")[0].rstrip("*")
        in {"triton_naive", LONG, "triton_pipelined_tma_ws", "torch_matmul", "cublas_lt_heuristic"}
    ]
    assert len(rows) == 6  # skipped variants are not rows
    assert len(set(rows)) == len(rows)  # the two configs of LONG are told apart
    assert "why: triton_pipelined_tma_ws wrong_result: 2048 of 4096 elements never written" in lines
    folded = " ".join(ln for ln in lines if not ln.startswith(("why", "%", "*", "c1", "c2")))
    # one reason held six variants back: said once, naming them all (issue 27)
    assert folded.count("needs sm_90a") == 1
    assert all(f"cuda_step{i}_wgmma_cluster" in folded for i in range(6))
    # Too long to show inline at 100 columns: the differing keys get short ids, spelled out.
    assert {"c1: BLOCK_N=128", "c2: BLOCK_N=256"} <= set(lines)


def test_configs_keep_only_the_keys_that_tell_rows_apart() -> None:
    view = records_table(_bench_like(), "t", {"gemm": "bf16"})
    configs = {r["config"] for r in view.table.rows if r["variant"] == LONG}
    assert configs == {"BLOCK_N=128", "BLOCK_N=256"}


def test_all_empty_columns_go_and_wide_keeps_everything() -> None:
    cpu = [
        replace(r, device={"kind": "cpu", "name": "CPU", "timing_kind": "cpu-interpreter"})
        for r in _bench_like()
    ]
    compact = records_table(cpu, "t", {"gemm": "bf16"})
    names = [n for n, _ in compact.table.columns]
    assert "% roofline" not in names and "bound" not in names  # no roofline for CPU timings
    wide = records_table(cpu, "t", {"gemm": "bf16"}, wide=True)
    wide_names = [n for n, _ in wide.table.columns]
    assert {"% roofline", "bound", "problem", "dtype", "% torch_matmul"} <= set(wide_names)
    assert len(wide.table.rows) == len(cpu)  # skipped ones too, one row each
    lines = _render(cpu, width=1000, wide=True)
    assert any("cuda_step0_wgmma_cluster" in ln and "skipped" in ln for ln in lines)


def test_a_variant_with_one_row_shows_its_whole_config() -> None:
    """A tune's "best configs" table has one row per variant: the winning config is the result,
    so it is on screen whole (it used to fold away to nothing, issue 27)."""
    f, b = GEMM_4K_FLOPS, GEMM_4K_BYTES
    winner = {"BLOCK_M": 128, "BLOCK_N": 256, "BLOCK_K": 64, "GROUP_M": 8, "num_warps": 8}
    records = [
        synthetic("gemm", "torch_matmul", GEMM_4K, "bf16", f, b, f / 700e12, baseline=True),
        synthetic("gemm", "triton_grouped", GEMM_4K, "bf16", f, b, f / 350e12, config=winner),
    ]
    lines = _render(records)
    assert max(map(len, lines)) <= 100
    start = next(i for i, ln in enumerate(lines) if ln.startswith("triton_grouped"))
    cell = [lines[start].split("  ")[0].removeprefix("triton_grouped ")]
    for ln in lines[start + 1 :]:  # a config too long for its column wraps inside its cell
        if not ln.startswith(" "):
            break
        cell.append(ln.strip())
    assert " ".join(cell) == "BLOCK_M=128, BLOCK_N=256, BLOCK_K=64, GROUP_M=8, num_warps=8"
    assert not any(ln.startswith(("same in every", "c1:")) for ln in lines)


def test_keys_every_row_of_a_variant_shares_are_named_under_the_table() -> None:
    lines = _render(_bench_like(), width=200, order_of={"triton_naive": 1, LONG: 2})
    assert (
        f"same in every {LONG} row: BLOCK_M=128, BLOCK_K=64, GROUP_M=8, num_warps=8, "
        "num_stages=3" in lines
    )
    # Several problems of one variant at one default config: nothing differs, all is named.
    f, b = GEMM_4K_FLOPS, GEMM_4K_BYTES
    cfg = {"BLOCK_M": 64, "GROUP_SIZE_M": 8}
    records = [
        synthetic("gemm", "triton_grouped", p, "bf16", f, b, f / 300e12, config=cfg)
        for p in (GEMM_4K, GEMM_4K.replace("k=4096", "k=2048"))
    ]
    lines = _render(records, width=200)
    assert "same in every triton_grouped row: BLOCK_M=64, GROUP_SIZE_M=8" in lines


def test_each_rate_column_has_one_notation() -> None:
    """CPU timings give rates over many orders of magnitude: a column is all plain decimals or
    all scientific, never ``1.73e-05`` beside ``0.0008116``."""
    f, b = GEMM_4K_FLOPS, GEMM_4K_BYTES
    cpu = {"kind": "cpu", "name": "CPU", "timing_kind": "cpu-interpreter"}
    records = [
        synthetic("gemm", "torch_matmul", GEMM_4K, "fp16", f, b, f / 3.5e9, device=cpu),
        synthetic("gemm", "triton_naive", GEMM_4K, "fp16", f, b, f / 9e6, device=cpu),
        synthetic("gemm", "triton_grouped", GEMM_4K, "fp16", f, b, f / 2e7, device=cpu),
    ]
    view = records_table(records, "t", {"gemm": "fp16"})
    for column in ("TFLOP/s", "GB/s"):
        cells = [row[column] for row in view.table.rows]
        notations = {"e" in cell for cell in cells}
        assert len(notations) == 1, cells
    assert [row["TFLOP/s"] for row in view.table.rows] == ["3.50e-03", "9.00e-06", "2.00e-05"]
    gpu = records_table(_bench_like(), "t", {"gemm": "bf16"})
    assert {row["TFLOP/s"] for row in gpu.table.rows} >= {"100", "400", "420", "700"}
