"""Compile-ahead: distinct next proposals, enqueued in order, checked in a process pool."""

from __future__ import annotations

import optuna
from optuna.trial import TrialState

from kernbench.registry import Registry
from kernbench.space import config_key
from kernbench.staticcheck import Target
from kernbench.tune.ahead import QUEUED, CompileAhead, propose, start_pool
from kernbench.tune.samplers import make_sampler
from kernbench.tune.searchspace import SearchSpace

from .sleepy import SPACE

SLEEPY = "tests.tune.sleepy:PLUGIN"


def _study() -> optuna.Study:
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    return optuna.create_study(direction="minimize", sampler=make_sampler("tpe", 0))


def test_proposals_ahead_are_distinct_and_leave_the_study_untouched() -> None:
    search = SearchSpace(SPACE)
    study = _study()
    configs = propose(study, search, "bruteforce", 0, 3)
    assert len({config_key(c) for c in configs}) == 3  # constant liar: no proposal twice
    assert study.trials == []


def test_fill_enqueues_and_the_pool_serves_the_static_checks() -> None:
    search = SearchSpace(SPACE)
    study = _study()
    registry = Registry.discover()
    registry.add_reference(SLEEPY)
    names = ("toy", "toy_sleepy", registry.family("toy").parse("n=64").key, "fp32")
    with start_pool(1, [SLEEPY]) as pool:
        ahead = CompileAhead(pool, 2, names, Target(), search, "bruteforce", 0)
        assert ahead.fill(study, seen=lambda key: False) == 2
        waiting = study.get_trials(states=(TrialState.WAITING,))
        assert [t.user_attrs["queued"] for t in waiting] == [QUEUED, QUEUED]
        assert ahead.fill(study, seen=lambda key: False) == 0  # the queue is full
        trial = study.ask()  # the next trial takes the first proposal, in order
        config = search.suggest(trial)
        assert config_key(config) in ahead.pending
        result = ahead.take(config)
        assert result is not None and result.ok
        assert ahead.take(config) is None  # served once; then the caller checks itself
