"""The CUTLASS baselines: their spaces hold only what CUTLASS accepts, they build for sm_90a
(and sm_90 for the 2.x kernel) without a GPU, and on a GPU they match the reference."""

from __future__ import annotations

import pytest
from kernbench_kernels.gemm import cutlass_common as common
from kernbench_kernels.gemm import cutlass_sm80, cutlass_sm90
from kernbench_kernels.gemm.family import GEMM

from kernbench.backends import nvcc_lib
from kernbench.staticcheck import HOPPER
from kernbench.variant import Unsupported, Variant

needs_build = pytest.mark.skipif(common.probe() is not None, reason=common.probe() or "")
SQUARE = GEMM.parse("4096x4096x4096")


def _sm90(**changes: object) -> dict:
    return {**cutlass_sm90.DEFAULTS[0], **changes}


def test_sm90_space_encodes_the_builder_rules() -> None:
    space = cutlass_sm90.SPACE
    assert "tile_m >= 128" in (space.violated(_sm90(schedule="cooperative", tile_m=64)) or "")
    assert "stream-K" in (
        space.violated(_sm90(schedule="pingpong", tile_m=64, scheduler="streamk")) or ""
    )
    assert "registers" in (space.violated(_sm90(tile_m=256, tile_n=256)) or "")
    assert "registers" in (space.violated(_sm90(schedule="pingpong", tile_m=128, tile_n=256)) or "")
    for config in space:
        if config["schedule"] == "cooperative":
            assert int(config["tile_m"]) >= 128
        else:
            assert config["scheduler"] == "persistent"
    # Each compile-time choice is one library; swizzle and raster are runtime arguments.
    kernels = {tuple(c[k] for k in cutlass_sm90.COMPILE_TIME) for c in space}
    assert len(kernels) == 64


def test_sm80_space_fits_shared_memory_and_warp_counts() -> None:
    for config in cutlass_sm80.SPACE:
        per_stage = (int(config["tile_m"]) + int(config["tile_n"])) * int(config["tile_k"]) * 2
        assert int(config["stages"]) * per_stage <= 227 * 1024
        warps = (int(config["tile_m"]) // int(config["warp_m"])) * (
            int(config["tile_n"]) // int(config["warp_n"])
        )
        assert warps in (4, 8)


def test_probe_names_what_is_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(common, "include_dirs", lambda: None)
    if nvcc_lib.find_nvcc() is not None:
        assert "nvidia-cutlass" in (common.probe() or "")
    monkeypatch.setattr(nvcc_lib, "find_nvcc", lambda: None)
    assert "nvcc" in (common.probe() or "")


def test_fp32_is_refused_with_a_reason() -> None:
    with pytest.raises(Unsupported, match="fp16 and bf16"):
        common.operand_defines(SQUARE, "fp32")


def _instructions(built: nvcc_lib.Built) -> set[str]:
    return nvcc_lib.opcodes(nvcc_lib.sass(built.path))


@needs_build
def test_sm90_default_builds_for_sm90a_without_spills() -> None:
    built = cutlass_sm90.library(SQUARE, cutlass_sm90.DEFAULTS[0], "bf16")
    (res,) = cutlass_sm90.static_check(SQUARE, cutlass_sm90.DEFAULTS[0], "bf16", HOPPER)
    assert res.spill_bytes == 0 and res.local_bytes == 0
    assert res.threads == 384  # one producer and two consumer warpgroups
    assert 0 < res.shared_bytes <= HOPPER.shared_per_block
    assert {"HGMMA", "UTMALDG", "UTMASTG", "SYNCS"} <= _instructions(built)
    again = cutlass_sm90.library(SQUARE, cutlass_sm90.DEFAULTS[0], "bf16")
    assert again.cached and again.path == built.path


@needs_build
def test_cooperative_with_a_64_row_tile_is_rejected_by_cutlass_too() -> None:
    """The space's first rule is CUTLASS's own static_assert, not a guess."""
    with pytest.raises(nvcc_lib.CompilationError, match="greater than or equal to 128"):
        cutlass_sm90.library(SQUARE, _sm90(tile_m=64, tile_n=128, cluster="1x1"), "bf16")


@needs_build
@pytest.mark.slow
def test_pingpong_with_stream_k_is_rejected_by_cutlass_too() -> None:
    with pytest.raises(nvcc_lib.CompilationError, match="stream-K"):
        cutlass_sm90.library(
            SQUARE, _sm90(schedule="pingpong", tile_n=128, scheduler="streamk"), "bf16"
        )


CORNERS = [
    _sm90(schedule="pingpong", tile_m=64, tile_n=64, cluster="2x2"),
    _sm90(schedule="pingpong", tile_m=256, tile_n=64, cluster="1x2"),
    _sm90(schedule="cooperative", tile_m=256, tile_n=128, cluster="2x2", scheduler="streamk"),
    _sm90(schedule="cooperative", tile_m=128, tile_n=64, cluster="1x1", scheduler="streamk"),
]


@needs_build
@pytest.mark.slow
@pytest.mark.parametrize(
    "config", CORNERS, ids=lambda c: "-".join(str(c[k]) for k in cutlass_sm90.COMPILE_TIME)
)
def test_sm90_corners_build_without_spills(config: dict) -> None:
    assert cutlass_sm90.SPACE.is_valid(config)
    for res in cutlass_sm90.static_check(SQUARE, config, "fp16", HOPPER):
        assert res.spill_bytes == 0 and res.shared_bytes <= HOPPER.shared_per_block


@needs_build
def test_sm80_default_builds_with_mma_sync_and_cp_async() -> None:
    built = cutlass_sm80.library(SQUARE, cutlass_sm80.DEFAULTS[0], "fp16", "sm_90")
    (res,) = cutlass_sm80.static_check(SQUARE, cutlass_sm80.DEFAULTS[0], "fp16", HOPPER)
    assert res.spill_bytes == 0 and res.threads == 256
    found = _instructions(built)
    assert {"HMMA", "LDGSTS", "LDSM"} <= found
    assert "HGMMA" not in found


# ---- on a GPU ------------------------------------------------------------------------------

SHAPES = [
    "1024x2048x512",
    "1000x1000x4096",
    "4096x4096x4096,alpha=0.5,beta=2.0",
    "512x768x1024,layout_a=col",
    "512x768x1024,layout_b=col",
]


def _check(variant: Variant, config: dict, shape: str, dtype: str) -> None:
    import torch

    from kernbench.measure.gate import compare

    problem = GEMM.parse(shape)
    inputs = GEMM.make_inputs(problem, dtype, "cuda", seed=1)
    launch = variant.build(problem, config, inputs)
    inputs["out"].fill_(float("nan"))
    launch()
    torch.cuda.synchronize()
    result = compare(GEMM, problem, dtype, inputs, GEMM.reference(problem, inputs))
    assert result.ok, result.message


@pytest.mark.gpu
@needs_build
@pytest.mark.parametrize("dtype", ["bf16", "fp16"])
@pytest.mark.parametrize("shape", SHAPES)
def test_sm90_matches_the_reference(dtype: str, shape: str) -> None:
    import torch

    if torch.cuda.get_device_capability() != (9, 0):
        pytest.skip("sm_90a kernels need an H100/H200")
    _check(cutlass_sm90.build, cutlass_sm90.DEFAULTS[0], shape, dtype)


@pytest.mark.gpu
@needs_build
@pytest.mark.parametrize("dtype", ["bf16", "fp16"])
def test_sm90_stream_k_and_pingpong_match_the_reference(dtype: str) -> None:
    import torch

    if torch.cuda.get_device_capability() != (9, 0):
        pytest.skip("sm_90a kernels need an H100/H200")
    for config in (CORNERS[0], CORNERS[3]):
        # twice: stream-K's workspace barriers must be reset between runs
        _check(cutlass_sm90.build, {**config, "swizzle": 4, "raster": "n"}, "2048x1536x4096", dtype)
        _check(cutlass_sm90.build, config, "2048x1536x4096", dtype)


@pytest.mark.gpu
@needs_build
@pytest.mark.parametrize("dtype", ["bf16", "fp16"])
@pytest.mark.parametrize("shape", SHAPES)
def test_sm80_matches_the_reference(dtype: str, shape: str) -> None:
    _check(cutlass_sm80.build, cutlass_sm80.DEFAULTS[0], shape, dtype)


@pytest.mark.gpu
@needs_build
def test_misaligned_rows_are_unsupported_with_a_reason() -> None:
    problem = GEMM.parse("77x129x65")
    inputs = GEMM.make_inputs(problem, "bf16", "cuda", seed=1)
    with pytest.raises(Unsupported, match="multiples of 8"):
        cutlass_sm80.build(problem, cutlass_sm80.DEFAULTS[0], inputs)
