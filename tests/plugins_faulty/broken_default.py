"""A toy variant whose module cannot load: its default config has a key its space lacks.

Registered only in ``tests.plugins_faulty:BROKEN``: ``bench -v toy_bad_default`` must say so
in one line and exit 2, as ``list`` does.
"""

from __future__ import annotations

import torch

from kernbench.family import Inputs
from kernbench.problem import Problem
from kernbench.space import Config, Pow2, Space
from kernbench.variant import Launch, variant


@variant(
    family="toy",
    name="toy_bad_default",
    language="torch",
    space=Space(params=(Pow2("BLOCK", 16, 64),)),
    defaults=[{"BLOCK": 16, "GROUP_SIZE_M": 8}],
)
def build(problem: Problem, config: Config, inputs: Inputs) -> Launch:
    """Never built: the module fails when the variant is made."""
    x, out = inputs["x"], inputs["out"]
    return lambda: torch.mul(x, 2.0, out=out)
