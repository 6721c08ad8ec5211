"""The tuning loop over a synthetic space: rejections, failures, duplicates and budgets."""

import math

import optuna
import pytest
from optuna.trial import TrialState

from kernbench.measure.outcome import Status
from kernbench.registry import Registry
from kernbench.space import config_key
from kernbench.tune.core import Budget, Evaluation, Loop, stalled
from kernbench.tune.efficiency import SpaceEvaluator
from kernbench.tune.samplers import make_sampler
from kernbench.tune.searchspace import SearchSpace
from kernbench.tune.spacefile import SpaceFile
from kernbench.variant import Variant

from .spaces import VARIANT, failing, rejected, synthetic_space


class CountingEvaluator(SpaceEvaluator):
    """Counts what would have been launched."""

    def __init__(self, space: SpaceFile, variant: Variant) -> None:
        super().__init__(space, variant)
        self.launched: list[str] = []

    def evaluate(self, config, trial):
        self.launched.append(config_key(config))
        return super().evaluate(config, trial)


def _run(sampler: str, trials: int, seed: int = 0) -> tuple[optuna.Study, CountingEvaluator, Loop]:
    variant = Registry.discover().variant(VARIANT)
    space = synthetic_space()
    evaluator = CountingEvaluator(space, variant)
    loop = Loop(
        SearchSpace(variant.space),
        evaluator,
        Budget(trials=trials, valid_size=variant.space.size()),
    )
    study = optuna.create_study(direction="minimize", sampler=make_sampler(sampler, seed))
    loop.run(study)
    return study, evaluator, loop


@pytest.mark.parametrize(("sampler", "trials"), [("tpe", 20), ("random", 20), ("gp", 12)])
def test_budget_counts_unique_launches_and_rejected_never_launch(sampler: str, trials: int) -> None:
    study, ev, _loop = _run(sampler, trials=trials)
    assert len(ev.launched) == trials == len(set(ev.launched)), "only unique evaluations count"
    configs = [t.user_attrs["config"] for t in study.trials if t.state == TrialState.COMPLETE]
    assert not any(config_key(c) in ev.launched for c in configs if rejected(c))
    for t in study.trials:
        if t.state != TrialState.COMPLETE:
            continue
        c = t.user_attrs["config"]
        if rejected(c):
            assert t.user_attrs["status"] == Status.REJECTED
            assert t.constraints["static_check"] > 0
        elif failing(c):
            assert t.constraints["runs_correctly"] > 0


def test_failures_are_told_as_worse_than_every_correct_config() -> None:
    study, _, _ = _run("random", trials=40, seed=3)
    done = [t for t in study.trials if t.state == TrialState.COMPLETE]
    good = [float(t.value or 0) for t in done if t.user_attrs.get("feasible")]
    bad = [float(t.value or 0) for t in done if not t.user_attrs.get("feasible")]
    assert good and bad
    assert min(bad) > max(good) and all(math.isfinite(v) for v in bad)


def test_bruteforce_covers_the_whole_valid_space() -> None:
    Registry.discover().variant(VARIANT)
    space = synthetic_space()
    _, ev, loop = _run("bruteforce", trials=1000)
    assert len(ev.launched) == len(space.entries)
    assert len(loop.rejected) == len(space.rejected)


def test_patience_stops_only_after_no_improvement_beyond_the_noise() -> None:
    def e(t: float, ci: float = 0.05) -> Evaluation:
        return Evaluation(Status.OK, t, ci, True)

    # 1.0 -> 0.97 is within the 0.05 CI of the best: no real improvement.
    assert stalled([e(1.0), e(0.97), e(0.99), e(1.2)], patience=3)
    assert not stalled([e(1.0), e(0.97), e(0.5), e(1.2)], patience=3)
    assert not stalled([e(1.0), e(1.1)], patience=3)
