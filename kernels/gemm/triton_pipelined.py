"""Ladder step 3: software pipelining depth and warp count become tunables."""

from __future__ import annotations

from collections.abc import Mapping

from kernbench.backends.triton import ArgValue, KernelCall, launch_options
from kernbench.family import Inputs
from kernbench.problem import Problem
from kernbench.space import Config, Pow2, Space, Value
from kernbench.variant import Launch, variant

from .triton_common import (
    LARGE_TILE_DEFAULTS,
    PIPELINE_PARAMS,
    acc_fits,
    build_with,
    static_check_of,
)
from .triton_grouped import grouped_call

SPACE = Space(
    params=(
        Pow2("BLOCK_M", 32, 256),
        Pow2("BLOCK_N", 32, 256),
        Pow2("BLOCK_K", 32, 128),
        Pow2("GROUP_M", 1, 16),
        *PIPELINE_PARAMS,
    ),
    constraints=(acc_fits,),
)


def plan(
    problem: Problem, config: Mapping[str, Value], args: Mapping[str, ArgValue]
) -> list[KernelCall]:
    """Step 2's kernel, launched with the config's num_warps and num_stages."""
    return [grouped_call(problem, config, **launch_options(config))]


@variant(
    family="gemm",
    name="triton_pipelined",
    language="triton",
    space=SPACE,
    defaults=list(LARGE_TILE_DEFAULTS),
    static_check=static_check_of(plan),
    sources=["triton_common.py", "triton_grouped.py"],
    order=3,
)
def build(problem: Problem, config: Config, inputs: Inputs) -> Launch:
    """Step 2's kernel with num_stages and num_warps tunable and larger tiles allowed. With
    num_stages=s Triton's pipeliner keeps s-1 K slices of A and B in flight through
    asynchronous copies into shared memory, hiding global-memory latency behind the tensor
    cores; more warps let bigger tiles (more reuse per loaded byte) keep their fp32
    accumulator in registers. Shared memory grows with stages x tile, which the static
    check holds to the target's per-block limit."""
    return build_with(plan, problem, config, inputs)
