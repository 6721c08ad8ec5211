"""The Hopper machine on small hand-written sm_90a kernels (hopper_kernels.cu): TMA loads with
out-of-bounds edges and stores that never write outside the tensor, wgmma from descriptors in
each swizzle and from registers, an mbarrier ring between a producer and a consumer warp, and
a 2-CTA cluster with multicast, distributed shared memory and a remote arrive.

Expected values come from the definitions (PTX ISA; cuda.h for tensor maps), never from the
emulator: a box element (r, c) is the tensor's (y + r, x + c) or zero outside it; wgmma
computes D = A B^T over exact products; the swizzles XOR 16-byte chunk bits 4.. with 7...
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

SOURCE = Path(__file__).parent / "hopper_kernels.cu"
U16 = 1  # CUtensorMapDataType UINT16
SWIZZLE_ENUM = {0: 0, 32: 1, 64: 2, 128: 3}

try:
    default_compiler()
except CudaUnavailable as exc:  # pragma: no cover
    pytest.skip(f"no CUDA compiler: {exc}", allow_module_level=True)


@cache
def ptx(**defines: int) -> str:
    return compile_cuda(SOURCE, arch="sm_90a", defines=defines)


def tensor_map(t: np.ndarray, box: tuple[int, int], swizzle: int = 0) -> bytes:
    """A 2-D map of a row-major uint16 matrix, boxes of box[0] rows x box[1] columns."""
    rows, cols = t.shape
    return encode_tiled(
        U16,
        2,
        t.ctypes.data,
        (cols, rows),
        (cols * 2,),
        (box[1], box[0]),
        (1, 1),
        0,
        SWIZZLE_ENUM[swizzle],
    )


def expected_box(t: np.ndarray, x: int, y: int, rows: int, cols: int) -> np.ndarray:
    """The box at column x, row y: the tensor where inside it, zero elsewhere."""
    out = np.zeros((rows, cols), np.uint16)
    for r in range(rows):
        for c in range(cols):
            if 0 <= y + r < t.shape[0] and 0 <= x + c < t.shape[1]:
                out[r, c] = t[y + r, x + c]
    return out


def unswizzle(raw: np.ndarray, span: int) -> np.ndarray:
    """Undo a swizzle on a tile stored from shared byte 0: the element at byte b was written
    to b ^ (((b >> 7) & (span/16 - 1)) << 4)."""
    if span == 0:
        return raw
    b = np.arange(raw.size) * 2
    return raw[(b ^ (((b >> 7) & (span // 16 - 1)) << 4)) // 2]


TENSOR = (np.arange(20 * 24, dtype=np.uint16) + 1).reshape(20, 24)


@pytest.mark.parametrize(("x", "y"), [(0, 0), (16, 16), (-8, -3), (8, 4)])
def test_tma_load_zero_fills_outside_the_tensor(x: int, y: int) -> None:
    t = TENSOR.copy()
    out = np.full(8 * 16, 0xFFFF, np.uint16)
    args = [tensor_map(t, (8, 16)), out, x & 0xFFFFFFFF, y & 0xFFFFFFFF]  # int params: .u32
    r = launch(ptx(), "tma_load_box", 1, 32, args, arch="sm_90a")
    assert r.ok, r
    np.testing.assert_array_equal(out.reshape(8, 16), expected_box(t, x, y, 8, 16))


def test_tma_load_through_a_map_in_global_memory_and_with_a_swizzle() -> None:
    t = TENSOR.copy()
    raw = np.frombuffer(tensor_map(t, (8, 16), swizzle=32), np.uint8).copy()
    out = np.zeros(8 * 16, np.uint16)
    r = launch(ptx(), "tma_load_box_ptr", 1, 32, [raw, out, 4, 2], arch="sm_90a")
    assert r.ok, r
    np.testing.assert_array_equal(unswizzle(out, 32).reshape(8, 16), expected_box(t, 4, 2, 8, 16))


def test_tma_store_writes_only_the_box_inside_the_tensor() -> None:
    t = np.zeros((20, 24), np.uint16)
    r = launch(ptx(), "tma_store_box", 1, 32, [tensor_map(t, (8, 16)), 16, 14], arch="sm_90a")
    assert r.ok, r  # an out-of-bounds write would be a global-out-of-bounds finding
    want = np.zeros((20, 24), np.uint16)
    box = (np.arange(8 * 16) + 1).reshape(8, 16)
    want[14:20, 16:24] = box[:6, :8]
    np.testing.assert_array_equal(t, want)


def test_a_misaligned_tensor_address_is_refused_as_the_driver_does() -> None:
    t = np.zeros(20 * 24 + 8, np.uint16)
    with pytest.raises(TensorMapError, match=r"CUDA_ERROR_INVALID_VALUE: globalAddress .* 16-byte"):
        encode_tiled(U16, 2, t.ctypes.data + 2, (24, 20), (48,), (16, 8), (1, 1))


def bf16(x: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(x.astype(np.float32)).to(torch.bfloat16)


def operands(seed: int) -> tuple[torch.Tensor, torch.Tensor, np.ndarray]:
    """Small integers: every product and sum is exact, whatever the order."""
    rng = np.random.default_rng(seed)
    a = bf16(rng.integers(-4, 5, (64, 16)))
    b = bf16(rng.integers(-4, 5, (32, 16)))
    want = a.double().numpy() @ b.double().numpy().T
    return a, b, want


@pytest.mark.parametrize("swizzle", [0, 32, 64, 128])
def test_wgmma_from_shared_descriptors_in_each_swizzle(swizzle: int) -> None:
    a, b, want = operands(swizzle)
    d = torch.full((64, 32), float("nan"))
    r = launch(ptx(SWIZZLE=swizzle), "wgmma_smem", 1, 128, [a, b, d, 1], arch="sm_90a")
    assert r.ok, r
    # scale-d false ignores the initial 1e30, the second wgmma accumulates: D = 2 A B^T
    np.testing.assert_array_equal(d.numpy(), 2 * want)


def test_wgmma_with_a_from_registers() -> None:
    a, b, want = operands(7)
    d = torch.full((64, 32), float("nan"))
    r = launch(ptx(), "wgmma_regs", 1, 128, [a, b, d], arch="sm_90a")
    assert r.ok, r
    np.testing.assert_array_equal(d.numpy(), want)


@pytest.mark.parametrize("spin", [False, True], ids=["try_wait", "test_wait"])
def test_producer_and_consumer_warps_through_an_mbarrier_ring(spin: bool) -> None:
    iters = 7  # more than the 2 stages: every barrier goes through several phases
    src = np.arange(iters * 32, dtype=np.uint32) * 3
    out = np.zeros(iters * 32, np.uint32)
    defines = {"TEST_WAIT": 1} if spin else {}
    r = launch(
        ptx(**defines), "ws_ring", 1, 64, [src, out, iters], arch="sm_90a", max_instructions=200_000
    )
    assert r.ok, r  # no race: the barriers order the ring's writes and reads
    np.testing.assert_array_equal(out, src * 2 + np.repeat(np.arange(iters), 32))


@pytest.mark.parametrize("how", ["launch", "__cluster_dims__"])
def test_a_cluster_pair_multicasts_and_shares_memory(how: str) -> None:
    t = (np.arange(16 * 16, dtype=np.uint16) + 1).reshape(16, 16)
    out = np.zeros(4 * 8 * 16, np.uint16)
    info = np.zeros(4 * 4, np.uint32)
    defines = {"CLUSTER_DIMS": 1} if how != "launch" else {}
    cluster = (2, 1, 1) if how == "launch" else None
    r = launch(
        ptx(**defines),
        "cluster_pair",
        4,
        32,
        [tensor_map(t, (8, 16)), out, info],
        arch="sm_90a",
        cluster=cluster,
    )
    assert r.ok, r
    for block in range(4):
        cluster_id = block // 2
        tile = out[block * 128 : (block + 1) * 128].reshape(8, 16)
        np.testing.assert_array_equal(tile, t[8 * cluster_id : 8 * cluster_id + 8])
        rank = block % 2
        # info: own rank, what the peer wrote (100 + its rank + 10 * cluster), ranks, cluster
        assert list(info[4 * block : 4 * block + 4]) == [
            rank,
            100 + (rank ^ 1) + 10 * cluster_id,
            2,
            cluster_id,
        ]


def test_cluster_shapes_are_checked() -> None:
    t = np.zeros((16, 16), np.uint16)
    args = [tensor_map(t, (8, 16)), np.zeros(3 * 128, np.uint16), np.zeros(12, np.uint32)]
    with pytest.raises(ValueError, match="not a multiple of the cluster"):
        launch(ptx(), "cluster_pair", 3, 32, args, arch="sm_90a", cluster=(2, 1, 1))
    with pytest.raises(ValueError, match="differs from the kernel's"):
        launch(ptx(CLUSTER_DIMS=1), "cluster_pair", 4, 32, args, arch="sm_90a", cluster=(4, 1, 1))


def test_reading_accumulators_before_wait_group_is_a_finding() -> None:
    a, b, _ = operands(3)
    d = torch.zeros((64, 32))
    r = launch(ptx(READ_EARLY=1), "wgmma_smem", 1, 128, [a, b, d, 0], arch="sm_90a")
    [f] = [f for f in r.findings if f.kind == "wgmma-in-flight"]
    assert "st.global.f32" in f.instruction and f.count == 128
    assert "wgmma.wait_group must retire it first" in f.message


def test_a_tensor_map_built_by_the_kernel_with_tensormap_replace() -> None:
    t = TENSOR.copy()
    gmap = np.zeros(128, np.uint8)
    out = np.zeros(8 * 16, np.uint16)
    r = launch(ptx(), "map_in_kernel", 1, 32, [gmap, t, out, 20, 24], arch="sm_90a")
    assert r.ok, r
    np.testing.assert_array_equal(out.reshape(8, 16), expected_box(t, 2, 1, 8, 16))
    # the 128 bytes in global memory are the map the host would encode (format byte aside)
    host = np.frombuffer(tensor_map(t, (8, 16)), np.uint8).copy()
    host[15] = 0
    np.testing.assert_array_equal(gmap, host)


def test_plain_bulk_copies_both_ways() -> None:
    src = np.arange(64, dtype=np.uint32)
    out = np.zeros(64, np.uint32)
    r = launch(ptx(), "bulk_copy", 1, 32, [src, out], arch="sm_90a")
    assert r.ok, r
    want = src.copy()
    want[::4] += 1  # .x of each of the 16 uint4
    np.testing.assert_array_equal(out, want)


def test_rewriting_a_store_source_before_wait_group_read_is_a_finding() -> None:
    t = np.zeros((20, 24), np.uint16)
    r = launch(
        ptx(REWRITE_EARLY=1), "tma_store_box", 1, 32, [tensor_map(t, (8, 16)), 0, 0], arch="sm_90a"
    )
    [f] = r.findings
    assert f.kind == "bulk-copy-in-flight" and "st.shared.u16" in f.instruction
    assert "wait_group.read" in f.message


def test_wgmma_with_f16_accumulators() -> None:
    rng = np.random.default_rng(5)
    a = torch.from_numpy(rng.integers(-4, 5, (64, 16)).astype(np.float16))
    b = torch.from_numpy(rng.integers(-4, 5, (32, 16)).astype(np.float16))
    d = torch.full((64, 32), float("nan"), dtype=torch.float16)
    r = launch(ptx(), "wgmma_f16acc", 1, 128, [a, b, d], arch="sm_90a")
    assert r.ok, r
    want = a.double().numpy() @ b.double().numpy().T  # |sums| <= 256: exact in f16
    np.testing.assert_array_equal(d.double().numpy(), want)


def test_clusters_stay_whole_when_a_launch_runs_in_waves(monkeypatch) -> None:
    from kernbench.emulator import api

    monkeypatch.setattr(api, "MAX_WAVE_THREADS", 32 * 3)  # 3 blocks fit: waves of 2
    t = (np.arange(16 * 16, dtype=np.uint16) + 1).reshape(16, 16)
    out = np.zeros(4 * 8 * 16, np.uint16)
    info = np.zeros(4 * 4, np.uint32)
    r = launch(
        ptx(),
        "cluster_pair",
        4,
        32,
        [tensor_map(t, (8, 16)), out, info],
        arch="sm_90a",
        cluster=(2, 1, 1),
    )
    assert r.ok, r
    assert r.waves == 2
    for block in range(4):
        rank, cluster_id = block % 2, block // 2
        assert list(info[4 * block : 4 * block + 4]) == [
            rank,
            100 + (rank ^ 1) + 10 * cluster_id,
            2,
            cluster_id,
        ]


def test_generic_writes_read_by_the_async_proxy_need_fence_proxy_async() -> None:
    t = np.zeros((20, 24), np.uint16)
    r = launch(
        ptx(NO_FENCE=1), "tma_store_box", 1, 32, [tensor_map(t, (8, 16)), 0, 0], arch="sm_90a"
    )
    [f] = r.findings
    assert f.kind == "missing-proxy-fence" and "cp.async.bulk.tensor" in f.instruction
    assert "a TMA store reads shared offset" in f.message
    a, b, _ = operands(2)
    d = torch.zeros((64, 32))
    r = launch(ptx(NO_FENCE=1), "wgmma_smem", 1, 128, [a, b, d, 0], arch="sm_90a")
    assert {f.kind for f in r.findings} == {"missing-proxy-fence"}
    assert "wgmma.mma_async" in r.findings[0].instruction


def test_a_3d_box_with_element_strides() -> None:
    # tensor [3 planes][10 rows][24 cols]; box 16 cols x 8 rows (every 2nd: 4 of them) x 2
    # planes, from (x=12, y=3, z=2): columns 12..27 (24.. out), rows 3, 5, 7, 9, planes 2, 3
    # (3 out); shared memory holds the 2 x 4 x 16 elements densely, innermost first
    t = (np.arange(3 * 10 * 24, dtype=np.uint16) + 1).reshape(3, 10, 24)
    raw = encode_tiled(U16, 3, t.ctypes.data, (24, 10, 3), (48, 480), (16, 8, 2), (1, 2, 1))
    out = np.zeros(2 * 4 * 16, np.uint16)
    r = launch(ptx(), "tma_load_3d", 1, 32, [raw, out, 12, 3, 2], arch="sm_90a")
    assert r.ok, r
    want = np.zeros((2, 4, 16), np.uint16)
    for p in range(2):
        for q in range(4):
            for c in range(16):
                z, y, x = 2 + p, 3 + 2 * q, 12 + c
                if z < 3 and y < 10 and x < 24:
                    want[p, q, c] = t[z, y, x]
    np.testing.assert_array_equal(out.reshape(2, 4, 16), want)


def test_tma_reduce_adds_the_box_inside_the_tensor() -> None:
    t = TENSOR.copy()
    r = launch(ptx(), "tma_reduce_box", 1, 32, [tensor_map(t, (8, 16)), 16, 14], arch="sm_90a")
    assert r.ok, r
    want = TENSOR.copy()
    box = (np.arange(8 * 16) + 1).reshape(8, 16).astype(np.uint16)
    want[14:20, 16:24] += box[:6, :8]
    np.testing.assert_array_equal(t, want)
