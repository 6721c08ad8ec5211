"""The family contract: what every implementation of one computation shares.

A family says, once, what a problem is, how to make inputs for it, what the right answer
is, what it costs (FLOPs and the fewest bytes it must move) and how close is close enough.
Variants never repeat any of this.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from .errors import UsageError
from .problem import Problem, ProblemParam, parse_pairs

Inputs = dict[str, Any]
"""Tensors and scalars a launch reads, plus the output tensors it writes (by name)."""

DTYPES = ("fp16", "bf16", "fp32", "fp64")
"""The dtype names kernbench knows; ``torch_dtype`` and ``element_size`` map them."""


@dataclass(frozen=True)
class Tolerance:
    """Accepted error of an output, as ``‖out − ref‖ / ‖ref‖`` and as an element-wise bound."""

    rel_norm: float
    atol: float
    rtol: float


DEFAULT_TOLERANCES: Mapping[str, Tolerance] = {
    "fp64": Tolerance(1e-10, 1e-10, 1e-10),
    # fp32 inputs may run on tf32 tensor cores where the variant declares it.
    "fp32": Tolerance(2e-3, 1e-2, 1e-2),
    "fp16": Tolerance(5e-3, 3e-2, 3e-2),
    "bf16": Tolerance(2e-2, 1e-1, 6e-2),
}


def torch_dtype(name: str) -> Any:
    """The torch dtype of a kernbench dtype name."""
    import torch

    table = {
        "fp16": torch.float16,
        "bf16": torch.bfloat16,
        "fp32": torch.float32,
        "fp64": torch.float64,
    }
    try:
        return table[name]
    except KeyError:
        raise UsageError(f"unknown dtype {name!r} (known: {', '.join(table)})") from None


def element_size(dtype: str) -> int:
    """Bytes per element of a kernbench dtype name: what a cost model's ``min_bytes`` counts."""
    try:
        return {"fp16": 2, "bf16": 2, "fp32": 4, "fp64": 8}[dtype]
    except KeyError:
        raise UsageError(f"unknown dtype {dtype!r} (known: {', '.join(DTYPES)})") from None


class Family(ABC):
    """A computation (gemm, paged_attention, ...) and everything variants share about it."""

    name: ClassVar[str]
    description: ClassVar[str] = ""
    params: ClassVar[tuple[ProblemParam, ...]]
    dtypes: ClassVar[tuple[str, ...]] = ("fp16", "bf16", "fp32")
    default_dtype: ClassVar[str] = "fp16"
    cpu_dtype: ClassVar[str] = "fp16"
    """Default on the CPU device: the Triton interpreter's bf16 ``tl.dot`` is not trustworthy."""
    outputs: ClassVar[tuple[str, ...]] = ("out",)
    presets: ClassVar[Mapping[str, tuple[str, ...]]] = {}
    default_preset: ClassVar[str] = ""
    cpu_preset: ClassVar[str] = ""
    cpu_max_scale: ClassVar[float] = 16.0
    """A problem is CPU-sized when it costs at most this many times the ``cpu_preset``'s
    costliest problem (FLOPs and bytes): bigger ones take minutes on the Triton interpreter."""
    memory_bound: ClassVar[bool] = False
    """Memory-bound families are timed with a cold L2 by default."""

    def parse(self, text: str) -> Problem:
        """A problem from ``key=value`` text; families may accept shorthands too."""
        problem = parse_pairs(self.params, self.name, text)
        self.validate(problem)
        return problem

    def validate(self, problem: Problem) -> None:  # noqa: B027 - optional hook
        """Raise UsageError for parameter combinations that make no sense."""

    def non_defaults(self, problem: Problem) -> dict[str, Any]:
        """The parameters of ``problem`` that differ from their declared defaults."""
        defaults = {p.name: p.default for p in self.params}
        return {k: v for k, v in problem.items() if defaults.get(k) != v}

    def label(self, problem: Problem) -> str:
        """A short name for tables: the parameters that differ from their defaults."""
        return ",".join(f"{k}={v}" for k, v in self.non_defaults(problem).items()) or problem.key

    def preset(self, name: str) -> list[Problem]:
        if name not in self.presets:
            raise UsageError(
                f"unknown {self.name} preset {name!r} (known: {', '.join(self.presets)})"
            )
        return [self.parse(text) for text in self.presets[name]]

    def cpu_sized(self, problem: Problem, dtype: str) -> bool:
        """Whether the CPU device finishes ``problem`` in seconds, judged by the cost model
        against the ``cpu_preset`` (no preset declared: no bound to judge by, so yes)."""
        if not self.cpu_preset:
            return True
        largest = self.preset(self.cpu_preset)
        max_flops = max(self.flops(p) for p in largest) * self.cpu_max_scale
        max_bytes = max(self.min_bytes(p, dtype) for p in largest) * self.cpu_max_scale
        return self.flops(problem) <= max_flops and self.min_bytes(problem, dtype) <= max_bytes

    def check_dtype(self, dtype: str) -> str:
        if dtype not in self.dtypes:
            raise UsageError(
                f"{self.name} does not support dtype {dtype!r} (supported: {', '.join(self.dtypes)})"
            )
        return dtype

    @abstractmethod
    def make_inputs(self, problem: Problem, dtype: str, device: str, seed: int) -> Inputs:
        """Fresh seeded random inputs (never zeros) and allocated outputs on ``device``."""

    @abstractmethod
    def reference(self, problem: Problem, inputs: Inputs) -> dict[str, Any]:
        """The right outputs, computed in float64 (float32 where float64 is impractical)."""

    @abstractmethod
    def flops(self, problem: Problem) -> float:
        """Floating-point operations of one run."""

    @abstractmethod
    def min_bytes(self, problem: Problem, dtype: str) -> float:
        """The fewest bytes that must cross device memory in one run."""

    def tolerance(self, dtype: str, problem: Problem | None = None) -> Tolerance:
        return DEFAULT_TOLERANCES[dtype]

    def compute_precision(self, dtype: str) -> str:
        """Which compute ceiling of the roofline applies (e.g. ``bf16`` tensor cores)."""
        return dtype
