"""CUDA C++ compiled by nvcc to PTX and run on the emulator, against numpy in float64."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from kernbench.emulator import launch

pytestmark = pytest.mark.skipif(shutil.which("nvcc") is None, reason="needs nvcc")

GEMM = r"""
#include <cuda_fp16.h>
extern "C" __global__ void gemm(const __half* A, const __half* B, __half* C,
                                int M, int N, int K, float alpha) {
    int col = blockIdx.x * 16 + threadIdx.x % 16;
    int row = blockIdx.y * 8 + threadIdx.x / 16;
    if (row GUARD M || col >= N) return;
    float acc = 0.0f;
    for (int k = 0; k < K; ++k)
        acc += __half2float(A[row * K + k]) * __half2float(B[k * N + col]);
    C[row * N + col] = __float2half(alpha * acc);
}
"""


def compile_ptx(tmp: Path, source: str) -> str:
    cu = tmp / "k.cu"
    cu.write_text(source)
    ptx = tmp / "k.ptx"
    subprocess.run(
        ["nvcc", "-ptx", "-arch=sm_80", "-lineinfo", str(cu), "-o", str(ptx)],
        check=True,
        capture_output=True,
    )
    return ptx.read_text()


def test_naive_gemm_fp16_77x129x65(tmp_path: Path) -> None:
    m, n, k = 77, 129, 65
    rng = np.random.default_rng(1)
    a = rng.standard_normal((m, k)).astype(np.float16)
    b = rng.standard_normal((k, n)).astype(np.float16)
    c = np.zeros((m, n), np.float16)
    ptx = compile_ptx(tmp_path, GEMM.replace("GUARD", ">="))
    r = launch(ptx, "gemm", (-(-n // 16), -(-m // 8)), 128, [a, b, c, m, n, k, 0.5])
    assert r.ok, r.findings
    ref = 0.5 * (a.astype(np.float64) @ b.astype(np.float64))
    # fp32 accumulation then one fp16 rounding: within an fp16 ulp plus fp32 sum error
    np.testing.assert_allclose(c.astype(np.float64), ref, rtol=2e-3, atol=2e-3)
    assert r.thread_instructions > m * n * k


def test_off_by_one_guard_is_caught_with_source_line(tmp_path: Path) -> None:
    m, n, k = 8, 16, 4
    a = np.ones((m, k), np.float16)
    b = np.ones((k, n), np.float16)
    c = np.zeros((m, n), np.float16)
    ptx = compile_ptx(tmp_path, GEMM.replace("GUARD", ">"))
    # 2 row blocks: row 8 (== M) passes the broken guard and reads A one row past the end
    r = launch(ptx, "gemm", (1, 2), 128, [a, b, c, m, n, k, 1.0])
    oob = [f for f in r.findings if f.kind == "global-out-of-bounds"]
    assert oob, r.findings
    f = oob[0]
    assert f.block == (0, 1, 0) and f.thread == (0, 0, 0)
    assert f.detail is not None and "argument 0 (gemm_param_0" in str(f.detail["buffer"])
    assert f.source.endswith("k.cu:10")  # the A[row * K + k] load (line 1 is blank)
    np.testing.assert_array_equal(c, 4.0)


PLANTED = r"""
extern "C" __global__ void transpose(const float* in, float* out, int sync) {
    __shared__ float tile[32][33];
    int x = threadIdx.x % 32, y = threadIdx.x / 32;
    tile[y][x] = in[y * 32 + x];
    if (sync) __syncthreads();
    out[y * 32 + x] = tile[x][y];
}

extern "C" __global__ void divergent_sync(float* out) {
    if (threadIdx.x < 32) {
        out[threadIdx.x] = 1.0f;
        __syncthreads();
    } else {
        __syncthreads();
        out[threadIdx.x] = 2.0f;
    }
}

extern "C" __global__ void partial_shfl(float* out, unsigned mask) {
    float v = threadIdx.x;
    if (threadIdx.x % 32 < 16) v = __shfl_sync(mask, v, 0);
    out[threadIdx.x] = v;
}

extern "C" __global__ void cp_async(const float* in, float* out, int wait) {
    __shared__ __align__(16) float s[64];
    unsigned dst = (unsigned)__cvta_generic_to_shared(&s[threadIdx.x]);
    asm volatile("cp.async.ca.shared.global [%0], [%1], 4;" :: "r"(dst), "l"(in + threadIdx.x));
    asm volatile("cp.async.commit_group;");
    if (wait) asm volatile("cp.async.wait_group 0;" ::: "memory");
    __syncthreads();
    out[threadIdx.x] = s[63 - threadIdx.x] * 2.0f;
}
"""


@pytest.fixture(scope="module")
def planted(tmp_path_factory: pytest.TempPathFactory) -> str:
    return compile_ptx(tmp_path_factory.mktemp("planted"), PLANTED)


def test_missing_syncthreads_is_a_race(planted: str) -> None:
    x = np.arange(1024, dtype=np.float32)
    out = np.zeros(1024, np.float32)
    r = launch(planted, "transpose", 1, 1024, [x, out, 1])
    assert r.ok, r.findings
    np.testing.assert_array_equal(out.reshape(32, 32), x.reshape(32, 32).T)
    r = launch(planted, "transpose", 1, 1024, [x, out, 0])
    assert {f.kind for f in r.findings} == {"shared-race"}
    assert r.findings[0].source.endswith(":7")  # the tile[x][y] read


def test_syncthreads_in_divergent_branch(planted: str) -> None:
    r = launch(planted, "divergent_sync", 1, 64, [np.zeros(64, np.float32)])
    assert [f.kind for f in r.findings] == ["divergent-barrier"]


def test_partial_mask_shuffle(planted: str) -> None:
    out = np.zeros(64, np.float32)
    r = launch(planted, "partial_shfl", 1, 64, [out, 0x0000FFFF])
    assert r.ok, r.findings
    np.testing.assert_array_equal(out[:16], 0)
    np.testing.assert_array_equal(out[32:48], 32)
    r = launch(planted, "partial_shfl", 1, 64, [out, 0xFFFFFFFF])
    assert [f.kind for f in r.findings] == ["warp-sync-mask"]


def test_cp_async_read_before_wait(planted: str) -> None:
    x = np.arange(64, dtype=np.float32)
    out = np.zeros(64, np.float32)
    r = launch(planted, "cp_async", 1, 64, [x, out, 1])
    assert r.ok, r.findings
    np.testing.assert_array_equal(out, 2 * x[::-1])
    r = launch(planted, "cp_async", 1, 64, [x, out, 0])
    assert [f.kind for f in r.findings] == ["async-copy-read-before-wait"]


def test_printf_is_accepted_and_assert_traps(tmp_path: Path) -> None:
    src = r"""
#include <cstdio>
#include <cassert>
extern "C" __global__ void k(int* out, int n) {
    printf("thread %d\n", threadIdx.x);
    assert(threadIdx.x < n);
    out[threadIdx.x] = threadIdx.x;
}
"""
    ptx = compile_ptx(tmp_path, src)
    out = np.zeros(32, np.int32)
    r = launch(ptx, "k", 1, 32, [out, 64])
    assert r.ok, r.findings
    np.testing.assert_array_equal(out, np.arange(32))
    r = launch(ptx, "k", 1, 32, [out, 16])
    assert [f.kind for f in r.findings] == ["trap"]
