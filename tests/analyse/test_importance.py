"""fANOVA importance names the parameter the time depends on, in the variant's names."""

import optuna

from kernbench.analyse.importance import MIN_TRIALS, param_importances
from kernbench.space import Categorical, Pow2, Space
from kernbench.tune.core import set_constraints
from kernbench.tune.searchspace import SearchSpace

SPACE = Space(
    (Pow2("BLOCK_M", 16, 256), Categorical("num_warps", (2, 4, 8)), Pow2("GROUP_M", 1, 8))
)


def _study(n: int) -> optuna.Study:
    search = SearchSpace(SPACE)
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))
    for _ in range(n):
        trial = study.ask()
        config = search.suggest(trial)
        set_constraints(trial, rejected=False, failed=False)
        # time depends (mostly) on BLOCK_M only
        study.tell(
            trial, abs(int(config["BLOCK_M"]).bit_length() - 7) + 0.01 * int(config["GROUP_M"])
        )
    return study


def test_importance_finds_the_parameter_that_matters() -> None:
    scores = param_importances(_study(40), SPACE)
    assert scores is not None
    assert set(scores) == {"BLOCK_M", "num_warps", "GROUP_M"}
    assert max(scores, key=lambda k: scores[k]) == "BLOCK_M"


def test_too_few_trials_give_no_importance() -> None:
    assert param_importances(_study(MIN_TRIALS - 1), SPACE) is None
