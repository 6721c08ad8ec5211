"""The GPU measurement checks of issue #3, as tests (scripts/gpu/measure_checks.sh stores them)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "gpu" / "measure_checks.py"

pytestmark = [pytest.mark.gpu, pytest.mark.slow]


@pytest.fixture(scope="module")
def checks():
    spec = importlib.util.spec_from_file_location("measure_checks", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def setup(checks, tmp_path):
    return checks._setup(tmp_path)


def test_medians_of_two_processes_agree_within_one_percent(checks, setup):
    result = checks.check_repeatable(*setup)
    assert result["pass"], result


def test_medians_agree_with_the_profiler_within_three_percent(checks, setup):
    result = checks.check_profiler(*setup)
    assert result["pass"], result


def test_planted_gpu_faults_are_recorded_while_the_tune_completes(checks, setup):
    result = checks.check_faults(*setup)
    assert result["recorded"] == result["expected"], result
    assert result["best"] == {"mode": "ok"}
