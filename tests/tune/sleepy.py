"""A test plugin whose kernel takes a known time: it sleeps ``delay_ms`` on the CPU device.

Registered by reference (``registry.add_reference("tests.tune.sleepy:PLUGIN")``) for the
winner-confirmation tests: a timing source whose truth is known, not a fake GPU. ``twin``
changes nothing, so two configs differing only in it take the same time.
"""

from __future__ import annotations

import time

import torch

from kernbench.family import Inputs
from kernbench.problem import Problem
from kernbench.registry import Plugin
from kernbench.space import Categorical, Config, Space
from kernbench.variant import Launch, variant

SPACE = Space(params=(Categorical("delay_ms", (2, 8)), Categorical("twin", (0, 1))))


@variant(
    family="toy",
    name="toy_sleepy",
    language="torch",
    space=SPACE,
    defaults=({"delay_ms": 8, "twin": 0},),
    static_check=lambda problem, config, dtype, target: [],  # nothing to compile: all fit
)
def build(problem: Problem, config: Config, inputs: Inputs) -> Launch:
    """Writes the right answer, then sleeps ``delay_ms``."""
    x, out = inputs["x"], inputs["out"]
    delay = float(config["delay_ms"]) / 1e3

    def launch() -> None:
        torch.mul(x, 2.0, out=out)
        out.add_(1.0)
        time.sleep(delay)

    return launch


PLUGIN = Plugin(
    families=("tests.plugins_faulty.family:TOY",),
    variants={
        "toy_torch": "tests.plugins_faulty.good:build",
        "toy_sleepy": "tests.tune.sleepy:build",
    },
)
