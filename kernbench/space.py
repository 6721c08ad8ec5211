"""Config spaces: the tunable parameters of a variant and the constraints between them.

A space is declared as data (parameters plus constraint predicates) so that the tuner,
the static check and ``kernbench list`` all read the same declaration.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field

Value = int | float | str | bool
Config = dict[str, Value]
Constraint = Callable[[Mapping[str, Value]], bool]


@dataclass(frozen=True)
class Param:
    """One tunable parameter with a finite, ordered list of values."""

    name: str
    values: tuple[Value, ...]
    kind: str = "categorical"

    def __post_init__(self) -> None:
        if not self.values:
            raise ValueError(f"parameter {self.name!r} has no values")
        if len(set(self.values)) != len(self.values):
            raise ValueError(f"parameter {self.name!r} repeats a value")

    def describe(self) -> str:
        if self.kind == "int" and len(self.values) > 4:
            step = self.values[1] - self.values[0]  # type: ignore[operator]
            return f"{self.values[0]}..{self.values[-1]} step {step}"
        if self.kind == "pow2":
            return f"{self.values[0]}..{self.values[-1]} (powers of two)"
        return ", ".join(str(v) for v in self.values)


def Int(name: str, low: int, high: int, step: int = 1) -> Param:
    """An integer parameter ``low, low+step, ..., high``."""
    if high < low or step <= 0:
        raise ValueError(f"parameter {name!r}: empty range {low}..{high} step {step}")
    return Param(name, tuple(range(low, high + 1, step)), "int")


def Pow2(name: str, low: int, high: int) -> Param:
    """A power-of-two parameter ``low, 2*low, ..., high``; both ends must be powers of two."""
    for end in (low, high):
        if end <= 0 or end & (end - 1):
            raise ValueError(f"parameter {name!r}: {end} is not a power of two")
    values: list[int] = []
    v = low
    while v <= high:
        values.append(v)
        v *= 2
    return Param(name, tuple(values), "pow2")


def Categorical(name: str, choices: Sequence[Value]) -> Param:
    """A parameter with an unordered set of choices."""
    return Param(name, tuple(choices), "categorical")


@dataclass(frozen=True)
class Space:
    """A product of parameters filtered by constraints.

    Constraints are predicates on a whole config; each carries a short text (its
    ``__doc__`` or name) so a rejected config can say which rule it broke.
    """

    params: tuple[Param, ...] = ()
    constraints: tuple[Constraint, ...] = field(default_factory=tuple)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.params)

    def param(self, name: str) -> Param:
        for p in self.params:
            if p.name == name:
                return p
        raise KeyError(name)

    def violated(self, config: Mapping[str, Value]) -> str | None:
        """The first broken rule as text, or None when the config is valid."""
        for p in self.params:
            if p.name not in config:
                return f"missing parameter {p.name}"
            if config[p.name] not in p.values:
                return f"{p.name}={config[p.name]!r} is not one of {list(p.values)}"
        extra = set(config) - set(self.names)
        if extra:
            return f"unknown parameter(s) {sorted(extra)}"
        for rule in self.constraints:
            if not rule(config):
                return str(rule.__doc__ or getattr(rule, "__name__", "constraint")).strip()
        return None

    def is_valid(self, config: Mapping[str, Value]) -> bool:
        return self.violated(config) is None

    def product_size(self) -> int:
        n = 1
        for p in self.params:
            n *= len(p.values)
        return n

    def __iter__(self) -> Iterator[Config]:
        """Every valid config, in declaration order."""
        for values in itertools.product(*(p.values for p in self.params)):
            config = dict(zip(self.names, values, strict=True))
            if all(rule(config) for rule in self.constraints):
                yield config

    def size(self) -> int:
        """Number of valid configs (enumerates the product)."""
        return sum(1 for _ in self)


def config_key(config: Mapping[str, Value]) -> str:
    """A canonical text for a config: the key of caches and record matching."""
    return json.dumps(dict(sorted(config.items())), separators=(",", ":"))
