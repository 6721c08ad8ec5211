import optuna
import pytest

from kernbench.errors import UsageError
from kernbench.space import Categorical, Int, Pow2, Space
from kernbench.tune.samplers import SAMPLERS, make_sampler, resolve
from kernbench.tune.searchspace import SearchSpace

SPACE = Space(
    (Pow2("BLOCK", 16, 128), Int("stages", 2, 6, 2), Categorical("order", ("row", "col")))
)


def test_every_parameter_suggested_and_config_in_variant_names() -> None:
    search = SearchSpace(SPACE)
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=1))
    for _ in range(30):
        trial = study.ask()
        config = search.suggest(trial)
        assert set(trial.params) == set(search.distributions)
        assert SPACE.is_valid(config), config
        assert search.to_config(trial.params) == config
        study.tell(trial, 1.0)


def test_pow2_is_an_ordered_exponent_and_round_trips() -> None:
    search = SearchSpace(SPACE)
    assert search.to_params({"BLOCK": 64, "stages": 4, "order": "col"}) == {
        "log2_BLOCK": 6,
        "stages": 4,
        "order": "col",
    }
    for config in SPACE:
        assert search.to_config(search.to_params(config)) == config


def test_sampler_table_and_auto_choice() -> None:
    assert set(SAMPLERS) == {"tpe", "gp", "random", "bruteforce"}
    assert resolve("auto", valid_size=40, budget=40) == "bruteforce"
    assert resolve("auto", valid_size=41, budget=40) == "tpe"
    assert resolve("random", valid_size=4, budget=40) == "random"
    for name in SAMPLERS:
        assert isinstance(make_sampler(name, 3), optuna.samplers.BaseSampler)
    with pytest.raises(UsageError):
        resolve("annealing", 10, 10)
