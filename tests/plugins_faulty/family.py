"""The toy family: out = 2 * x + 1 over a vector. Small enough for any device."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

import torch

from kernbench.family import Family, Inputs, element_size, torch_dtype
from kernbench.problem import Problem, ProblemParam


class Toy(Family):
    name = "toy"
    description = "out = 2*x + 1 (test family)"
    params = (ProblemParam("n", int, 4096, minimum=1),)
    dtypes = ("fp32", "fp16")
    default_dtype = "fp32"
    cpu_dtype = "fp32"
    presets: ClassVar[Mapping[str, tuple[str, ...]]] = {"small": ("n=4096",)}
    default_preset = cpu_preset = "small"
    memory_bound = True

    def make_inputs(self, problem: Problem, dtype: str, device: str, seed: int) -> Inputs:
        gen = torch.Generator(device="cpu").manual_seed(seed)
        n = problem.int("n")
        x = torch.randn(n, generator=gen, dtype=torch.float32).to(
            device=device, dtype=torch_dtype(dtype)
        )
        return {"x": x, "out": torch.empty(n, device=device, dtype=torch_dtype(dtype))}

    def reference(self, problem: Problem, inputs: Inputs) -> dict[str, Any]:
        return {"out": 2.0 * inputs["x"].to(torch.float64) + 1.0}

    def flops(self, problem: Problem) -> float:
        return 2.0 * problem.int("n")

    def min_bytes(self, problem: Problem, dtype: str) -> float:
        return 2.0 * problem.int("n") * element_size(dtype)


TOY = Toy()
