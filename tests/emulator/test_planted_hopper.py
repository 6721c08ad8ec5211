"""Planted Hopper bugs (planted/hopper_bugs.cu), each caught the right way: a wrong mbarrier
parity and a wrong expect_tx byte count are deadlocks that name the barrier, its phase,
pending arrivals and tx-count; a wgmma descriptor whose swizzle differs from the tensor map's
gives wrong numbers; a consumer that frees a stage before its wgmmas retired is a
``wgmma-in-flight`` finding; a tensor map over a misaligned address is refused when encoded.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import numpy as np
import pytest
import torch

from kernbench.backends.cuda_compile import CudaUnavailable, default_compiler
from kernbench.emulator import TensorMapError, encode_tiled, launch
from kernbench.emulator.sources import compile_cuda

SOURCE = Path(__file__).parent / "planted" / "hopper_bugs.cu"
BF16, SWIZZLE_128B = 9, 3
KT = 4
SHARED = 2 * 2 * 64 * 64 * 2 + 32 + 1024  # 2 stages of A and B boxes, 4 barriers, alignment

try:
    default_compiler()
except CudaUnavailable as exc:  # pragma: no cover
    pytest.skip(f"no CUDA compiler: {exc}", allow_module_level=True)


@cache
def ptx(plant: str | None) -> str:
    defines: dict[str, int] = {}
    if plant == "DESC_SWIZZLE":
        defines["DESC_SWIZZLE"] = 64
    elif plant:
        defines[plant] = 1
    return compile_cuda(SOURCE, arch="sm_90a", defines=defines)


def run(plant: str | None = None):
    rng = np.random.default_rng(1)
    a = torch.from_numpy(rng.integers(-3, 4, (64, 64 * KT)).astype(np.float32)).bfloat16()
    b = torch.from_numpy(rng.integers(-3, 4, (64, 64 * KT)).astype(np.float32)).bfloat16()
    maps = [
        encode_tiled(
            BF16, 2, t.data_ptr(), (64 * KT, 64), (64 * KT * 2,), (64, 64), (1, 1), 0, SWIZZLE_128B
        )
        for t in (a, b)
    ]
    d = torch.zeros(64, 64)
    r = launch(
        ptx(plant),
        "pipeline",
        1,
        256,
        [*maps, d, KT],
        shared_bytes=SHARED,
        arch="sm_90a",
        max_instructions=5_000_000,
    )
    want = a.double().numpy() @ b.double().numpy().T
    return r, d.numpy(), want


def test_the_pipeline_is_right_and_clean() -> None:
    r, d, want = run()
    assert r.ok, r
    np.testing.assert_array_equal(d, want)


def test_a_wrong_parity_is_a_deadlock_that_names_the_barrier() -> None:
    r, _, _ = run("WRONG_PARITY")
    [dead] = [
        f
        for f in r.findings
        if f.kind == "mbarrier-deadlock"
        and "arrival" in f.message
        and f.detail
        and f.detail["pending"] == 1
        and f.detail["tx_count"] == 0
        and f.detail["warps"] == [0]
    ]
    # the producer (warp 0) waits for phase 0 of empty[0], which only a consumer release ends
    assert dead.detail["phase"] == 0 and dead.detail["waits_for_phase"] == 0
    assert "phase 0 (parity 0) has 1 of 1 arrival(s) pending and tx-count 0" in dead.message
    assert "try_wait" in dead.instruction
    # the consumers wait on full[0], never filled, and are named too
    assert (
        any(
            f.detail and f.detail.get("warps") == [4, 5, 6, 7]
            for f in r.findings
            if f.kind == "mbarrier-deadlock"
        )
        or dead.count > 1
    )


def test_an_expect_tx_with_the_wrong_byte_count_never_completes_its_phase() -> None:
    r, _, _ = run("WRONG_TX")
    # the consumers wait on full[0] (the producer, stuck behind them, is named too)
    [dead] = [
        f for f in r.findings if f.kind == "mbarrier-deadlock" and f.detail and f.detail["tx_count"]
    ]
    # 16384 bytes arrived against 15360 announced: the count went 1024 below zero
    assert dead.detail is not None and dead.detail["tx_count"] == -1024
    assert dead.detail["pending"] == 0 and dead.detail["warps"] == [4, 5, 6, 7]
    assert "tx-count -1024 byte(s) (more bytes completed than expect_tx announced)" in dead.message


def test_a_descriptor_swizzle_that_differs_from_the_maps_gives_wrong_numbers() -> None:
    r, d, want = run("DESC_SWIZZLE")
    assert r.ok, r  # no sanitizer sees a layout mismatch...
    assert not np.array_equal(d, want)  # ...but the numbers are wrong


def test_freeing_a_stage_before_its_wgmmas_retired_is_caught() -> None:
    r, _, _ = run("EARLY_RELEASE")
    flight = [f for f in r.findings if f.kind == "wgmma-in-flight"]
    assert flight, r
    assert "cp.async.bulk.tensor" in flight[0].instruction  # the refill overwrites the operands


def test_a_tensor_map_over_a_misaligned_address_is_refused() -> None:
    a = torch.zeros(64 * 64 + 8, dtype=torch.bfloat16)
    with pytest.raises(TensorMapError) as err:
        encode_tiled(BF16, 2, a.data_ptr() + 8, (64, 64), (128,), (64, 64), (1, 1), 0, SWIZZLE_128B)
    assert str(err.value) == (
        f"CUDA_ERROR_INVALID_VALUE: globalAddress {a.data_ptr() + 8:#x} is not 16-byte aligned"
    )
