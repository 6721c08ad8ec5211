"""Each Triton variant matches the float64 reference in fp16 through the harness gate.

Outputs are poisoned with NaN before the launch (kernbench.measure.gate), so an element a
kernel skips fails as unwritten. Lengths include 1 and lengths not divisible by the block
size; blocks sit shuffled in the pool; both layouts, block sizes 1 and 16, group sizes 1, 4
and 8, head_dim 64 and 128.
"""

from __future__ import annotations

import pytest

from kernbench.measure.outcome import Status
from kernbench.registry import Registry

from .conftest import run

PLAIN = ("triton_single_pass", "triton_split_kv")
CASES = [
    # (problem, config overrides)
    ("batch=4,lengths=1/17/40/33,q_heads=8,kv_heads=2,head_dim=64,block_size=16", {}),
    ("batch=3,lengths=1/5/23,q_heads=4,kv_heads=4,head_dim=128,block_size=1,layout=hnd", {}),
    ("batch=3,lengths=9/1/30,q_heads=8,kv_heads=1,head_dim=64,block_size=16,layout=hnd", {}),
    ("batch=2,lengths=70/1,q_heads=8,kv_heads=1,head_dim=128,block_size=16", {"BLOCK_N": 32}),
    (
        "batch=2,lengths=19/1,q_heads=4,kv_heads=4,head_dim=64,block_size=1",
        {"BLOCK_H": 1, "BLOCK_N": 16},
    ),
    (
        "batch=2,lengths=33/2,q_heads=8,kv_heads=1,head_dim=64,block_size=16,layout=hnd",
        {"BLOCK_H": 2},
    ),
]
SHARED = [
    (
        "batch=4,lengths=1/7/20/16,q_heads=8,kv_heads=2,head_dim=64,block_size=16,shared_prefix=32",
        {},
    ),
    (
        "batch=3,lengths=1/3/9,q_heads=8,kv_heads=1,head_dim=128,block_size=1,layout=hnd,shared_prefix=21",
        {"BLOCK_M": 16, "BLOCK_N": 16},
    ),
    (
        "batch=2,lengths=5/1,q_heads=4,kv_heads=4,head_dim=64,block_size=16,shared_prefix=48",
        {"BLOCK_H": 1, "BLOCK_N": 16},
    ),
]


def assert_ok(registry: Registry, variant: str, problem: str, config: dict[str, int]) -> None:
    outcome = run(registry, variant, problem, config=config)
    assert outcome.status == Status.OK, (
        f"{variant} {problem} {config}: {outcome.status} {outcome.message}"
    )
    assert outcome.error is not None and outcome.error < 5e-3


@pytest.mark.parametrize("problem, config", CASES)
@pytest.mark.parametrize("variant", PLAIN)
def test_plain_variants_match_reference(
    registry: Registry, variant: str, problem: str, config: dict[str, int]
) -> None:
    assert_ok(registry, variant, problem, config)


@pytest.mark.parametrize("problem, config", SHARED)
@pytest.mark.parametrize("variant", (*PLAIN, "triton_cascade"))
def test_shared_prefix_batches_match_reference(
    registry: Registry, variant: str, problem: str, config: dict[str, int]
) -> None:
    assert_ok(registry, variant, problem, config)


@pytest.mark.parametrize("splits", [1, 4, 64])
def test_split_counts_beyond_the_context_leave_empty_splits_harmless(
    registry: Registry, splits: int
) -> None:
    problem = "batch=2,lengths=40/1,q_heads=8,kv_heads=2,head_dim=64,block_size=8"
    assert_ok(registry, "triton_split_kv", problem, {"NUM_SPLITS": splits, "BLOCK_N": 16})


def test_cascade_prefix_and_suffix_splits(registry: Registry) -> None:
    problem = "batch=5,context=30,lengths=random,q_heads=8,kv_heads=2,head_dim=64,block_size=8,shared_prefix=64"
    assert_ok(
        registry, "triton_cascade", problem, {"PREFIX_SPLITS": 4, "NUM_SPLITS": 2, "BLOCK_N": 16}
    )


def test_cascade_without_shared_prefix_is_unsupported(registry: Registry) -> None:
    outcome = run(registry, "triton_cascade", "batch=2,context=8,q_heads=4,kv_heads=2,head_dim=64")
    assert outcome.status == Status.UNSUPPORTED and "shared prefix" in outcome.message


def test_spaces_reject_idle_warps(registry: Registry) -> None:
    space = registry.variant("triton_split_kv").space
    assert space.violated(
        {"BLOCK_N": 16, "BLOCK_H": 0, "num_warps": 8, "num_stages": 2, "NUM_SPLITS": 0}
    )
    cascade = registry.variant("triton_cascade").space
    config = {
        "BLOCK_N": 256,
        "BLOCK_H": 0,
        "num_warps": 4,
        "num_stages": 2,
        "BLOCK_M": 128,
        "PREFIX_SPLITS": 0,
        "NUM_SPLITS": 0,
    }
    assert "128 x 128" in (cascade.violated(config) or "")


# --- on the PTX emulator (any machine): the PTX Triton generates for sm_80 -----------------

EMU_RAGGED = "batch=3,lengths=1/17/40,q_heads=8,kv_heads=2,head_dim=64,block_size=16"
EMU_PREFIX = (
    "batch=3,lengths=1/9/30,q_heads=8,kv_heads=2,head_dim=64,block_size=16,shared_prefix=16"
)
EMU_PAGE_OF_ONE = "batch=2,lengths=5/33,q_heads=4,kv_heads=2,head_dim=128,block_size=1,layout=hnd"


def emulated(
    worker, registry: Registry, variant: str, problem: str, dtype: str, config=None
) -> None:
    """One candidate through the harness on emu:sm_80 (at the variant's default config)."""
    from kernbench.measure.run import Candidate

    cfg = {**registry.variant(variant).default_configs()[0], **(config or {})}
    outcome = worker.measure(Candidate("paged_attention", variant, problem, dtype, cfg))
    assert outcome.status == Status.OK, f"{variant} {problem} {dtype} {cfg}: {outcome.message}"
    assert outcome.method["emulator"]["launches"]


@pytest.mark.slow
@pytest.mark.parametrize("variant", (*PLAIN, "triton_cascade"))
def test_correct_on_the_emulator(emu_worker, registry: Registry, variant: str) -> None:
    """Each variant at its default, bf16 (which the interpreter cannot check) on ragged
    lengths with a shared prefix; the single-pass kernel also in fp16, one-token pages,
    head_dim 128 and the HND layout (the full matrix runs with -m heavy)."""
    emulated(emu_worker, registry, variant, EMU_PREFIX, "bf16")
    if variant == "triton_single_pass":
        emulated(emu_worker, registry, variant, EMU_PAGE_OF_ONE, "fp16")


@pytest.mark.heavy
@pytest.mark.parametrize("dtype", ["bf16", "fp16"])
@pytest.mark.parametrize("variant", (*PLAIN, "triton_cascade"))
def test_emulator_full_matrix(emu_worker, registry: Registry, variant: str, dtype: str) -> None:
    """The family's cpu-small problems and ragged decode problems at the default, and the
    CPU tests' cases with their config overrides."""
    from kernbench_kernels.attention.presets import PRESETS

    prefixed = variant == "triton_cascade"
    defaults = [*PRESETS["cpu-small"], EMU_RAGGED, EMU_PAGE_OF_ONE]
    for problem, config in [*((p, {}) for p in defaults), *CASES, *SHARED]:
        if prefixed and "shared_prefix" not in problem:
            continue
        emulated(emu_worker, registry, variant, problem, dtype, config)
    if variant == "triton_split_kv":
        for splits in (1, 3, 64):
            emulated(emu_worker, registry, variant, EMU_RAGGED, dtype, {"NUM_SPLITS": splits})


@pytest.mark.heavy
@pytest.mark.parametrize("dtype", ["bf16", "fp16"])
@pytest.mark.parametrize("variant", (*PLAIN, "triton_cascade"))
def test_emulated_hopper(emu90_worker, registry: Registry, variant: str, dtype: str) -> None:
    """Each variant as Triton compiles it for sm_90a, on ragged and shared-prefix problems."""
    for problem in (EMU_RAGGED, EMU_PAGE_OF_ONE, EMU_PREFIX):
        if variant != "triton_cascade" or "shared_prefix" in problem:
            emulated(emu90_worker, registry, variant, problem, dtype)
