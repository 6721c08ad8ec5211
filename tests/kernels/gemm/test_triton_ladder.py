"""The Triton GEMM ladder matches the float64 reference through the correctness gate.

On the CPU these run under the Triton interpreter (fp16 and fp32; its bf16 dot is not
trustworthy). Configs use large tiles where possible: the interpreter's cost is the padded
tile volume, so these shapes and configs keep the file to a couple of minutes.
"""

from __future__ import annotations

import pytest
import torch

from kernbench.device import activate, cpu_device, cuda_device
from kernbench.measure.gate import run_gate
from kernbench.measure.outcome import Status
from kernbench.measure.run import Candidate, measure
from kernbench.measure.settings import QUICK
from kernbench.variant import Unsupported

CONFIGS = {
    "triton_naive": [
        {"BLOCK_M": 64, "BLOCK_N": 64, "BLOCK_K": 32},
        {"BLOCK_M": 32, "BLOCK_N": 128, "BLOCK_K": 64},
    ],
    "triton_grouped": [
        {"BLOCK_M": 64, "BLOCK_N": 64, "BLOCK_K": 32, "GROUP_M": 8},
        {"BLOCK_M": 16, "BLOCK_N": 128, "BLOCK_K": 64, "GROUP_M": 2},
    ],
    "triton_pipelined": [
        {
            "BLOCK_M": 128,
            "BLOCK_N": 128,
            "BLOCK_K": 64,
            "GROUP_M": 8,
            "num_stages": 3,
            "num_warps": 4,
        },
        {
            "BLOCK_M": 64,
            "BLOCK_N": 256,
            "BLOCK_K": 32,
            "GROUP_M": 4,
            "num_stages": 2,
            "num_warps": 8,
        },
    ],
    "triton_splitk": [
        {
            "BLOCK_M": 64,
            "BLOCK_N": 128,
            "BLOCK_K": 64,
            "GROUP_M": 8,
            "SPLIT_K": 4,
            "num_stages": 3,
            "num_warps": 4,
        },
        {
            "BLOCK_M": 32,
            "BLOCK_N": 256,
            "BLOCK_K": 64,
            "GROUP_M": 2,
            "SPLIT_K": 8,
            "num_stages": 2,
            "num_warps": 4,
        },
    ],
    "triton_persistent": [
        {
            "BLOCK_M": 64,
            "BLOCK_N": 64,
            "BLOCK_K": 64,
            "GROUP_M": 8,
            "num_stages": 3,
            "num_warps": 4,
            "PROGRAMS_PER_SM": 1,
        },
        {
            "BLOCK_M": 128,
            "BLOCK_N": 128,
            "BLOCK_K": 32,
            "GROUP_M": 4,
            "num_stages": 2,
            "num_warps": 8,
            "PROGRAMS_PER_SM": 2,
        },
    ],
}
CPU_LADDER = tuple(CONFIGS)
SMALL = ("77x129x65", "1x4096x256")
LARGE = "300x300x1000"


def gate(registry, name, text, dtype, config, edit=None):
    """Build and gate one candidate: outputs are NaN-poisoned before the launch."""
    gemm = registry.family("gemm")
    problem = gemm.parse(text)
    device = "cuda" if torch.cuda.is_available() else "cpu"
    if device == "cuda" and (why := registry.variant(name).unavailable(cuda_device())):
        pytest.skip(why)  # e.g. a Triton without tensor descriptors, for triton_tma
    inputs = gemm.make_inputs(problem, dtype, device, seed=7)
    if edit is not None:
        edit(inputs)
    reference = gemm.reference(problem, inputs)
    launch = registry.variant(name).build(problem, config, inputs)
    sync = torch.cuda.synchronize if device == "cuda" else (lambda: None)
    return run_gate(gemm, problem, dtype, inputs, launch, reference, sync)


def test_configs_are_valid_and_ladder_is_ordered(registry):
    ladder = [v for v in registry.variants("gemm") if v.language == "triton"]
    assert [v.name for v in ladder] == [*CPU_LADDER, "triton_tma"]
    assert [v.order for v in ladder] == [1, 2, 3, 4, 5, 6]
    for v in ladder:
        assert v.description and v.static_check is not None and not v.baseline
        for config in CONFIGS.get(v.name, []):
            assert v.space.is_valid(config), (v.name, v.space.violated(config))


@pytest.mark.parametrize("dtype", ["fp16", "fp32"])
@pytest.mark.parametrize("shape", SMALL)
@pytest.mark.parametrize("name", CPU_LADDER)
def test_matches_reference_on_irregular_shapes(registry, name, shape, dtype):
    for config in CONFIGS[name]:
        result = gate(registry, name, shape, dtype, config)
        assert result.ok, f"{name} {shape} {dtype} {config}: {result.message}"


@pytest.mark.parametrize("name", CPU_LADDER)
def test_matches_reference_on_long_k(registry, name):
    for dtype, config in zip(("fp16", "fp32"), CONFIGS[name], strict=True):
        result = gate(registry, name, LARGE, dtype, config)
        assert result.ok, f"{name} {LARGE} {dtype} {config}: {result.message}"


@pytest.mark.parametrize("name", CPU_LADDER)
def test_alpha_beta_and_column_major_operands(registry, name):
    config = CONFIGS[name][0]
    for text in (
        "37x45x70,alpha=-1.5,beta=0.75",
        "37x45x70,layout_a=col",
        "37x45x70,layout_b=col,beta=2",
        "19x33x40,layout_a=col,layout_b=col,alpha=0.5",
    ):
        result = gate(registry, name, text, "fp16", config)
        assert result.ok, f"{name} {text}: {result.message}"


@pytest.mark.parametrize("name", CPU_LADDER)
def test_non_contiguous_and_transposed_views(registry, name):
    config = CONFIGS[name][0]

    def strided(inputs):  # every other column of a wider matrix, and B as a transposed view
        a, b = inputs["a"], inputs["b"]
        wide = torch.zeros(a.shape[0], 2 * a.shape[1], dtype=a.dtype, device=a.device)
        wide[:, ::2] = a
        inputs["a"] = wide[:, ::2]
        inputs["b"] = b.t().contiguous().t()
        assert not inputs["a"].is_contiguous() and not inputs["b"].is_contiguous()

    result = gate(registry, name, "40x24x50", "fp32", config, edit=strided)
    assert result.ok, f"{name}: {result.message}"


def test_through_the_harness_on_the_cpu_device(registry):
    """measure(): inputs, build, poisoned gate and (meaningless, CPU) timing, all in one."""
    activate("cpu")
    settings = QUICK.__class__(
        min_samples=2,
        min_time_s=0.0,
        max_time_s=0.5,
        warmup_min_s=0.0,
        warmup_max_s=0.05,
        isolate=False,
    )
    for name in CPU_LADDER:
        cand = Candidate("gemm", name, "77x129x65", "fp16", CONFIGS[name][0])
        outcome = measure(registry, cpu_device(), cand, settings)
        assert outcome.status == Status.OK, (name, outcome.message)
        assert outcome.error is not None and outcome.error < 5e-3


def test_tma_is_hopper_only_and_rejects_unaligned_rows(registry):
    from kernbench_kernels.gemm.triton_tma import check_operands

    tma = registry.variant("triton_tma")
    assert "does not run on the cpu device" in (tma.unavailable(cpu_device()) or "")
    gemm = registry.family("gemm")
    inputs = gemm.make_inputs(gemm.parse("77x129x65"), "fp16", "cpu", seed=0)
    with pytest.raises(Unsupported, match="16-byte aligned"):
        check_operands(inputs)  # K=65 fp16: 130-byte rows
    inputs = gemm.make_inputs(gemm.parse("64x64x64,layout_a=col"), "fp16", "cpu", seed=0)
    check_operands(inputs)
    inputs["a"] = inputs["a"][::2, :]
    with pytest.raises(Unsupported, match="no unit stride"):
        check_operands(inputs)


@pytest.mark.skipif(
    torch.cuda.is_available(), reason="on a GPU the gpu-marked TMA tests run the real thing"
)
@pytest.mark.parametrize(
    "text", ["200x136x72", "72x200x136,layout_a=col,layout_b=col,alpha=2,beta=0.5"]
)
def test_tma_kernel_indexing_under_the_interpreter(registry, text):
    """The interpreter emulates tensor descriptors: the TMA step's tiling and layouts are right
    even here, though only Hopper can run (or time) it for real."""
    config = registry.variant("triton_tma").default_configs()[1]
    for dtype in ("fp16", "fp32"):
        result = gate(registry, "triton_tma", text, dtype, config)
        assert result.ok, f"{text} {dtype}: {result.message}"


@pytest.mark.skipif(
    torch.cuda.is_available(), reason="on a GPU the gpu-marked TMA tests run the real thing"
)
@pytest.mark.parametrize("dtype", ["fp16", "fp32"])
def test_tma_on_the_irregular_shapes_matches_or_refuses_unaligned_rows(registry, dtype):
    """The shapes every other step is held to: each (shape, config) matches the reference or
    is refused with the alignment reason (TMA needs 16-byte rows), and aligned shapes run."""
    tma = registry.variant("triton_tma")
    defaults = tma.default_configs()
    small_tiles = {"BLOCK_M": 64, "BLOCK_N": 64, "BLOCK_K": 32, "GROUP_M": 4}
    configs = [*defaults, {**defaults[1], **small_tiles, "num_stages": 2, "num_warps": 4}]
    assert all(tma.space.is_valid(c) for c in configs)
    ran = []
    for shape in (*SMALL, LARGE):
        for config in configs:
            try:
                result = gate(registry, "triton_tma", shape, dtype, config)
            except Unsupported as why:
                assert "16-byte aligned" in str(why), (shape, dtype, why)
                continue
            assert result.ok, f"{shape} {dtype} {config}: {result.message}"
            ran.append(shape)
    # 1x4096x256 has 16-byte rows in both dtypes; 300x300x1000 in fp32 (1200-byte rows of B).
    expected = {"1x4096x256"} | ({"300x300x1000"} if dtype == "fp32" else set())
    assert set(ran) == expected, ran


GPU_SHAPES = (
    "77x129x65",
    "1x4096x256",
    "300x300x1000",
    "4095x4097x1000",
    "1024x1024x1024,beta=0.5",
)


@pytest.mark.gpu
@pytest.mark.parametrize("shape", GPU_SHAPES)
@pytest.mark.parametrize("name", [*CPU_LADDER, "triton_tma"])
def test_bf16_on_gpu(registry, name, shape):
    variant = registry.variant(name)
    for config in variant.default_configs():
        try:
            result = gate(registry, name, shape, "bf16", config)
        except Unsupported as why:
            assert name == "triton_tma" and "aligned" in str(why)
            continue
        assert result.ok, f"{name} {shape} {config}: {result.message}"


@pytest.mark.gpu
@pytest.mark.parametrize("dtype", ["fp16", "fp32"])
@pytest.mark.parametrize(
    "shape",
    [
        "1024x512x256",
        "128x4096x4096",
        "4096x4096x512,layout_a=col,layout_b=col",
        "1000x1000x4096,beta=1",
    ],
)
def test_tma_on_gpu(registry, shape, dtype):
    tma = registry.variant("triton_tma")
    for config in tma.default_configs():
        candidates = [config]
        if "WARP_SPECIALIZE" in config:
            candidates.append({**config, "WARP_SPECIALIZE": True})
        for cfg in candidates:
            result = gate(registry, "triton_tma", shape, dtype, cfg)
            assert result.ok, f"{shape} {dtype} {cfg}: {result.message}"


# --- on the PTX emulator (any machine): the PTX Triton generates for sm_80 -----------------

EMU_LADDER = (*CPU_LADDER[:3], "triton_persistent", "triton_splitk")
EMU_SCALED = "48x64x32,alpha=0.5,beta=2.0"


def emulated(worker, registry, name: str, text: str, dtype: str, config=None):
    """One candidate through the harness on emu:sm_80 (at the step's default config)."""
    cfg = dict(config or registry.variant(name).default_configs()[0])
    outcome = worker.measure(Candidate("gemm", name, text, dtype, cfg))
    assert outcome.status == Status.OK, f"{name} {text} {dtype} {cfg}: {outcome.message}"
    launches = outcome.method["emulator"]["launches"]
    assert launches and all(one["thread_instructions"] > 0 for one in launches)
    return outcome


@pytest.mark.slow
@pytest.mark.parametrize("name", EMU_LADDER)
def test_correct_on_the_emulator(emu_worker, registry, name):
    """Every step but TMA (Hopper) at its default, in bf16 (which the interpreter cannot
    check) on an irregular shape, and the first step in fp16 with a scaled epilogue that
    reads C (the full matrix runs with -m heavy)."""
    emulated(emu_worker, registry, name, "77x129x65", "bf16")
    if name == "triton_naive":
        emulated(emu_worker, registry, name, EMU_SCALED, "fp16")


@pytest.mark.heavy
@pytest.mark.parametrize("dtype", ["bf16", "fp16"])
@pytest.mark.parametrize("name", EMU_LADDER)
def test_emulator_full_matrix(emu_worker, registry, name, dtype):
    """The family's cpu-small shapes and a scaled epilogue at the default, and the CPU
    tests' configs on an irregular shape and a long K."""
    for text in ("96x80x64", "77x129x65", "128x128x128", "128x128x128,alpha=0.5,beta=2.0"):
        emulated(emu_worker, registry, name, text, dtype)
    for config in CONFIGS[name]:
        for text in ("77x129x65", "1x256x256", "64x72x1000"):
            emulated(emu_worker, registry, name, text, dtype, config)


@pytest.mark.slow
def test_tma_on_the_emulated_hopper(emu90_worker, registry):
    """Step 6 as Triton compiles it for sm_90a: tensor descriptors built in its global
    scratch (tensormap.replace), TMA loads on mbarriers, wgmma, a scaled epilogue."""
    emulated(emu90_worker, registry, "triton_tma", "128x128x128,alpha=0.5,beta=2.0", "bf16")


@pytest.mark.heavy
@pytest.mark.parametrize("dtype", ["bf16", "fp16"])
@pytest.mark.parametrize("name", [*EMU_LADDER, "triton_tma"])
def test_emulated_hopper_full_matrix(emu90_worker, registry, name, dtype):
    """Every step on emu:sm_90a at its default on the cpu-small shapes and a scaled epilogue
    (TMA refuses rows that are not 16-byte aligned, as on the GPU)."""
    for text in ("96x80x64", "77x129x65", "128x128x128", "128x128x128,alpha=0.5,beta=2.0"):
        if name == "triton_tma" and text == "77x129x65":
            continue
        emulated(emu90_worker, registry, name, text, dtype)
