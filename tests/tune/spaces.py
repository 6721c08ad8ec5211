"""Synthetic space files for the tuner's tests: a known landscape over a real variant's space.

Synthetic times are fine for testing search mechanics (they are never shown as results):
the landscape is smooth in log2 of the tile sizes with one optimum, some configs fail at
run time and some are statically rejected.
"""

from __future__ import annotations

import math
from pathlib import Path

from kernbench.measure.outcome import Status
from kernbench.measure.stats import summarize
from kernbench.registry import Registry
from kernbench.space import Config
from kernbench.tune.spacefile import SpaceEntry, SpaceFile

VARIANT = "triton_naive"
PROBLEM = "m=32,n=32,k=32,layout_a=row,layout_b=row,alpha=1.0,beta=0.0"
OPTIMUM = {"BLOCK_M": 64, "BLOCK_N": 32, "BLOCK_K": 32}


def landscape(config: Config) -> float:
    """Seconds: 1 ms at the optimum, growing with log2 distance from it."""
    d = sum((math.log2(int(config[k])) - math.log2(v)) ** 2 for k, v in OPTIMUM.items())
    return 1e-3 * (1 + 0.5 * d)


def failing(config: Config) -> bool:
    return config["BLOCK_M"] == 16 and config["BLOCK_N"] == 128


def rejected(config: Config) -> bool:
    return config["BLOCK_M"] == 128 and config["BLOCK_K"] == 64


def synthetic_space(path: Path | None = None) -> SpaceFile:
    variant = Registry.discover().variant(VARIANT)
    entries, rej = [], []
    for i, config in enumerate(variant.space):
        if rejected(config):
            rej.append({"config": config, "reason": "synthetic: shared memory over the limit"})
        elif failing(config):
            entries.append(SpaceEntry(config, Status.WRONG, "synthetic wrong result"))
        else:
            t = landscape(config)
            samples = [t * (1 + 0.001 * ((i + j) % 5)) for j in range(7)]
            entries.append(
                SpaceEntry(config, Status.OK, "", 1e-4, samples, summarize(samples).as_dict())
            )
    space = SpaceFile(
        family="gemm",
        variant=VARIANT,
        problem=PROBLEM,
        dtype="fp16",
        device={"name": "synthetic", "kind": "cpu", "timing_kind": "synthetic"},
        source_hash=variant.source_hash(),
        settings={},
        provenance={"note": "synthetic test space"},
        entries=entries,
        rejected=rej,
    )
    if path is not None:
        space.save(path)
    return space
