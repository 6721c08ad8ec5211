"""The first-light table: shares of the measured ceilings, and failures said next to the variant."""

from __future__ import annotations

from typing import Any

import fl_table

GEMM = "m=8192,n=8192,k=8192,layout_a=row,layout_b=row,alpha=1.0,beta=0.0"
DECODE = "batch=64,context=8192,q_heads=32,kv_heads=8,head_dim=128"


def rec(variant: str, median_s: float | None, *, family: str = "gemm", problem: str = GEMM,
        status: str = "ok", language: str = "cuda", gbps: float = 0.0, study: str = "",
        message: str = "") -> dict[str, Any]:  # fmt: skip
    return {
        "family": family, "variant": variant, "problem": problem, "dtype": "bf16",
        "status": status, "median_s": median_s, "tflops": 1.0, "gbps": gbps,
        "language": language, "baseline": variant.startswith("torch"), "study": study,
        "message": message,
    }  # fmt: skip


RECORDS = [
    rec("torch_matmul", 0.002, language="torch"),
    rec("cuda_tuned", 0.004),
    rec("cuda_tuned", 0.005),  # a slower repeat: the best record counts
    rec("cuda_wgmma", None, status="wrong_result", message="out: 12 elements outside tolerance"),
    rec("cuda_tuned", 0.0025, study="s1"),
    rec("copy", 0.001, family="calibrate", problem="op=copy,n=1", gbps=4000.0, language="torch"),
    rec(
        "triton_split_kv",
        0.001,
        family="paged_attention",
        problem=DECODE,
        gbps=3400.0,
        language="triton",
    ),
    rec("cuda_split_kv", 0.002, family="paged_attention", problem=DECODE, gbps=1700.0),
]


def test_gemm_rows_are_percent_of_cublas_from_the_best_record() -> None:
    rows = {(r["variant"], r["source"]): r for r in fl_table.build(RECORDS)}
    assert rows[("torch_matmul", "bench")]["pct"] == 100.0
    assert rows[("cuda_tuned", "bench")]["pct"] == 50.0
    assert rows[("cuda_tuned", "tune")]["pct"] == 80.0
    assert rows[("cuda_tuned", "bench")]["of"] == "cuBLAS"


def test_attention_rows_are_percent_of_measured_copy_bandwidth() -> None:
    rows = {r["variant"]: r for r in fl_table.build(RECORDS) if r["family"] == "paged_attention"}
    assert (
        rows["triton_split_kv"]["pct"] == 85.0 and rows["triton_split_kv"]["of"] == "copy bandwidth"
    )
    assert rows["cuda_split_kv"]["pct"] == 42.5
    assert not any(r["family"] == "calibrate" for r in fl_table.build(RECORDS))


def test_a_failure_shows_its_status_and_reason() -> None:
    rows = {r["variant"]: r for r in fl_table.build(RECORDS)}
    wrong = rows["cuda_wgmma"]
    assert wrong["status"] == "wrong_result" and wrong["pct"] is None
    assert "outside tolerance" in fl_table.markdown([wrong])


def test_no_copy_record_means_no_percentage() -> None:
    rows = fl_table.build([r for r in RECORDS if r["family"] != "calibrate"])
    assert all(r["pct"] is None for r in rows if r["family"] == "paged_attention")


def test_fastest_picks_within_a_language_and_problem() -> None:
    assert (
        fl_table.fastest(RECORDS, "gemm", fl_table.problem_key("8192x8192x8192"), language="cuda")
        == "cuda_tuned"
    )
    assert fl_table.fastest(RECORDS, "gemm", fl_table.problem_key("4096x4096x4096")) is None
    assert fl_table.fastest(RECORDS, "paged_attention", None, baseline=False) == "triton_split_kv"


def test_markdown_labels_cpu_timings() -> None:
    text = fl_table.markdown(fl_table.build(RECORDS), fl_table.CPU_NOTE)
    assert text.startswith(fl_table.CPU_NOTE)
    header, rule = text.splitlines()[2:4]
    assert header.count("|") == rule.count("|")
