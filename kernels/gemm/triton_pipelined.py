"""Ladder step 3: software pipelining depth and warp count become tunables."""

from __future__ import annotations

from collections.abc import Mapping

from kernbench.backends.triton import ArgValue, KernelCall
from kernbench.family import Inputs
from kernbench.problem import Problem
from kernbench.space import Categorical, Config, Int, Pow2, Space, Value
from kernbench.variant import Launch, variant

from .triton_common import acc_fits, build_with, static_check_of
from .triton_grouped import grouped_call

SPACE = Space(
    params=(
        Pow2("BLOCK_M", 32, 256),
        Pow2("BLOCK_N", 32, 256),
        Pow2("BLOCK_K", 32, 128),
        Pow2("GROUP_M", 1, 16),
        Int("num_stages", 2, 5),
        Categorical("num_warps", (4, 8)),
    ),
    constraints=(acc_fits,),
)


def plan(
    problem: Problem, config: Mapping[str, Value], args: Mapping[str, ArgValue]
) -> list[KernelCall]:
    """Step 2's kernel, launched with the config's num_warps and num_stages."""
    return [
        grouped_call(
            problem,
            config,
            num_warps=int(config["num_warps"]),
            num_stages=int(config["num_stages"]),
        )
    ]


@variant(
    family="gemm",
    name="triton_pipelined",
    language="triton",
    space=SPACE,
    defaults=[
        {
            "BLOCK_M": 128,
            "BLOCK_N": 256,
            "BLOCK_K": 64,
            "GROUP_M": 8,
            "num_stages": 3,
            "num_warps": 8,
        },
        {
            "BLOCK_M": 128,
            "BLOCK_N": 128,
            "BLOCK_K": 64,
            "GROUP_M": 8,
            "num_stages": 4,
            "num_warps": 4,
        },
    ],
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
