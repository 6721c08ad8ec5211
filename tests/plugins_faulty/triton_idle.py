"""A Triton toy variant whose space has a knob its launch forgets: ``num_stages`` is declared,
defaulted and even read by a constraint, but the plan passes only ``num_warps`` and the block
size, so no config's ``num_stages`` ever reaches the kernel. Loading it must warn."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import triton
import triton.language as tl

from kernbench.backends.triton import KernelCall, launcher
from kernbench.family import Inputs
from kernbench.problem import Problem
from kernbench.space import Categorical, Config, Pow2, Space
from kernbench.variant import Launch, variant


@triton.jit
def idle_kernel(x_ptr, out_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    tl.store(out_ptr + offs, 2.0 * tl.load(x_ptr + offs, mask=mask) + 1.0, mask=mask)


def _stages_fit(config: Mapping[str, Any]) -> bool:
    """BLOCK * num_stages must stay under 8192 elements"""
    return int(config["BLOCK"]) * int(config["num_stages"]) <= 8192


SPACE = Space(
    params=(
        Pow2("BLOCK", 256, 2048),
        Categorical("num_warps", (2, 4)),
        Categorical("num_stages", (1, 2, 3)),
    ),
    constraints=(_stages_fit,),
)


def plan(problem: Problem, config: Config, args: Mapping[str, Any]) -> list[KernelCall]:
    """One program per BLOCK elements (num_stages forgotten)."""
    n = problem.int("n")
    return [
        KernelCall(
            idle_kernel,
            grid=(triton.cdiv(n, int(config["BLOCK"])),),
            constexprs={"BLOCK": config["BLOCK"]},
            num_warps=int(config["num_warps"]),
        )
    ]


@variant(
    family="toy",
    name="toy_idle_knob",
    language="triton",
    space=SPACE,
    defaults=[{"BLOCK": 1024, "num_warps": 4, "num_stages": 2}],
)
def build(problem: Problem, config: Config, inputs: Inputs) -> Launch:
    """y = 2x + 1 in blocks of BLOCK."""
    args = {"x_ptr": inputs["x"], "out_ptr": inputs["out"], "n": problem.int("n")}
    return launcher(plan(problem, config, args), args)
