"""The CUDA C++ split-KV decode variant.

Without a GPU: it compiles for sm_80 and sm_90 at its defaults and at every corner of its
space with no spills and at most 128 registers (16 warps per SM for a memory-bound kernel),
its SASS has 128-bit global loads and warp shuffles, a GQA group of up to four heads shares
one CTA, and misaligned inputs are refused with a reason. On a GPU: it matches the float64
reference in fp16 and bf16 on the Triton variants' cases (ragged lengths, block sizes 1 and
16, group sizes 1/4/8, head_dim 64/128/256, both layouts, shared prefixes) and at configs
across its space.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from kernbench_kernels.attention import cuda_split_kv
from kernbench_kernels.attention.family import PAGED_ATTENTION as F
from kernbench_kernels.attention.triton_common import H100_SMS, heuristic_splits

from kernbench.backends import cuda as backend
from kernbench.device import cpu_device
from kernbench.measure.outcome import Status
from kernbench.registry import Registry
from kernbench.space import Config
from kernbench.staticcheck import HOPPER, Target, check
from kernbench.variant import Unsupported, Variant

from .conftest import run
from .test_gpu import PROBLEMS
from .test_triton_variants import CASES, SHARED

pytestmark = pytest.mark.xdist_group("cuda_split_kv")  # the module cache serves one worker

NAME = "cuda_split_kv"
AMPERE = Target(arch="sm_80", compute_capability=(8, 0), shared_per_block=163 * 1024)
needs_compiler = pytest.mark.skipif(backend.probe() is not None, reason=str(backend.probe()))

LLAMA3 = "batch=16,context=4096,q_heads=32,kv_heads=8,head_dim=128"
GROUP8 = "batch=16,context=4096,q_heads=32,kv_heads=4,head_dim=128"
SHAPES = (
    LLAMA3,
    GROUP8,
    "batch=4,context=999,q_heads=16,kv_heads=16,head_dim=64,block_size=1,layout=hnd",
    "batch=2,context=4096,q_heads=32,kv_heads=4,head_dim=256,block_size=64",
)


@pytest.fixture(scope="module", autouse=True)
def cuda_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """One compile cache for the module, so corners and SASS checks share compilations."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("KERNBENCH_CUDA_CACHE", str(tmp_path_factory.mktemp("cuda-cache")))
        yield


@pytest.fixture(scope="module")
def variant(registry: Registry) -> Variant:
    return registry.variant(NAME)


def test_metadata(variant: Variant) -> None:
    assert (variant.family, variant.language, variant.dtypes) == (
        "paged_attention",
        "cuda",
        ("fp16", "bf16"),
    )
    assert variant.requires.devices == frozenset({"cuda", "emu"})
    assert variant.requires.min_compute_capability == (8, 0)
    assert len(variant.description) > 400 and "bandwidth" in variant.description
    assert {p.name for p in variant.space.params} == {"NUM_SPLITS", "TOKENS", "VEC", "WARPS"}


def test_space_caps_the_vectors_in_flight(variant: Variant) -> None:
    reason = variant.space.violated({"NUM_SPLITS": 0, "TOKENS": 4, "VEC": 2, "WARPS": 4})
    assert reason is not None and "registers" in reason
    assert variant.space.size() > 100


@pytest.mark.parametrize("vec, tiles", [(1, 2), (2, 4), (4, 8)])
def test_a_gqa_group_of_four_shares_one_cta_at_one_vector_per_lane(vec: int, tiles: int) -> None:
    config = {"NUM_SPLITS": 0, "TOKENS": 1, "VEC": vec, "WARPS": 4}
    assert cuda_split_kv.head_tiles(F.parse(LLAMA3), {**config, "VEC": 1}) == 1
    assert cuda_split_kv.head_tiles(F.parse(GROUP8), config) == tiles
    assert (
        cuda_split_kv.head_tiles(F.parse("batch=1,context=8,q_heads=32,kv_heads=1"), config)
        == 8 * vec
    )


def test_zero_splits_take_the_shared_heuristic_over_whole_contexts() -> None:
    config = {"NUM_SPLITS": 0, "TOKENS": 2, "VEC": 1, "WARPS": 4}
    problem = F.parse("batch=2,context=300,q_heads=8,kv_heads=2,shared_prefix=4096")
    assert (
        cuda_split_kv.num_splits(problem, config, H100_SMS)
        == heuristic_splits(4, 4396, H100_SMS)
        > 1
    )
    assert cuda_split_kv.num_splits(problem, {**config, "NUM_SPLITS": 8}, H100_SMS) == 8


def _assert_clean(result_resources: tuple, label: str) -> None:
    kernels = [r.kernel for r in result_resources]
    assert kernels == ["paged_split_partial", "paged_split_merge"], label
    for res in result_resources:
        assert res.spill_bytes == 0 and res.local_bytes == 0, f"{label} spills: {res}"
    assert result_resources[0].registers <= 128, f"{label}: {result_resources[0]}"


@needs_compiler
@pytest.mark.parametrize("dtype", ["fp16", "bf16"])
@pytest.mark.parametrize("shape", SHAPES)
def test_defaults_compile_without_spills_for_ampere_and_hopper(
    variant: Variant, shape: str, dtype: str
) -> None:
    for target in (AMPERE, HOPPER):
        result = check(variant, F.parse(shape), variant.default_configs()[0], dtype, target)
        assert result.ok, f"{shape} {dtype} {target.arch}: {result.reason}"
        _assert_clean(result.resources, f"{shape} {dtype} {target.arch}")


def corners(variant: Variant) -> list[Config]:
    """Every (TOKENS, VEC) the space allows at the fewest and the most warps (splits do not compile)."""
    seen: dict[tuple[int, int, int], Config] = {}
    for config in variant.space:
        key = (int(config["TOKENS"]), int(config["VEC"]), int(config["WARPS"]))
        if key[2] in (1, 8) and key not in seen:
            seen[key] = config
    return list(seen.values())


@needs_compiler
@pytest.mark.slow
@pytest.mark.parametrize("shape", [GROUP8, SHAPES[-1]])
def test_corners_compile_without_spills(variant: Variant, shape: str) -> None:
    configs = corners(variant)
    assert len(configs) >= 10
    for config in configs:
        result = check(variant, F.parse(shape), config, "bf16", HOPPER)
        assert result.ok, f"{config}: {result.reason}"
        _assert_clean(result.resources, f"{shape} {config}")


def _partial_sass(variant: Variant, shape: str, dtype: str = "bf16") -> str:
    partial, _ = cuda_split_kv.kernels(F.parse(shape), variant.default_configs()[0], dtype)
    listing = partial.compile("sm_80").sass()
    return listing.split("Function : paged_split_partial", 1)[1].split("Function :", 1)[0]


@needs_compiler
@pytest.mark.parametrize("shape", [LLAMA3, SHAPES[2]])
def test_sass_loads_16_bytes_and_reduces_with_shuffles(variant: Variant, shape: str) -> None:
    sass = _partial_sass(variant, shape)
    assert re.search(r"LDG\.E\.128", sass), "K and V arrive as 128-bit global loads"
    assert "SHFL.BFLY" in sass, "dot products and the softmax max are reduced with xor shuffles"


def test_misaligned_or_strided_inputs_are_unsupported_with_a_reason(variant: Variant) -> None:
    problem = F.parse("batch=2,lengths=5/3,q_heads=4,kv_heads=2,head_dim=64")
    inputs = F.make_inputs(problem, "fp16", "cpu", seed=0)
    q = inputs["q"]
    shifted = q.new_empty(q.numel() + 8)[1 : 1 + q.numel()].view(q.shape)  # contiguous, 2 bytes off
    with pytest.raises(Unsupported, match="16-byte aligned"):
        variant.build(problem, variant.default_configs()[0], {**inputs, "q": shifted})
    with pytest.raises(Unsupported, match="contiguous"):
        variant.build(
            problem, variant.default_configs()[0], {**inputs, "out": inputs["out"].transpose(0, 1)}
        )


def test_the_cpu_device_is_refused_with_the_reason(variant: Variant) -> None:
    assert "cpu device" in (variant.unavailable(cpu_device()) or "")


# --- on a GPU ---------------------------------------------------------------------------

GPU_PROBLEMS = (
    *(problem for problem, _ in CASES + SHARED),
    *PROBLEMS,
    "batch=3,lengths=1/64/129,q_heads=32,kv_heads=1,head_dim=128,block_size=16",  # group 32: 4 head tiles
    "batch=2,lengths=77/1,q_heads=12,kv_heads=2,head_dim=64,block_size=8,layout=hnd",  # group 6
)


def assert_ok(registry: Registry, problem: str, dtype: str, config: Config | None = None) -> None:
    outcome = run(registry, NAME, problem, dtype, config, gpu=True)
    assert outcome.status == Status.OK, (
        f"{problem} {dtype} {config}: {outcome.status} {outcome.message}"
    )


@pytest.mark.gpu
@pytest.mark.parametrize("dtype", ["fp16", "bf16"])
@pytest.mark.parametrize("problem", GPU_PROBLEMS)
def test_matches_reference_on_gpu(registry: Registry, problem: str, dtype: str) -> None:
    assert_ok(registry, problem, dtype)


@pytest.mark.gpu
@pytest.mark.slow
@pytest.mark.parametrize("splits", [1, 3, 64])
def test_configs_across_the_space_on_gpu(variant: Variant, registry: Registry, splits: int) -> None:
    """One split writes `out` directly; 64 leaves most splits empty; every TOKENS/VEC/WARPS."""
    problem = (
        "batch=4,lengths=1/17/300/1000,q_heads=16,kv_heads=2,head_dim=128,block_size=16,layout=hnd"
    )
    for config in corners(variant):
        assert_ok(registry, problem, "bf16", {**config, "NUM_SPLITS": splits})


# --- on the PTX emulator (any machine) ---------------------------------------------------

EMU_PROBLEMS = (
    # GQA group 4, ragged lengths across page edges, shuffled block tables, both layouts
    "batch=3,lengths=1/17/40,q_heads=8,kv_heads=2,head_dim=64,block_size=16",
    "batch=2,lengths=5/33,q_heads=4,kv_heads=2,head_dim=64,block_size=1,layout=hnd",
)


@pytest.mark.slow
@pytest.mark.parametrize("splits", [0, 3])
@pytest.mark.parametrize(
    ("problem", "dtype"), list(zip(EMU_PROBLEMS, ("fp16", "bf16"), strict=True))
)
def test_matches_reference_on_the_emulator(
    registry: Registry, emu, problem: str, dtype: str, splits: int
) -> None:
    """Block sizes 1 and 16, lengths off the page, shuffled tables, both KV layouts, split-KV
    with its log-sum-exp merge kernel and without: ok through the gate on the emulator."""
    outcome = run(registry, NAME, problem, dtype, {"NUM_SPLITS": splits}, device=emu)
    assert outcome.status == Status.OK, f"{problem} {dtype}: {outcome.status} {outcome.message}"
