"""The correct toy variant, in torch: the baseline the faulty ones are tuned around."""

from __future__ import annotations

import torch

from kernbench.family import Inputs
from kernbench.problem import Problem
from kernbench.space import Config
from kernbench.variant import Launch, variant


@variant(family="toy", name="toy_torch", language="torch", baseline=True)
def build(problem: Problem, config: Config, inputs: Inputs) -> Launch:
    """``torch.mul`` then ``add_`` into the preallocated output."""
    x, out = inputs["x"], inputs["out"]

    def launch() -> None:
        torch.mul(x, 2.0, out=out)
        out.add_(1.0)

    return launch
