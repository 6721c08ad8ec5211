"""The GEMM family: parsing, inputs, layouts, reference, tolerances and the cost model."""

from __future__ import annotations

import math

import pytest
import torch
from kernbench_kernels.gemm.family import GEMM

from kernbench.errors import UsageError


@pytest.mark.parametrize(
    "text, m, n, k",
    [
        ("96x80x64", 96, 80, 64),
        ("m=3,n=4,k=5", 3, 4, 5),
        (" 7x8x9 ", 7, 8, 9),
        ("4095x4097x1000,beta=0.5", 4095, 4097, 1000),
    ],
)
def test_parse_shorthand_and_pairs(text, m, n, k):
    p = GEMM.parse(text)
    assert (p["m"], p["n"], p["k"]) == (m, n, k)
    assert p["layout_a"] == "row" and p["layout_b"] == "row" and p["alpha"] == 1.0


def test_parse_options_and_identity():
    p = GEMM.parse("2x3x4,layout_a=col,beta=0.5,alpha=2")
    assert (p["layout_a"], p["layout_b"], p["alpha"], p["beta"]) == ("col", "row", 2.0, 0.5)
    assert GEMM.parse("m=2,n=3,k=4,layout_a=col,alpha=2,beta=0.5").key == p.key


@pytest.mark.parametrize(
    "text, message",
    [
        ("0x5x5", "at least 1"),
        ("abc", "key=value"),
        ("m=5,n=5", "missing k="),
        ("5x5xq", "positive integer"),
        ("-1x5x5", "positive integer"),
        ("5x5", "key=value"),
        ("2x2x2,layout_a=diag", "not one of"),
        ("m=2,n=2,k=2,q=1", "unknown gemm parameter"),
        ("m=2,m=3,n=2,k=2", "given twice"),
    ],
)
def test_bad_problems_are_usage_errors(text, message):
    with pytest.raises(UsageError, match=message):
        GEMM.parse(text)


def test_presets():
    square = [p["m"] for p in GEMM.preset("square")]
    assert square == [512, 1024, 2048, 4096, 8192, 16384]
    llm = GEMM.preset("llm")
    assert {p["m"] for p in llm} == {1, 16, 128, 1024, 4096, 16384}
    assert {(p["n"], p["k"]) for p in llm} >= {
        (6144, 4096),
        (4096, 14336),
        (57344, 8192),
        (8192, 28672),
    }
    assert all(p["m"] % 64 or p["n"] % 64 or p["k"] % 64 for p in GEMM.preset("irregular"))
    assert {"4095x4097x1000", "77x129x65", "1x4096x256", "300x300x1000"} <= set(
        GEMM.presets["irregular"]
    )
    assert all(p["m"] * p["n"] * p["k"] <= 2**21 for p in GEMM.preset("cpu-small"))
    assert set(GEMM.presets["llm-sample"]) <= set(GEMM.presets["llm"])
    with pytest.raises(UsageError, match="unknown gemm preset"):
        GEMM.preset("nope")


def test_inputs_are_random_seeded_and_typed():
    p = GEMM.parse("33x17x9,beta=1")
    one = GEMM.make_inputs(p, "fp16", "cpu", seed=1)
    again = GEMM.make_inputs(p, "fp16", "cpu", seed=1)
    other = GEMM.make_inputs(p, "fp16", "cpu", seed=2)
    for name, shape in (("a", (33, 9)), ("b", (9, 17)), ("c", (33, 17)), ("out", (33, 17))):
        assert tuple(one[name].shape) == shape and one[name].dtype == torch.float16
    for name in ("a", "b", "c"):
        t = one[name].float()
        assert (t != 0).float().mean() > 0.95 and t.std() > 0.5  # random, never zeros
        assert torch.equal(one[name], again[name])
        assert not torch.equal(one[name], other[name])
    assert "c" not in GEMM.make_inputs(GEMM.parse("3x3x3"), "fp32", "cpu", seed=0)


def test_column_major_layout_is_column_major_storage():
    row = GEMM.make_inputs(GEMM.parse("6x5x4"), "fp32", "cpu", seed=3)
    col = GEMM.make_inputs(GEMM.parse("6x5x4,layout_a=col,layout_b=col"), "fp32", "cpu", seed=3)
    assert row["a"].stride() == (4, 1) and row["b"].stride() == (5, 1)
    assert col["a"].stride() == (1, 6) and col["b"].stride() == (1, 4)
    assert col["a"].t().is_contiguous() and col["b"].t().is_contiguous()
    assert torch.equal(row["a"], col["a"]) and torch.equal(row["b"], col["b"])  # same values


def test_reference_is_float64_with_alpha_and_beta():
    p = GEMM.parse("5x7x3,alpha=2,beta=-0.5")
    inputs = GEMM.make_inputs(p, "fp16", "cpu", seed=0)
    ref = GEMM.reference(p, inputs)["out"]
    assert ref.dtype == torch.float64
    a, b, c = (inputs[n].double() for n in ("a", "b", "c"))
    torch.testing.assert_close(ref, 2 * (a @ b) - 0.5 * c)


def test_cost_model():
    p = GEMM.parse("100x200x300")
    assert GEMM.flops(p) == 2 * 100 * 200 * 300
    assert GEMM.min_bytes(p, "bf16") == 2 * (100 * 300 + 300 * 200 + 100 * 200)
    assert GEMM.min_bytes(p, "fp32") == 4 * (100 * 300 + 300 * 200 + 100 * 200)
    with_c = GEMM.parse("100x200x300,beta=1")
    assert GEMM.min_bytes(with_c, "fp16") == 2 * (100 * 300 + 300 * 200 + 2 * 100 * 200)


def test_tolerance_by_dtype_grows_with_sqrt_k():
    small, long = GEMM.parse("8x8x64"), GEMM.parse("8x8x16384")
    assert GEMM.tolerance("fp16", small).rel_norm < GEMM.tolerance("bf16", small).rel_norm
    ratio = GEMM.tolerance("bf16", long).rel_norm / GEMM.tolerance("bf16", small).rel_norm
    assert ratio == pytest.approx(math.sqrt(16384 / 1024))
    assert GEMM.compute_precision("fp32") == "tf32" and GEMM.compute_precision("bf16") == "bf16"
