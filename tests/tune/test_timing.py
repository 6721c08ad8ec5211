"""The time breakdown: stages add up to the wall time; the overhead leaves out the real work."""

from __future__ import annotations

import pytest

from kernbench.tune.timing import STAGES, TimeBreakdown, describe, overhead_s


def test_stages_add_up_to_the_wall_time_and_other_takes_the_rest() -> None:
    clock = TimeBreakdown()
    clock.add_all({"compile": 1.0, "samples": 2.0, "gate": 0.5, "mystery": 0.25})
    clock.add("sampler", 0.25)
    clock.trials = 2
    attr = clock.as_attr(wall_s=5.0)
    assert set(attr["stages"]) == set(STAGES)
    assert attr["stages"]["other"] == pytest.approx(1.25)  # 0.25 unknown + 1.0 unclaimed
    assert sum(attr["stages"].values()) == pytest.approx(attr["wall_s"]) == pytest.approx(5.0)
    assert overhead_s(attr) == pytest.approx(2.0)  # wall less compile and samples
    text = "\n".join(describe(attr))
    assert "5.0 s for 2 unique evaluations" in text
    assert "1.000 s/trial" in text  # the overhead per trial


def test_an_unknown_stage_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown stage"):
        TimeBreakdown().add("coffee", 1.0)
