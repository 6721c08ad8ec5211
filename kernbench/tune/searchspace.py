"""A variant's config space as a static Optuna search space.

Every parameter is suggested in every trial, so the sampler always sees the same space.
Integer ranges keep their order (``suggest_int`` with a step) and powers of two are
suggested by their exponent, which lets TPE and GP model "bigger tile" as a direction;
categorical parameters stay categorical. Configs always leave here in the variant's own
names and values.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from optuna.distributions import (
    BaseDistribution,
    CategoricalDistribution,
    IntDistribution,
)

from ..space import Config, Param, Space, Value

_EXPONENT = "log2_"


@dataclass(frozen=True)
class Coordinate:
    """How one variant parameter appears to Optuna."""

    param: Param
    name: str
    distribution: BaseDistribution

    def to_value(self, raw: Any) -> Value:
        if self.param.kind == "pow2":
            return 1 << int(raw)
        return raw

    def to_raw(self, value: Value) -> Any:
        if self.param.kind == "pow2":
            return int(value).bit_length() - 1
        return value


def _coordinate(p: Param) -> Coordinate:
    values = p.values
    if p.kind == "pow2":
        exps = [int(v).bit_length() - 1 for v in values]
        return Coordinate(p, _EXPONENT + p.name, IntDistribution(exps[0], exps[-1]))
    if p.kind == "int" and len(values) > 1:
        step = int(values[1]) - int(values[0])
        return Coordinate(p, p.name, IntDistribution(int(values[0]), int(values[-1]), step=step))
    if p.kind == "int":
        v = int(values[0])
        return Coordinate(p, p.name, IntDistribution(v, v))
    return Coordinate(p, p.name, CategoricalDistribution(list(values)))


class SearchSpace:
    """Translates between a :class:`~kernbench.space.Space` and Optuna's trial parameters."""

    def __init__(self, space: Space) -> None:
        self.space = space
        self.coordinates = tuple(_coordinate(p) for p in space.params)

    @property
    def distributions(self) -> dict[str, BaseDistribution]:
        return {c.name: c.distribution for c in self.coordinates}

    def suggest(self, trial: Any) -> Config:
        """Suggest every parameter (a static space) and return the config in variant names."""
        config: Config = {}
        for c in self.coordinates:
            d = c.distribution
            if isinstance(d, IntDistribution):
                raw: Any = trial.suggest_int(c.name, d.low, d.high, step=d.step)
            else:
                assert isinstance(d, CategoricalDistribution)
                raw = trial.suggest_categorical(c.name, d.choices)
            config[c.param.name] = c.to_value(raw)
        return config

    def to_params(self, config: Mapping[str, Value]) -> dict[str, Any]:
        """Optuna parameters of a config (for ``enqueue_trial``)."""
        return {c.name: c.to_raw(config[c.param.name]) for c in self.coordinates}

    def covers(self, params: Mapping[str, Any]) -> bool:
        """Whether ``params`` holds every coordinate (a running trial may hold only some yet)."""
        return all(c.name in params for c in self.coordinates)

    def to_config(self, params: Mapping[str, Any]) -> Config:
        """The config of a trial's parameters."""
        return {c.param.name: c.to_value(params[c.name]) for c in self.coordinates}

    def product_size(self) -> int:
        return self.space.product_size()
