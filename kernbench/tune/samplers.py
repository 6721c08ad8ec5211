"""Search strategies behind ``--sampler``: a table of names to constructors.

``auto`` is TPE, or brute force when the valid space is no larger than the budget (then
trying everything is both cheaper and certain). The seed is part of every constructor call
and is recorded with the study.
"""

from __future__ import annotations

import inspect
import warnings
from collections.abc import Callable

import optuna

from ..errors import UsageError

TPE_STARTUP_TRIALS = 4
"""Random trials before TPE models the space: few, since a kernel space is small and each
evaluation is expensive. With ``TPE_EI_CANDIDATES`` settled on the recorded spaces by
``kernbench tune-eval`` (8 startup trials and 24 candidates missed the 10% bar)."""

TPE_EI_CANDIDATES = 48
"""Candidates scored per proposal: more candidates exploit the model harder."""


def _tpe(seed: int) -> optuna.samplers.BaseSampler:
    return optuna.samplers.TPESampler(
        seed=seed,
        multivariate=True,
        constant_liar=True,
        n_startup_trials=TPE_STARTUP_TRIALS,
        n_ei_candidates=TPE_EI_CANDIDATES,
    )


def _gp(seed: int) -> optuna.samplers.BaseSampler:
    return optuna.samplers.GPSampler(seed=seed, n_startup_trials=TPE_STARTUP_TRIALS)


def _random(seed: int) -> optuna.samplers.BaseSampler:
    return optuna.samplers.RandomSampler(seed=seed)


def _bruteforce(seed: int) -> optuna.samplers.BaseSampler:
    cls = optuna.samplers.BruteForceSampler
    if "avoid_premature_stop" in inspect.signature(cls.__init__).parameters:
        return cls(seed=seed, avoid_premature_stop=True)
    return cls(seed=seed)


SAMPLERS: dict[str, Callable[[int], optuna.samplers.BaseSampler]] = {
    "tpe": _tpe,
    "gp": _gp,
    "random": _random,
    "bruteforce": _bruteforce,
}
"""Sampler name -> constructor taking the seed."""

CHOICES = ("auto", *SAMPLERS)


def resolve(name: str, valid_size: int, budget: int | None) -> str:
    """The sampler to use: ``auto`` becomes bruteforce when the budget covers the space."""
    if name not in CHOICES:
        raise UsageError(f"unknown sampler {name!r} (known: {', '.join(CHOICES)})")
    if name != "auto":
        return name
    return "bruteforce" if budget is not None and valid_size <= budget else "tpe"


def make_sampler(name: str, seed: int) -> optuna.samplers.BaseSampler:
    if name not in SAMPLERS:
        raise UsageError(f"unknown sampler {name!r} (known: {', '.join(CHOICES)})")
    with warnings.catch_warnings():
        # "BruteForceSampler is experimental": the user chose it through --sampler
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        return SAMPLERS[name](seed)
