"""Planted bugs in small CUDA kernels, each caught by the emulator with the right finding.

The correct version of each kernel runs clean and computes the right answer; the planted
version (one macro) is caught the way compute-sanitizer would catch it, or, for a layout
bug that no sanitizer sees, by its wrong result.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from kernbench.backends.cuda import compile_ptx
from kernbench.backends.cuda_compile import CudaUnavailable, default_compiler

HERE = Path(__file__).parent / "planted"

try:
    default_compiler()
except CudaUnavailable as exc:  # pragma: no cover - every CI machine has NVRTC or nvcc
    pytest.skip(f"no CUDA compiler: {exc}", allow_module_level=True)


def run(source: str, kernel: str, grid, block, args, plant: str | None = None):
    from kernbench.emulator import launch

    ptx = compile_ptx(HERE / source, "sm_80", {plant: 1} if plant else {})
    return launch(ptx, kernel, grid, block, args)


def kinds(result) -> set[str]:
    return {f.kind for f in result.findings}


def mma_inputs(seed: int = 0):
    rng = np.random.default_rng(seed)
    a = rng.standard_normal((16, 16)).astype(np.float16)
    b = rng.standard_normal((16, 8)).astype(np.float16)
    d = np.full((16, 8), np.nan, np.float32)
    return a, b, d


def test_mma_tile_is_right_and_clean() -> None:
    a, b, d = mma_inputs()
    result = run("mma_tile.cu", "mma_tile", 1, 64, (a, b, d))
    assert result.findings == []
    want = a.astype(np.float64) @ b.astype(np.float64)
    np.testing.assert_allclose(d, want, rtol=1e-5, atol=1e-5)


def test_missing_syncthreads_before_the_fragment_loads_is_a_shared_race() -> None:
    a, b, d = mma_inputs()
    result = run("mma_tile.cu", "mma_tile", 1, 64, (a, b, d), plant="NO_SYNC")
    assert "shared-race" in kinds(result)
    race = next(f for f in result.findings if f.kind == "shared-race")
    assert "ldmatrix" in race.instruction or "ld.shared" in race.instruction


def test_ldmatrix_without_trans_gives_a_wrong_result_not_a_finding() -> None:
    a, b, d = mma_inputs()
    result = run("mma_tile.cu", "mma_tile", 1, 64, (a, b, d), plant="NO_TRANS")
    assert result.findings == []
    want = a.astype(np.float64) @ b.astype(np.float64)
    assert not np.allclose(d, want, rtol=1e-2, atol=1e-2)


def test_edge_guard_off_by_one_is_out_of_bounds_by_one_element() -> None:
    n = 100
    x = np.arange(n, dtype=np.float32)
    y = np.zeros(n, np.float32)
    clean = run("small_bugs.cu", "copy_guarded", 1, 128, (x, y, n))
    assert clean.findings == [] and np.array_equal(y, 2 * x)
    bad = run("small_bugs.cu", "copy_guarded", 1, 128, (x, y, n), plant="OFF_BY_ONE")
    oob = [f for f in bad.findings if f.kind == "global-out-of-bounds"]
    assert oob, bad.findings
    assert any("0 bytes after" in f.message or "past the end" in f.message for f in oob), oob
    assert oob[0].thread[0] == n  # thread 100 of block 0 made the access


def test_reading_a_cp_async_destination_before_its_wait_is_a_finding() -> None:
    x = np.arange(128 * 4, dtype=np.float32)
    y = np.zeros_like(x)
    clean = run("small_bugs.cu", "async_rotate", 1, 128, (x, y))
    assert clean.findings == []
    assert np.array_equal(y.reshape(128, 4), np.roll(x.reshape(128, 4), -1, axis=0))
    bad = run("small_bugs.cu", "async_rotate", 1, 128, (x, y), plant="EARLY_READ")
    assert "async-copy-read-before-wait" in kinds(bad)


def test_syncthreads_in_a_divergent_branch_is_a_barrier_finding() -> None:
    x = np.ones(128, np.float32)
    out = np.zeros(1, np.float32)
    clean = run("small_bugs.cu", "block_sum", 1, 128, (x, out))
    assert clean.findings == [] and out[0] == 128
    bad = run("small_bugs.cu", "block_sum", 1, 128, (x, out), plant="DIVERGENT_SYNC")
    assert kinds(bad) & {"divergent-barrier", "barrier-deadlock"}


def test_shuffle_with_a_partial_member_mask_is_a_finding() -> None:
    x = np.arange(32, dtype=np.float32)
    out = np.zeros(1, np.float32)
    clean = run("small_bugs.cu", "warp_sum", 1, 32, (x, out))
    assert clean.findings == [] and out[0] == x.sum()
    bad = run("small_bugs.cu", "warp_sum", 1, 32, (x, out), plant="PARTIAL_MASK")
    assert "warp-sync-mask" in kinds(bad)
