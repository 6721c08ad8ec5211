"""[tool.kernbench] thresholds: what a project sets in pyproject.toml is what the gate uses."""

from __future__ import annotations

import pytest

from kernbench.config import DEFAULT_ALPHA, GateConfig, load, parse_fraction
from kernbench.errors import UsageError


@pytest.mark.parametrize(
    ("text", "value"), [("5%", 0.05), ("12.5%", 0.125), ("0.1", 0.1), (0.02, 0.02)]
)
def test_fractions(text, value) -> None:
    assert parse_fraction(text) == pytest.approx(value)


@pytest.mark.parametrize("text", ["fast", "-5%", "0", "", "5", "1"])
def test_bad_fractions_are_usage_errors(text) -> None:
    with pytest.raises(UsageError):
        parse_fraction(text)


def test_no_pyproject_gives_defaults(tmp_path) -> None:
    assert load(tmp_path) == GateConfig()


def test_variant_over_family_over_default(tmp_path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[tool.kernbench]\nthreshold = "4%"\nalpha = 0.01\n'
        '[tool.kernbench.thresholds]\ngemm = "6%"\ntriton_naive = "10%"\n'
    )
    gate = load(tmp_path)
    assert gate.alpha == 0.01
    assert gate.threshold_for("gemm", "triton_naive") == pytest.approx(0.10)
    assert gate.threshold_for("gemm", "cutlass_sm90") == pytest.approx(0.06)
    assert gate.threshold_for("paged_attention", "triton_split_kv") == pytest.approx(0.04)
    overridden = gate.with_overrides("20%")
    assert overridden.threshold_for("paged_attention", "x") == pytest.approx(0.20)
    assert overridden.threshold_for("gemm", "x") == pytest.approx(0.06)


@pytest.mark.parametrize(
    "body",
    [
        "[tool.kernbench\n",
        '[tool.kernbench]\nthreshold = "lots"\n',
        "[tool.kernbench]\nalpha = 2\n",
        '[tool.kernbench]\nthresholds = "5%"\n',
    ],
)
def test_bad_config_is_a_usage_error(tmp_path, body) -> None:
    (tmp_path / "pyproject.toml").write_text(body)
    with pytest.raises(UsageError, match=r"pyproject\.toml"):
        load(tmp_path)


def test_project_pyproject_is_readable() -> None:
    from pathlib import Path

    gate = load(Path(__file__).resolve().parents[1])
    assert gate.threshold > 0 and gate.alpha == DEFAULT_ALPHA
