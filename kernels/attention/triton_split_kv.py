"""Paged decode, split-KV (flash-decoding): context chunks in parallel, merged by log-sum-exp."""

from __future__ import annotations

from collections.abc import Mapping

from kernbench.backends.triton import ArgValue, KernelCall
from kernbench.family import Inputs
from kernbench.problem import Problem
from kernbench.space import Config, Space, Value
from kernbench.variant import Launch, variant

from .triton_common import (
    COMMON_PARAMS,
    SPLITS,
    build_with,
    partials_call,
    reduce_call,
    static_check_of,
    suffix_splits,
    warps_have_tokens,
)

SPACE = Space(params=(*COMMON_PARAMS, SPLITS), constraints=(warps_have_tokens,))


def plan(
    problem: Problem, config: Mapping[str, Value], args: Mapping[str, ArgValue]
) -> list[KernelCall]:
    """The split pass, then the log-sum-exp merge of its slots."""
    splits = suffix_splits(problem, config, int(args["sms"]))
    return [partials_call(problem, config, splits), reduce_call(problem, splits)]


@variant(
    family="paged_attention",
    name="triton_split_kv",
    language="triton",
    space=SPACE,
    defaults=[{"BLOCK_N": 64, "BLOCK_H": 0, "num_warps": 4, "num_stages": 2, "NUM_SPLITS": 0}],
    static_check=static_check_of(plan, suffix_splits),
    sources=["triton_common.py"],
    order=2,
)
def build(problem: Problem, config: Config, inputs: Inputs) -> Launch:
    """Each sequence's context is cut into NUM_SPLITS chunks (0 = enough for two waves of
    SMs, chunks of 256 tokens or more); one program per (sequence, kv head, chunk) writes an
    unnormalised partial result with its max and sum, and a second kernel merges the chunks by
    log-sum-exp. Fills the GPU at small batch and long context, at the price of a second
    launch and a scratch round trip of batch x q_heads x splits x head_dim floats."""
    return build_with(plan, suffix_splits, problem, config, inputs)
