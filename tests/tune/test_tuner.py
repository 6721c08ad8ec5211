"""How a study's budget grows when the same tune command runs again."""

from __future__ import annotations

from kernbench.tune.tuner import next_step


def test_an_interrupted_step_is_completed_then_a_new_one_added() -> None:
    assert next_step(0, 8) == 8
    assert next_step(3, 8) == 8  # killed after 3: the rerun finishes the step
    assert next_step(8, 8) == 16  # finished: the rerun adds 8 more
    assert next_step(17, 8) == 24
