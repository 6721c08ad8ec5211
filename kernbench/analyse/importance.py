"""Parameter importance of a tuned study: which parameters the time actually depends on.

Optuna's fANOVA (a random forest over the trials, needs scikit-learn) on the correct,
measured trials only: rejected and failed configs carry penalty values that say nothing
about how the parameters shape the time. Names are the variant's own.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import optuna
from optuna.trial import TrialState
from rich.table import Table

from ..space import Space
from ..tune.searchspace import SearchSpace

MIN_TRIALS = 10
"""Fewer correct trials than this give importances that mean nothing: none are reported."""


def _evaluator(seed: int) -> optuna.importance.BaseImportanceEvaluator:
    try:
        import sklearn  # noqa: F401
    except ImportError:  # fANOVA needs scikit-learn; PED-ANOVA needs nothing
        return optuna.importance.PedAnovaImportanceEvaluator()
    return optuna.importance.FanovaImportanceEvaluator(seed=seed)


def param_importances(study: optuna.Study, space: Space, seed: int = 0) -> dict[str, float] | None:
    """Normalised importance of each parameter, or None with too few correct trials."""
    search = SearchSpace(space)
    good = [
        t
        for t in study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
        if t.user_attrs.get("feasible") and t.value is not None and math.isfinite(t.value)
    ]
    if len(good) < MIN_TRIALS:
        return None
    varying = [c for c in search.coordinates if len(c.param.values) > 1]
    if not varying:
        return {}
    shadow = optuna.create_study(direction="minimize")
    shadow.add_trials(good)
    raw = optuna.importance.get_param_importances(
        shadow,
        evaluator=_evaluator(seed),
        params=[c.name for c in varying],
    )
    names = {c.name: c.param.name for c in search.coordinates}
    return {names[k]: float(v) for k, v in raw.items()}


def study_importances(storage: str, study_name: str, space: Space) -> dict[str, float] | None:
    """Importances of a stored study (for ``tune`` and the report)."""
    study = optuna.load_study(study_name=study_name, storage=storage)
    return param_importances(study, space)


def importance_table(scores: Mapping[str, float], title: str) -> Table:
    table = Table(title=title, title_justify="left")
    table.add_column("parameter")
    table.add_column("importance", justify="right")
    for name, value in sorted(scores.items(), key=lambda kv: -kv[1]):
        table.add_row(name, f"{value:.2f}")
    return table
