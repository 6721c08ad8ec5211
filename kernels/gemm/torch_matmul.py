"""cuBLAS through ``torch.matmul``: the baseline every GEMM step is measured against."""

from __future__ import annotations

import torch

from kernbench.family import Inputs
from kernbench.problem import Problem
from kernbench.space import Config
from kernbench.variant import Launch, variant


@variant(family="gemm", name="torch_matmul", language="torch", baseline=True)
def build(problem: Problem, config: Config, inputs: Inputs) -> Launch:
    """``torch.matmul`` into a preallocated output: cuBLAS(Lt) on a GPU, ATen on the CPU."""
    a, b, out = inputs["a"], inputs["b"], inputs["out"]
    alpha, beta = inputs["alpha"], inputs["beta"]
    if beta != 0.0:
        c = inputs["c"]
        return lambda: torch.addmm(c, a, b, beta=beta, alpha=alpha, out=out)
    if alpha != 1.0:
        return lambda: torch.mm(a, b, out=out).mul_(alpha)
    return lambda: torch.mm(a, b, out=out)
