"""The correctness gate: poisoned outputs, unwritten elements, wrong values never timed."""

from __future__ import annotations

import math

import pytest
import torch

from kernbench.measure.gate import compare, poison, run_gate
from kernbench.measure.outcome import Status
from kernbench.measure.run import Candidate, measure
from kernbench.measure.settings import QUICK
from tests.plugins_faulty import faulty
from tests.plugins_faulty.family import TOY


def toy(n: int = 1000, dtype: str = "fp32", seed: int = 0):
    problem = TOY.parse(f"n={n}")
    inputs = TOY.make_inputs(problem, dtype, "cpu", seed)
    return problem, inputs, TOY.reference(problem, inputs)


def test_poison_fills_float_outputs_with_nan_and_int_outputs_with_max():
    inputs = {"out": torch.zeros(8), "idx": torch.zeros(4, dtype=torch.int32)}
    poison(inputs, ("out", "idx"))
    assert bool(torch.isnan(inputs["out"]).all())
    assert bool((inputs["idx"] == torch.iinfo(torch.int32).max).all())


def test_inputs_are_random_never_zeros():
    _, inputs, _ = toy()
    assert float(inputs["x"].abs().min()) > 0 or float(inputs["x"].abs().mean()) > 0.5


def test_a_stale_right_answer_does_not_pass_because_outputs_are_poisoned():
    """A launch that writes nothing would pass if the output still held a right answer."""
    problem, inputs, ref = toy()
    inputs["out"].copy_(ref["out"])  # e.g. left over from a previous config
    result = run_gate(TOY, problem, "fp32", inputs, lambda: None, ref, lambda: None)
    assert not result.ok and result.unwritten == 1000
    assert "never written" in result.message


def test_half_output_is_caught_with_the_count_and_first_index():
    problem, inputs, ref = toy()

    def half() -> None:
        inputs["out"][:500] = 2 * inputs["x"][:500] + 1

    result = run_gate(TOY, problem, "fp32", inputs, half, ref, lambda: None)
    assert not result.ok
    assert result.unwritten == 500
    assert "500 of 1000" in result.message and "index 500" in result.message


def test_right_answer_within_the_dtype_tolerance_passes():
    for dtype in ("fp32", "fp16"):
        problem, inputs, ref = toy(dtype=dtype)
        result = run_gate(
            TOY,
            problem,
            dtype,
            inputs,
            lambda i=inputs: torch.mul(i["x"], 2, out=i["out"]).add_(1),
            ref,
            lambda: None,
        )
        assert result.ok, result.message
        assert result.error < TOY.tolerance(dtype).rel_norm


def test_wrong_numbers_are_reported_with_their_error():
    problem, inputs, ref = toy()
    inputs["out"].copy_(2 * inputs["x"] + 1.5)
    result = compare(TOY, problem, "fp32", inputs, ref)
    assert not result.ok
    assert result.error == pytest.approx(0.5 / math.sqrt(5), rel=0.1)  # ‖0.5‖ / ‖2x+1‖
    assert "relative error" in result.message


def test_infinite_values_fail():
    problem, inputs, ref = toy()
    inputs["out"].copy_(ref["out"])
    inputs["out"][3] = math.inf
    assert not compare(TOY, problem, "fp32", inputs, ref).ok


@pytest.mark.parametrize(
    ("mode", "status", "text"),
    [
        ("wrong", Status.WRONG, "relative error"),
        ("half", Status.WRONG, "never written"),
    ],
)
def test_a_wrong_result_is_recorded_with_its_error_and_never_timed(
    registry, cpu, mode, status, text
):
    faulty.LAUNCHES["count"] = 0
    outcome = measure(
        registry, cpu, Candidate("toy", "toy_faulty", "n=4096", "fp32", {"mode": mode}), QUICK
    )
    assert outcome.status == status and text in outcome.message
    assert outcome.error is not None and outcome.error > 0
    assert outcome.samples == [] and outcome.stats == {}
    assert faulty.LAUNCHES["count"] == 1  # the gate's launch, and nothing more


def test_a_right_result_is_timed_with_every_setting_recorded(registry, cpu):
    outcome = measure(
        registry, cpu, Candidate("toy", "toy_faulty", "n=4096", "fp32", {"mode": "ok"}), QUICK
    )
    assert outcome.status == Status.OK
    assert outcome.error is not None and outcome.error < 1e-6
    assert len(outcome.samples) == outcome.stats["n"] >= QUICK.min_samples
    m = outcome.method
    for key in (
        "timer",
        "cache",
        "warmup_launches",
        "warmup_settled",
        "stop_reason",
        "measured_s",
        "clocks",
    ):
        assert key in m
    assert m["clocks"]["monitor"] == "none"


def test_an_out_of_memory_is_recorded_as_such(registry, cpu):
    outcome = measure(
        registry, cpu, Candidate("toy", "toy_faulty", "n=64", "fp32", {"mode": "oom"}), QUICK
    )
    assert outcome.status == Status.OOM
