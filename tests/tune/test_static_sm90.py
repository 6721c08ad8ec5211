"""Without a GPU, the static check rejects configs that cannot run on sm_90, before any launch.

Each case takes the configs of a real space whose pipelined operand tiles alone need far
more than the 227 KB of shared memory an sm_90 block may have (an estimate independent of
the compiler), and a small config that fits. The session's runner fails the test if it is
ever asked to launch anything that was rejected.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from kernbench.device import cpu_device
from kernbench.measure.outcome import Outcome, Status
from kernbench.measure.run import Candidate
from kernbench.measure.runner import Runner
from kernbench.measure.settings import QUICK
from kernbench.pipeline import Session
from kernbench.registry import Registry
from kernbench.space import Config
from kernbench.staticcheck import HOPPER
from kernbench.store import open_store

pytestmark = pytest.mark.slow
LIMIT = HOPPER.shared_per_block


class NoLaunch(Runner):
    def measure(self, cand: Candidate) -> Outcome:
        raise AssertionError(f"launched {cand.config}")


def gemm_tiles(config: Config, elem: int) -> int:
    stages = int(config.get("num_stages", 2))
    bm, bn, bk = (int(config[k]) for k in ("BLOCK_M", "BLOCK_N", "BLOCK_K"))
    return max(stages - 1, 1) * (bm * bk + bk * bn) * elem


def attention_tiles(config: Config, elem: int, head_dim: int = 256) -> int:
    """With 3+ stages the K and V tiles are pipelined, so both live in shared memory."""
    if int(config.get("num_stages", 1)) < 3:
        return 0
    return 2 * int(config["BLOCK_N"]) * head_dim * elem


CASES = [
    ("gemm", "triton_pipelined", "4096x4096x4096", gemm_tiles, 1.5),
    (
        "paged_attention",
        "triton_single_pass",
        "batch=2,context=1024,q_heads=8,kv_heads=1,head_dim=256,block_size=16",
        attention_tiles,
        1.1,
    ),
]


@pytest.mark.parametrize(
    ("family", "name", "shape", "tiles", "margin"), CASES, ids=[c[1] for c in CASES]
)
def test_configs_over_sm90_shared_memory_are_rejected_before_launch(
    tmp_path: Path, family: str, name: str, shape: str, tiles: object, margin: float
) -> None:
    registry = Registry.discover()
    fam = registry.family(family)
    variant = registry.variant(name)
    problem = fam.parse(shape)
    session = Session(registry, cpu_device(), open_store(tmp_path), NoLaunch(), QUICK, HOPPER)
    configs = list(variant.space)
    size: Callable[[Config, int], int] = tiles  # type: ignore[assignment]
    too_big = sorted((c for c in configs if size(c, 2) > margin * LIMIT), key=lambda c: -size(c, 2))
    assert too_big, "the space should hold configs over the sm_90 limit"
    for config in too_big[:3] + too_big[-2:]:
        record = session.evaluate(fam, variant, problem, "fp16", config)
        assert record.status == Status.REJECTED, (config, record.message)
        assert "shared memory" in record.message or "registers" in record.message, record.message
    small = min(configs, key=lambda c: (size(c, 2), c.get("BLOCK_N", 0)))
    assert session.static_check(variant, problem, "fp16", small).ok
