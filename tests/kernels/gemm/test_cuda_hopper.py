"""Ladder steps 8-10 (sm_90a): they compile without a GPU at their defaults and corners with no
spills, their SASS holds the instructions each step claims, and on an H100 they are right."""

from __future__ import annotations

import re

import pytest
from kernbench_kernels.gemm import cuda_persistent, cuda_wgmma, cuda_ws
from kernbench_kernels.gemm.family import GEMM

from kernbench.backends import cuda as backend
from kernbench.backends.nvcc_lib import opcodes
from kernbench.staticcheck import HOPPER
from kernbench.variant import Unsupported, Variant
from tests.kernels.conftest import emulated_device

needs_compiler = pytest.mark.skipif(backend.probe() is not None, reason=str(backend.probe()))
SQUARE = GEMM.parse("4096x4096x4096")
STEPS = {"cuda_wgmma": cuda_wgmma, "cuda_ws": cuda_ws, "cuda_persistent": cuda_persistent}

CLAIMS = {
    # step: (instructions it must contain, instructions it must not)
    "cuda_wgmma": ({"HGMMA", "UTMALDG", "SYNCS"}, {"USETMAXREG", "UTMASTG", "HMMA", "LDGSTS"}),
    "cuda_ws": ({"HGMMA", "UTMALDG", "SYNCS", "USETMAXREG"}, {"UTMASTG", "HMMA", "LDGSTS"}),
    "cuda_persistent": ({"HGMMA", "UTMALDG", "SYNCS", "USETMAXREG", "UTMASTG"}, {"HMMA", "LDGSTS"}),
}

CORNERS = {
    "cuda_wgmma": list(cuda_wgmma.SPACE),
    "cuda_ws": [
        {"BM": 128, "BN": 64, "STAGES": 2},
        {"BM": 128, "BN": 64, "STAGES": 6},
        {"BM": 256, "BN": 128, "STAGES": 4},
        {"BM": 128, "BN": 256, "STAGES": 2},
    ],
    "cuda_persistent": [
        {"BM": 128, "BN": 128, "STAGES": 5, "CLUSTER_M": 1, "GROUP_M": 1},
        {"BM": 128, "BN": 128, "STAGES": 2, "CLUSTER_M": 2, "GROUP_M": 16},
        {"BM": 256, "BN": 128, "STAGES": 3, "CLUSTER_M": 2, "GROUP_M": 4},
        {"BM": 128, "BN": 256, "STAGES": 2, "CLUSTER_M": 1, "GROUP_M": 8},
    ],
}


def _variant(name: str) -> Variant:
    return STEPS[name].build


def test_steps_are_ordered_8_to_10_with_explanations() -> None:
    assert [_variant(n).order for n in STEPS] == [8, 9, 10]
    for name in STEPS:
        v = _variant(name)
        assert v.language == "cuda" and len(v.description) > 200
        assert v.requires.min_compute_capability == (9, 0)


def test_spaces_keep_accumulators_in_registers_and_tiles_in_shared_memory() -> None:
    assert "registers" in (cuda_wgmma.SPACE.violated({"BM": 128, "BN": 256}) or "")
    assert "registers" in (cuda_ws.SPACE.violated({"BM": 256, "BN": 256, "STAGES": 2}) or "")
    assert "227 KB" in (cuda_ws.SPACE.violated({"BM": 256, "BN": 128, "STAGES": 5}) or "")
    too_deep = {"BM": 128, "BN": 256, "STAGES": 4, "CLUSTER_M": 2, "GROUP_M": 8}
    assert "227 KB" in (cuda_persistent.SPACE.violated(too_deep) or "")
    for module in STEPS.values():
        for config in module.SPACE:
            assert module.shared_bytes(config) + 1024 <= HOPPER.shared_per_block


@needs_compiler
@pytest.mark.parametrize("dtype", ["bf16", "fp16"])
@pytest.mark.parametrize("name", list(STEPS))
def test_default_compiles_for_sm90a_with_the_claimed_instructions(name: str, dtype: str) -> None:
    v = _variant(name)
    config = v.default_configs()[0]
    (res,) = v.static_check(SQUARE, config, dtype, HOPPER)  # type: ignore[misc]
    assert res.spill_bytes == 0 and res.local_bytes == 0, res
    assert res.shared_bytes <= HOPPER.shared_per_block
    build = STEPS[name].plan(SQUARE, config, dtype)
    found = opcodes(build.compile("sm_90a").sass())
    must, must_not = CLAIMS[name]
    assert must <= found, must - found
    assert not (must_not & found), must_not & found


_INSTRUCTION = re.compile(r"/\*([0-9a-f]{4,})\*/\s+(?:@!?U?P\w+\s+)?([^;]*);")
_BRANCH = re.compile(r"\bBRA(?:\.\S+)?\s+(0x[0-9a-f]+)")


def innermost_wgmma_loop(sass: str) -> list[str]:
    """The instructions (predicates dropped) of the smallest backward-branch loop that issues
    wgmmas: the k loop."""
    code = [(int(a, 16), text.strip()) for a, text in _INSTRUCTION.findall(sass)]
    loops = []
    for at, text in code:
        branch = _BRANCH.search(text)
        if branch and int(branch.group(1), 16) < at:
            body = [t for a, t in code if int(branch.group(1), 16) <= a <= at]
            if any(t.startswith("HGMMA") for t in body):
                loops.append(body)
    assert loops, "no loop issues wgmmas"
    return min(loops, key=len)


@needs_compiler
@pytest.mark.parametrize("name", ["cuda_ws", "cuda_persistent"])
def test_a_wgmma_group_stays_in_flight_across_k_tiles(name: str) -> None:
    # Step 8 retires every k-tile's wgmmas before the next (it has one buffer); steps 9-10
    # wait only until one group is left (k-tile t runs while t+1 is issued), and release a
    # stage to the producer only after that wait, never before it.
    config = _variant(name).default_configs()[0]
    sass = STEPS[name].plan(SQUARE, config, "bf16").compile("sm_90a").sass()
    loop = innermost_wgmma_loop(sass)
    waits = [t for t in loop if t.startswith("WARPGROUP.DEPBAR")]
    assert waits == ["WARPGROUP.DEPBAR.LE gsb0, 0x1"], waits
    assert "WARPGROUP.DEPBAR.LE gsb0, 0x0" in sass  # after the loop: the last group
    last_wgmma = max(i for i, t in enumerate(loop) if t.startswith("HGMMA"))
    wait = loop.index(waits[0])
    releases = [i for i, t in enumerate(loop) if t.startswith("SYNCS.ARRIVE")]
    assert releases and all(i > wait > last_wgmma for i in releases), loop


@needs_compiler
def test_step_8_retires_each_k_tile_before_refilling_its_buffer() -> None:
    config = cuda_wgmma.build.default_configs()[0]
    loop = innermost_wgmma_loop(cuda_wgmma.plan(SQUARE, config, "bf16").compile("sm_90a").sass())
    assert [t for t in loop if t.startswith("WARPGROUP.DEPBAR")] == [
        "WARPGROUP.DEPBAR.LE gsb0, 0x0"
    ]


@needs_compiler
def test_clusters_multicast_their_b_tiles() -> None:
    def sass(cluster_m: int) -> str:
        config = {"BM": 128, "BN": 256, "STAGES": 3, "CLUSTER_M": cluster_m, "GROUP_M": 8}
        return cuda_persistent.plan(SQUARE, config, "bf16").compile("sm_90a").sass()

    clustered, single = sass(2), sass(1)
    assert "MULTICAST" in clustered
    assert "MULTICAST" not in single
    # Releasing a stage to the peer CTA must not put a GPU-wide fence in the k loop.
    assert clustered.count("MEMBAR.ALL.GPU") == single.count("MEMBAR.ALL.GPU")


@needs_compiler
@pytest.mark.slow
@pytest.mark.parametrize(
    ("name", "config"),
    [(n, c) for n, cs in CORNERS.items() for c in cs],
    ids=lambda x: x if isinstance(x, str) else "-".join(map(str, x.values())),
)
def test_corners_compile_without_spills(name: str, config: dict) -> None:
    v = _variant(name)
    assert v.space.is_valid(config)
    for res in v.static_check(SQUARE, config, "bf16", HOPPER):  # type: ignore[misc]
        assert res.spill_bytes == 0 and res.local_bytes == 0, res


# ---- on a GPU ------------------------------------------------------------------------------

SHAPES = ["1024x1024x1024", "777x1032x520", "2048x512x4096,alpha=0.5,beta=2.0", "64x8192x128"]


def _run(v: Variant, config: dict, shape: str, dtype: str) -> None:
    import torch

    from kernbench.measure.gate import compare

    problem = GEMM.parse(shape)
    inputs = GEMM.make_inputs(problem, dtype, "cuda", seed=3)
    launch = v.build(problem, config, inputs)
    for _ in range(2):  # twice: barrier phases and persistent state must reset per launch
        inputs["out"].fill_(float("nan"))
        launch()
        torch.cuda.synchronize()
        result = compare(GEMM, problem, dtype, inputs, GEMM.reference(problem, inputs))
        assert result.ok, f"{v.name} {config} {shape} {dtype}: {result.message}"


def _hopper() -> None:
    import torch

    if torch.cuda.get_device_capability() != (9, 0):
        pytest.skip("sm_90a kernels need an H100/H200")


@pytest.mark.gpu
@needs_compiler
@pytest.mark.parametrize("dtype", ["bf16", "fp16"])
@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("name", list(STEPS))
def test_default_matches_the_reference(name: str, shape: str, dtype: str) -> None:
    _hopper()
    v = _variant(name)
    _run(v, v.default_configs()[0], shape, dtype)


@pytest.mark.gpu
@needs_compiler
@pytest.mark.parametrize(("name", "config"), [(n, c) for n, cs in CORNERS.items() for c in cs])
def test_corners_match_the_reference(name: str, config: dict) -> None:
    _hopper()
    _run(_variant(name), config, "1000x1536x1000", "bf16")


@pytest.mark.gpu
@needs_compiler
def test_unaligned_rows_are_unsupported_with_a_reason() -> None:
    _hopper()
    problem = GEMM.parse("77x129x65")
    inputs = GEMM.make_inputs(problem, "bf16", "cuda", seed=3)
    with pytest.raises(Unsupported, match="multiples of 8"):
        cuda_wgmma.build.build(problem, cuda_wgmma.build.default_configs()[0], inputs)


# ---- on the PTX emulator (any machine) -----------------------------------------------------

EMU_CI = {
    # a few seconds each: edge boxes zero-filled (200x136: partial A rows and B columns), a K
    # that is not a multiple of the 64-deep k-tile (72, 200), both dtypes, clusters of two
    "cuda_wgmma": [("200x136x72", "bf16")],
    "cuda_ws": [("128x128x64", "fp16"), ("96x64x200", "bf16")],
    "cuda_persistent": [("200x136x72", "fp16"), ("256x256x256,alpha=0.5,beta=2.0", "bf16")],
}
EMU_SHAPES = ("128x128x64", "256x256x256", "200x136x72", "192x128x200")
EMU_CONFIGS = {
    "cuda_wgmma": [{"BM": 64, "BN": 64}, {"BM": 64, "BN": 256}, {"BM": 128, "BN": 64}],
    "cuda_ws": CORNERS["cuda_ws"][:3],
    "cuda_persistent": CORNERS["cuda_persistent"][:3],
}


@pytest.fixture(scope="module")
def emu():
    """The emulated sm_90a device, active for the module and put back afterwards."""
    yield from emulated_device("sm_90a")


def _emulate(emu, name: str, shape: str, dtype: str, config: dict | None = None):
    from kernbench.measure.run import Candidate, measure
    from kernbench.measure.settings import QUICK
    from kernbench.registry import Registry

    registry = Registry()
    registry.add_reference("kernbench_kernels.gemm:PLUGIN")
    v = _variant(name)
    cand = Candidate("gemm", name, shape, dtype, dict(config or v.default_configs()[0]))
    outcome = measure(registry, emu, cand, QUICK)
    assert outcome.status == "ok", f"{name} {config} {shape} {dtype}: {outcome.message}"
    [launch] = outcome.method["emulator"]["launches"]
    assert launch["arch"] == "sm_90a" and launch["thread_instructions"] > 0
    return launch


@needs_compiler
@pytest.mark.slow
@pytest.mark.parametrize(
    ("name", "shape", "dtype"), [(n, s, d) for n, cases in EMU_CI.items() for s, d in cases]
)
def test_default_passes_the_gate_on_the_emulator(emu, name: str, shape: str, dtype: str) -> None:
    launch = _emulate(emu, name, shape, dtype)
    if name == "cuda_persistent":
        assert launch["grid"][0] % 2 == 0  # whole clusters of CLUSTER_M = 2


@needs_compiler
@pytest.mark.heavy
@pytest.mark.parametrize("dtype", ["bf16", "fp16"])
@pytest.mark.parametrize("name", list(STEPS))
def test_emulator_full_matrix(emu, name: str, dtype: str) -> None:
    """Issue 24's matrix: the default and 3 other configs (other tiles, STAGES and cluster
    sizes), four shapes (edge boxes, a K not a multiple of the tile), both dtypes."""
    v = _variant(name)
    for config in [v.default_configs()[0], *EMU_CONFIGS[name]]:
        for shape in EMU_SHAPES:
            _emulate(emu, name, shape, dtype, config)


@needs_compiler
@pytest.mark.slow
def test_persistent_blocks_walk_several_tiles_on_the_emulator(emu, monkeypatch) -> None:
    """With 2 SMs, each block (or cluster) takes several tiles in turn: the barrier phases
    carry over between tiles and the epilogue's staging buffer is reused after its TMA store
    has read it (wait_group.read)."""
    from kernbench_kernels.gemm import cuda_wgmma_common

    from kernbench.backends import emu_launch
    from kernbench.measure.gate import compare

    monkeypatch.setattr(cuda_wgmma_common, "EMULATED_SM_COUNT", 2)
    problem = GEMM.parse("512x512x192,alpha=0.5,beta=2.0")
    for config in (
        {"BM": 128, "BN": 128, "STAGES": 2, "CLUSTER_M": 2, "GROUP_M": 1},
        {"BM": 128, "BN": 256, "STAGES": 3, "CLUSTER_M": 1, "GROUP_M": 8},
    ):
        inputs = GEMM.make_inputs(problem, "bf16", "cpu", seed=3)
        emu_launch.take_results()
        launch = cuda_persistent.build.build(problem, config, inputs)
        inputs["out"].fill_(float("nan"))
        launch()
        result = compare(GEMM, problem, "bf16", inputs, GEMM.reference(problem, inputs))
        assert result.ok, f"{config}: {result.message}"
        [launched] = emu_launch.take_results()
        assert launched.grid == (2,)  # 4 or 8 tiles for 2 blocks


def test_tensor_maps_are_encoded_by_the_emulator_on_the_emulated_device(emu) -> None:
    import torch

    from kernbench.backends.cuda_tensormap import encode_tiled_2d
    from kernbench.emulator.hopper.tensormap import decode

    a = torch.zeros(200, 72, dtype=torch.bfloat16)
    fields = decode(encode_tiled_2d(a, 128, 64).raw)
    assert fields.global_address == a.data_ptr() and fields.global_dim == (72, 200)
    assert fields.box_dim == (64, 128) and fields.global_strides == (144,)
    assert fields.swizzle_span == 128 and fields.elemtype == 10  # PTX numbering of bf16
    with pytest.raises(ValueError, match="16-byte aligned"):
        encode_tiled_2d(torch.zeros(200 * 72 + 1, dtype=torch.bfloat16)[1:].view(200, 72), 128, 64)
    with pytest.raises(ValueError, match="exceeds the 64B swizzle"):
        encode_tiled_2d(a, 128, 64, swizzle="64B")
