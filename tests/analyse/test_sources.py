"""Reading the compared sides: baseline files and pytest-benchmark JSON."""

from __future__ import annotations

import json

import pytest

from kernbench.analyse.compare import Verdict, compare
from kernbench.analyse.sources import load, save_baseline
from kernbench.config import GateConfig
from kernbench.errors import UsageError

from .synthetic import record, samples


def pytest_benchmark_doc(data: list[float] | None, extra: dict | None = None) -> dict:
    stats = {
        "median": 0.001,
        "mean": 0.001,
        "min": 0.0009,
        "max": 0.002,
        "rounds": 5,
        "q1": 0.001,
        "q3": 0.001,
    }
    if data is not None:
        stats["data"] = data
    return {
        "machine_info": {"node": "ci-7", "cpu": {"brand_raw": "AMD EPYC"}},
        "commit_info": {"id": "abc123"},
        "datetime": "2025-01-01T00:00:00",
        "benchmarks": [
            {
                "name": "test_mm[64]",
                "fullname": "tests/test_mm.py::test_mm[64]",
                "param": "64",
                "group": None,
                "extra_info": extra or {},
                "options": {"timer": "perf_counter"},
                "stats": stats,
            }
        ],
    }


def test_plain_pytest_benchmark_records_are_labelled_and_untested_without_data(tmp_path) -> None:
    path = tmp_path / "bench.json"
    path.write_text(json.dumps(pytest_benchmark_doc(None)))
    src = load(str(path), tmp_path)
    (rec,) = src.records
    assert src.kind == "pytest-benchmark"
    assert (rec.family, rec.variant, rec.problem) == ("pytest", "tests/test_mm.py::test_mm", "64")
    assert rec.timing_kind == "python-timer" and rec.provenance["commit"] == "abc123"
    result = compare(src.records, src.records, GateConfig())
    assert result.pairs[0].verdict == Verdict.NOISY and result.exit_code == 0
    assert not result.gpu_performance


def test_pytest_benchmark_with_raw_data_is_tested(tmp_path) -> None:
    base, cand = tmp_path / "a.json", tmp_path / "b.json"
    base.write_text(json.dumps(pytest_benchmark_doc(samples(seed=1))))
    cand.write_text(json.dumps(pytest_benchmark_doc([s * 1.2 for s in samples(seed=2)])))
    result = compare(
        load(str(base), tmp_path).records, load(str(cand), tmp_path).records, GateConfig()
    )
    assert [p.verdict for p in result.pairs] == [Verdict.SLOWER]


def test_malformed_pytest_benchmark_is_a_usage_error(tmp_path) -> None:
    doc = pytest_benchmark_doc(None)
    del doc["benchmarks"][0]["stats"]
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(doc))
    with pytest.raises(UsageError, match="malformed"):
        load(str(path), tmp_path)


def test_baseline_round_trip_keeps_samples_and_device(tmp_path) -> None:
    original = record(data=samples(seed=3))
    path = save_baseline("nightly-h100", [original], tmp_path, "sqlite:///x")
    assert path == tmp_path / "baselines" / "nightly-h100.json"
    (back,) = load("baseline:nightly-h100", tmp_path).records
    assert back.samples == original.samples and back.device == original.device
    assert back.config == original.config and back.median_s == original.median_s


def test_future_baseline_version_is_refused(tmp_path) -> None:
    path = save_baseline("main", [record()], tmp_path, "x")
    doc = json.loads(path.read_text())
    doc["version"] = 99
    path.write_text(json.dumps(doc))
    with pytest.raises(UsageError, match="version"):
        load(str(path), tmp_path)
