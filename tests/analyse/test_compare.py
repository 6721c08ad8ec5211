"""The regression gate's statistics and matching, on seeded sample streams."""

from __future__ import annotations

import json
import math

import pytest

from kernbench.analyse import compare_format
from kernbench.analyse.compare import Verdict, compare, pair_stats
from kernbench.config import GateConfig
from kernbench.errors import UsageError
from kernbench.measure.settings import min_samples_to_decide
from kernbench.store import open_store

from .synthetic import CPU, record, samples

GATE = GateConfig(threshold=0.05)


def scaled(factor: float, **kw: float) -> list[float]:
    return [s * factor for s in samples(seed=7, **kw)]  # type: ignore[arg-type]


def test_ten_percent_slowdown_is_slower_and_fails_the_gate() -> None:
    result = compare([record(data=samples(seed=1))], [record(data=scaled(1.10))], GATE)
    (pair,) = result.pairs
    assert pair.verdict == Verdict.SLOWER
    assert pair.stats is not None
    assert 1.08 < pair.stats.ratio < 1.12
    assert pair.stats.ci_low > 1.05 and pair.stats.p_value < 0.002
    assert result.exit_code == 1 and result.regressions == [pair]


def test_same_distribution_with_noise_only_is_unchanged() -> None:
    result = compare([record(data=samples(seed=1))], [record(data=samples(seed=2))], GATE)
    (pair,) = result.pairs
    assert pair.verdict == Verdict.UNCHANGED
    assert pair.stats is not None and pair.stats.ci_low < 1 < pair.stats.ci_high
    assert result.exit_code == 0


def test_high_variance_pair_is_noisy_and_does_not_fail() -> None:
    base = samples(rel_noise=0.4, n=12, seed=3)
    cand = [s * 1.10 for s in samples(rel_noise=0.4, n=12, seed=4)]
    result = compare([record(data=base)], [record(data=cand)], GATE)
    (pair,) = result.pairs
    assert pair.verdict == Verdict.NOISY
    assert "noisy" in pair.note or "straddles" in pair.note
    assert result.exit_code == 0


def test_three_percent_slowdown_under_five_percent_threshold_passes() -> None:
    result = compare([record(data=samples(seed=1))], [record(data=scaled(1.03))], GATE)
    (pair,) = result.pairs
    assert pair.stats is not None and pair.stats.ci_low > 1.0  # real, and detected ...
    assert pair.verdict == Verdict.UNCHANGED  # ... but within the threshold
    assert result.exit_code == 0


def test_speedup_is_faster_and_passes() -> None:
    result = compare([record(data=samples(seed=1))], [record(data=scaled(0.8))], GATE)
    assert [p.verdict for p in result.pairs] == [Verdict.FASTER]
    assert result.exit_code == 0


def test_missing_and_extra_records_are_listed() -> None:
    base = [record("a"), record("b"), record("gone")]
    cand = [record("a"), record("b", status="wrong_result"), record("new")]
    result = compare(base, cand, GATE)
    assert [p.baseline.variant for p in result.pairs] == ["a"]
    assert [(u.record.variant, u.note.split(":")[0]) for u in result.only_baseline] == [
        ("b", "candidate wrong_result"),
        ("gone", ""),
    ]
    assert [u.record.variant for u in result.only_candidate] == ["new"]


def test_records_match_by_config_or_best_config() -> None:
    base = [
        record(config={"BLOCK_M": 64}, data=samples(seed=1)),
        record(config={"BLOCK_M": 128}, data=samples(median_s=80e-6, seed=2)),
    ]
    cand = [record(config={"BLOCK_M": 32}, data=samples(median_s=80e-6, seed=3))]
    by_config = compare(base, cand, GATE)
    assert (
        not by_config.pairs
        and len(by_config.only_baseline) == 2
        and len(by_config.only_candidate) == 1
    )
    best = compare(base, cand, GATE, mode="best")
    (pair,) = best.pairs
    assert pair.baseline.config == {"BLOCK_M": 128} and pair.candidate.config == {"BLOCK_M": 32}
    assert pair.verdict == Verdict.UNCHANGED


def test_latest_ok_record_of_a_key_is_compared() -> None:
    old = record(data=samples(median_s=200e-6, seed=1))
    new = record(data=samples(seed=2))
    result = compare([old, new], [record(data=samples(seed=3))], GATE)
    assert [p.verdict for p in result.pairs] == [Verdict.UNCHANGED]


def test_different_gpus_are_refused_unless_forced() -> None:
    other = {"kind": "cuda", "name": "NVIDIA H200", "driver": "550.54.15", "timing_kind": "gpu"}
    with pytest.raises(UsageError, match="different GPUs or drivers"):
        compare([record()], [record(device=other)], GATE)
    newer_driver = {**other, "name": record().device["name"], "driver": "560.1"}
    with pytest.raises(UsageError, match=r"driver=560\.1"):
        compare([record()], [record(device=newer_driver)], GATE)
    forced = compare([record()], [record(device=other)], GATE, force=True)
    assert "different devices" in forced.pairs[0].note


def test_variant_threshold_beats_family_threshold() -> None:
    gate = GateConfig(threshold=0.05, thresholds={"gemm": 0.02, "triton_naive": 0.15})
    base = [record("triton_naive", data=samples(seed=1)), record("cutlass", data=samples(seed=1))]
    cand = [record("triton_naive", data=scaled(1.10)), record("cutlass", data=scaled(1.10))]
    verdicts = {
        p.baseline.variant: (p.threshold, p.verdict) for p in compare(base, cand, gate).pairs
    }
    assert verdicts == {
        "triton_naive": (0.15, Verdict.UNCHANGED),
        "cutlass": (0.02, Verdict.SLOWER),
    }


def test_throttled_samples_are_left_out() -> None:
    data = samples(seed=2)
    cand = record(data=[*data, 1.0, 1.0, 1.0])  # three huge samples taken under the clock threshold
    cand.throttled = [len(data), len(data) + 1, len(data) + 2]
    (pair,) = compare([record(data=samples(seed=1))], [cand], GATE).pairs
    assert pair.stats is not None and pair.stats.n_cand == len(data)


def test_records_without_raw_samples_cannot_fail_the_gate() -> None:
    cand = record(data=[])
    cand.stats = {"median": 1.0}
    (pair,) = compare([record()], [cand], GATE).pairs
    assert pair.verdict == Verdict.NOISY and pair.stats is None and "no raw samples" in pair.note


def test_cpu_records_are_not_gpu_performance() -> None:
    result = compare([record(device=CPU)], [record(device=CPU)], GATE)
    assert not result.gpu_performance and not result.pairs[0].gpu


def test_pair_stats_bootstrap_interval_brackets_the_ratio() -> None:
    st = pair_stats(samples(seed=1), scaled(1.2), confidence=0.99)
    assert st.ci_low <= st.ratio <= st.ci_high
    assert st.n_base == st.n_cand == 300


def test_comparison_through_a_results_store(tmp_path) -> None:
    """Records go into real SQLite stores and come back with their sample streams."""
    from kernbench.analyse.sources import load

    for name, data in (("base", samples(seed=1)), ("cand", scaled(1.10))):
        store = open_store(tmp_path / name)
        store.add(record(data=data))
        store.close()
    base, cand = load(str(tmp_path / "base"), tmp_path), load(str(tmp_path / "cand"), tmp_path)
    result = compare(base.records, cand.records, GATE)
    assert [p.verdict for p in result.pairs] == [Verdict.SLOWER] and result.exit_code == 1


def test_a_config_that_broke_since_an_older_ok_run_is_not_compared() -> None:
    """In a store that accumulates runs, the latest record of a config decides."""
    cand = [record(data=samples(seed=2)), record(status="wrong_result")]
    result = compare([record(data=samples(seed=1))], cand, GATE)
    assert not result.pairs
    (gone,) = result.only_baseline
    assert gone.note.startswith("candidate wrong_result")


def test_gpu_label_covers_unmatched_records() -> None:
    assert compare([record("a")], [record("b")], GATE).gpu_performance
    assert not compare([record("a")], [record("b", device=CPU)], GATE).gpu_performance


def test_five_samples_a_side_cannot_pass_a_2x_slowdown() -> None:
    """With 5 a side the smallest two-sided U-test p is 0.0079 > 0.002: the gate is blind."""
    base = samples(n=5, seed=1)
    result = compare([record(data=base)], [record(data=[2.2 * s for s in base])], GATE)
    (pair,) = result.pairs
    assert pair.verdict == Verdict.UNDECIDED
    assert "too few samples to decide: need at least 7 a side" in pair.note
    assert result.exit_code == 1


def test_seven_samples_a_side_decide_a_2x_slowdown() -> None:
    base = samples(n=7, seed=1)
    result = compare([record(data=base)], [record(data=[2.2 * s for s in base])], GATE)
    assert [p.verdict for p in result.pairs] == [Verdict.SLOWER] and result.exit_code == 1


@pytest.mark.parametrize("alpha, need", [(0.002, 7), (0.01, 5), (0.05, 4)])
def test_samples_needed_follow_the_smallest_reachable_p(alpha: float, need: int) -> None:
    assert min_samples_to_decide(alpha) == need
    assert 2 / math.comb(2 * need, need) < alpha <= 2 / math.comb(2 * need - 2, need - 1)


def test_only_in_baseline_lines_are_capped_with_a_count() -> None:
    base = [record(f"v{i:03d}") for i in range(110)]
    cmp = compare(base, [], GATE)
    text = compare_format.markdown(cmp, "base", "cand")
    listed = [ln for ln in text.splitlines() if ln.startswith("- `")]
    assert len(listed) == compare_format.MAX_UNMATCHED_LINES - 1
    assert f"... and {110 - len(listed)} more" in text
    assert len(json.loads(compare_format.to_json(cmp, "b", "c"))["only_baseline"]) == 110
