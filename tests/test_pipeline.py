"""The pipeline records what a static check says, and an exception in one as a compile error."""

from __future__ import annotations

from pathlib import Path

import pytest

from kernbench.device import cpu_device
from kernbench.measure.outcome import Outcome, Status
from kernbench.measure.run import Candidate
from kernbench.measure.runner import Runner
from kernbench.measure.settings import QUICK
from kernbench.pipeline import Session
from kernbench.problem import Problem
from kernbench.registry import Registry
from kernbench.space import Config
from kernbench.store import open_store
from kernbench.target import HOPPER, Resources, Target
from kernbench.variant import Launch, Unsupported, Variant

FAULTY = "tests.plugins_faulty:PLUGIN"


class NeverLaunched(Runner):
    """The static check decides these candidates: reaching the runner is a test failure."""

    def measure(self, cand: Candidate) -> Outcome:
        raise AssertionError(f"{cand} was launched")


def _build(problem: Problem, config: Config, inputs: object) -> Launch:
    raise AssertionError("never built")


def _raises_type_error(problem: Problem, config: Config, dtype: str, target: Target) -> list:
    raise TypeError("first line\nprefix_kernel: no value for argument(s) ['stride_ab']")


def _unsupported(problem: Problem, config: Config, dtype: str, target: Target) -> list:
    raise Unsupported("needs a shared prefix")


def _too_big(problem: Problem, config: Config, dtype: str, target: Target) -> list[Resources]:
    return [Resources("k", 32, target.shared_per_block + 1, 128)]


@pytest.mark.parametrize(
    "check, status, message",
    [
        (
            _raises_type_error,
            Status.COMPILE_ERROR,
            "static check failed: TypeError: prefix_kernel: no value for argument(s) ['stride_ab']",
        ),
        (_unsupported, Status.UNSUPPORTED, "needs a shared prefix"),
        (_too_big, Status.REJECTED, "B shared memory >"),
    ],
)
def test_static_check_outcomes_are_recorded_by_what_happened(
    tmp_path: Path, check: object, status: str, message: str
) -> None:
    registry = Registry.discover()
    registry.add_reference(FAULTY)
    family = registry.family("toy")
    variant = Variant(
        name="toy_static", family="toy", language="python", build=_build, static_check=check
    )  # type: ignore[arg-type]
    session = Session(registry, cpu_device(), open_store(tmp_path), NeverLaunched(), QUICK, HOPPER)
    record = session.evaluate(family, variant, family.parse("n=64"), "fp32", {})
    assert record.status == status and message in record.message
    assert open_store(tmp_path).query()[0].status == status
