"""The paged KV cache of a problem: context lengths, shuffled block allocation, tensors.

Lengths depend only on the problem (so the cost model can count them without inputs);
which physical blocks a sequence gets and the tensor values depend on the seed.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

import torch

from kernbench.errors import UsageError
from kernbench.problem import Problem

DISTRIBUTIONS = ("uniform", "random", "longtail", "one_long")


def explicit_lengths(text: str) -> list[int] | None:
    """``17/1/40`` as a list of suffix lengths, or None for a named distribution."""
    if text in DISTRIBUTIONS:
        return None
    parts = text.split("/")
    if not all(p.isdigit() and int(p) >= 1 for p in parts):
        raise UsageError(
            f"lengths={text!r} is neither one of {', '.join(DISTRIBUTIONS)} "
            "nor a list of positive integers such as 17/1/40"
        )
    return [int(p) for p in parts]


def suffix_lengths(problem: Problem) -> list[int]:
    """Tokens of each sequence after the shared prefix, drawn from the named distribution.

    ``context`` is the longest suffix: ``random`` draws uniformly from 1..context,
    ``longtail`` exponentially with mean context/8 (clipped; one sequence has the full
    context), ``one_long`` gives one sequence the full context and the rest context/32.
    """
    given = explicit_lengths(str(problem["lengths"]))
    if given is not None:
        return given
    batch, context = problem.int("batch"), problem.int("context")
    kind = str(problem["lengths"])
    rng = random.Random(problem.int("lengths_seed"))
    if kind == "uniform":
        return [context] * batch
    if kind == "random":
        return [rng.randint(1, context) for _ in range(batch)]
    if kind == "longtail":
        lens = [
            min(context, max(1, math.ceil(rng.expovariate(8.0 / context)))) for _ in range(batch)
        ]
    else:  # one_long
        lens = [max(1, context // 32)] * batch
    lens[rng.randrange(batch)] = context
    return lens


def context_lengths(problem: Problem) -> list[int]:
    """Whole context of each sequence: the shared prefix plus its own suffix."""
    prefix = problem.int("shared_prefix")
    return [prefix + n for n in suffix_lengths(problem)]


@dataclass(frozen=True)
class Allocation:
    """Block tables over a shuffled pool: ``tables[b][j]`` is sequence b's j-th physical block."""

    tables: list[list[int]]
    pool: int
    """Physical blocks in the cache: the ones in use plus a few spare (never read)."""


def allocate(problem: Problem, seed: int) -> Allocation:
    """Give each sequence its blocks from a shuffled pool; shared-prefix blocks are common.

    The pool has spare blocks, table entries past a sequence's end point at random blocks
    (a kernel reading them gets wrong, finite data), and the order is never ascending.
    """
    bs = problem.int("block_size")
    lens = context_lengths(problem)
    prefix_blocks = problem.int("shared_prefix") // bs
    own = [math.ceil(n / bs) - prefix_blocks for n in lens]
    needed = prefix_blocks + sum(own)
    pool = needed + max(2, needed // 16)
    rng = random.Random(seed)
    order = rng.sample(range(pool), needed)
    if needed >= 2 and order == sorted(order):
        order[0], order[1] = order[1], order[0]
    prefix, rest = order[:prefix_blocks], iter(order[prefix_blocks:])
    width = max(math.ceil(n / bs) for n in lens)
    tables = []
    for count in own:
        row = prefix + [next(rest) for _ in range(count)]
        tables.append(row + [rng.randrange(pool) for _ in range(width - len(row))])
    return Allocation(tables, pool)


def cache_shape(problem: Problem, pool: int) -> tuple[int, int, int, int]:
    """``nhd``: [blocks, block_size, kv_heads, head_dim]; ``hnd``: [blocks, kv_heads, block_size, head_dim]."""
    bs, kvh, d = problem.int("block_size"), problem.int("kv_heads"), problem.int("head_dim")
    return (pool, bs, kvh, d) if problem["layout"] == "nhd" else (pool, kvh, bs, d)


def gather(cache: torch.Tensor, table: torch.Tensor, length: int, layout: str) -> torch.Tensor:
    """One sequence's keys or values in order, as [length, kv_heads, head_dim]."""
    blocks = cache[table.long()]
    if layout == "hnd":
        blocks = blocks.transpose(1, 2)
    return blocks.reshape(-1, blocks.shape[-2], blocks.shape[-1])[:length]
