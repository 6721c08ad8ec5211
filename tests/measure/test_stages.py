"""Each outcome says where its measurement's time went (a tune adds these up)."""

from __future__ import annotations

from kernbench.device import Device
from kernbench.measure.outcome import Status
from kernbench.measure.run import STAGES_KEY, Candidate, measure
from kernbench.measure.settings import QUICK
from kernbench.registry import Registry


def test_a_measured_outcome_reports_gate_compile_warmup_and_sample_seconds(
    registry: Registry, cpu: Device
) -> None:
    family = registry.family("toy")
    cand = Candidate("toy", "toy_torch", family.parse("n=256").key, "fp32")
    outcome = measure(registry, cpu, cand, QUICK)
    assert outcome.status == Status.OK
    stages = outcome.method[STAGES_KEY]
    assert set(stages) >= {"gate", "compile", "warmup", "samples"}
    assert all(v >= 0 for v in stages.values())
    assert stages["warmup"] == outcome.method["warmup_s"]
    assert stages["samples"] == outcome.method["measured_s"] >= QUICK.min_time_s


def test_a_failed_outcome_still_reports_its_stages(registry: Registry, cpu: Device) -> None:
    family = registry.family("toy")
    cand = Candidate("toy", "toy_faulty", family.parse("n=256").key, "fp32", {"mode": "wrong"})
    outcome = measure(registry, cpu, cand, QUICK)
    assert outcome.status != Status.OK
    assert "gate" in outcome.method[STAGES_KEY]
