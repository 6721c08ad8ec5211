"""A toy variant whose ``mode`` ends the process the polite way: ``sys.exit`` at build or launch.

In a worker that costs the worker; in process it must cost only the candidate.
"""

from __future__ import annotations

import sys

import torch

from kernbench.family import Inputs
from kernbench.problem import Problem
from kernbench.space import Categorical, Config, Space
from kernbench.variant import Launch, variant


@variant(
    family="toy",
    name="toy_exit",
    language="python",
    space=Space(params=(Categorical("mode", ("ok", "exit_build", "exit_launch")),)),
    defaults=[{"mode": "ok"}],
)
def build(problem: Problem, config: Config, inputs: Inputs) -> Launch:
    """Calls ``sys.exit(0)`` where ``mode`` says."""
    x, out = inputs["x"], inputs["out"]
    if config["mode"] == "exit_build":
        sys.exit(0)

    def launch() -> None:
        if config["mode"] == "exit_launch":
            sys.exit(0)
        torch.mul(x, 2.0, out=out).add_(1.0)

    return launch
