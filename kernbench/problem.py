"""Problems: one point of a family's problem space, written as ``key=value`` pairs."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from .errors import UsageError

ProblemValue = int | float | str


@dataclass(frozen=True)
class ProblemParam:
    """A problem parameter: its type, default (None = required), allowed choices and range."""

    name: str
    type: type = int
    default: ProblemValue | None = None
    choices: tuple[ProblemValue, ...] | None = None
    minimum: float | None = None
    help: str = ""

    def parse(self, text: str) -> ProblemValue:
        try:
            value: ProblemValue = self.type(text)
        except ValueError:
            raise UsageError(f"{self.name}={text!r} is not a valid {self.type.__name__}") from None
        return self.check(value)

    def check(self, value: ProblemValue) -> ProblemValue:
        if self.choices is not None and value not in self.choices:
            raise UsageError(
                f"{self.name}={value!r} is not one of {', '.join(map(str, self.choices))}"
            )
        if self.minimum is not None and isinstance(value, (int, float)) and value < self.minimum:
            raise UsageError(f"{self.name}={value} must be at least {self.minimum:g}")
        return value


@dataclass(frozen=True)
class Problem(Mapping[str, ProblemValue]):
    """An immutable, hashable set of problem parameters belonging to one family."""

    family: str
    items_: tuple[tuple[str, ProblemValue], ...]

    @classmethod
    def of(cls, family: str, values: Mapping[str, ProblemValue]) -> Problem:
        return cls(family, tuple(values.items()))

    def __getitem__(self, key: str) -> ProblemValue:
        for k, v in self.items_:
            if k == key:
                return v
        raise KeyError(key)

    def __iter__(self) -> Iterator[str]:
        return (k for k, _ in self.items_)

    def __len__(self) -> int:
        return len(self.items_)

    def int(self, key: str) -> int:
        value = self[key]
        assert isinstance(value, int), f"{key} is not an int"
        return value

    @property
    def key(self) -> str:
        """Canonical text, ``m=128,n=128,k=128``: the problem's identity in stores."""
        return ",".join(f"{k}={v}" for k, v in self.items_)

    def __str__(self) -> str:
        return self.key


def parse_pairs(params: tuple[ProblemParam, ...], family: str, text: str) -> Problem:
    """Parse ``key=value,key=value`` against declared params, applying defaults."""
    declared = {p.name: p for p in params}
    given: dict[str, ProblemValue] = {}
    for part in filter(None, (s.strip() for s in text.split(","))):
        if "=" not in part:
            raise UsageError(
                f"bad {family} problem {text!r}: expected key=value pairs ({', '.join(declared)})"
            )
        key, _, raw = part.partition("=")
        key = key.strip()
        if key not in declared:
            raise UsageError(f"unknown {family} parameter {key!r} (known: {', '.join(declared)})")
        if key in given:
            raise UsageError(f"{family} parameter {key!r} given twice")
        given[key] = declared[key].parse(raw.strip())
    values: dict[str, ProblemValue] = {}
    for p in params:
        if p.name in given:
            values[p.name] = given[p.name]
        elif p.default is not None:
            values[p.name] = p.default
        else:
            raise UsageError(f"{family} problem {text!r} is missing {p.name}=")
    return Problem.of(family, values)
