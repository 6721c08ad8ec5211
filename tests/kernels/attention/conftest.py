"""Shared set-up: the attention plugin alone, measured in this process with one sample."""

from __future__ import annotations

from collections.abc import Mapping

import pytest

from kernbench.device import Device, cpu_device, cuda_available, cuda_device
from kernbench.measure.outcome import Outcome
from kernbench.measure.run import Candidate, measure
from kernbench.measure.settings import MeasureSettings
from kernbench.registry import Registry
from kernbench.space import Value

GATE_ONLY = MeasureSettings(
    min_samples=1,
    min_time_s=0.0,
    max_time_s=0.0,
    warmup_min_s=0.0,
    warmup_max_s=0.0,
    target_rel_ci=1.0,
    isolate=False,
)
"""Pass the correctness gate, then as little timing as the loop allows (the interpreter is slow)."""


@pytest.fixture(scope="session")
def registry() -> Registry:
    reg = Registry()
    reg.add_reference("kernbench_kernels.attention:PLUGIN")
    return reg


def run(
    registry: Registry,
    variant: str,
    problem: str,
    dtype: str = "fp16",
    config: Mapping[str, Value] | None = None,
    gpu: bool = False,
    device: Device | None = None,
) -> Outcome:
    """Measure one candidate through the harness: poisoned outputs, reference check, timing."""
    device = device or (cuda_device() if gpu and cuda_available() else cpu_device())
    v = registry.variant(variant)
    cfg = {**v.default_configs()[0], **(config or {})}
    return measure(
        registry, device, Candidate("paged_attention", variant, problem, dtype, cfg), GATE_ONLY
    )
