"""Typical third-party CUDA kernels (reductions, histograms, softmax) run against numpy."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from kernbench.emulator import launch

from .test_cuda_end_to_end import compile_ptx

pytestmark = pytest.mark.skipif(shutil.which("nvcc") is None, reason="needs nvcc")

SAMPLES = r"""
extern "C" __global__ void block_sum(const float* x, float* out, int n) {
    __shared__ float warp_sums[32];
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    float v = i < n ? x[i] : 0.0f;
    for (int o = 16; o > 0; o >>= 1) v += __shfl_down_sync(0xffffffff, v, o);
    if (threadIdx.x % 32 == 0) warp_sums[threadIdx.x / 32] = v;
    __syncthreads();
    if (threadIdx.x < 32) {
        v = threadIdx.x < blockDim.x / 32 ? warp_sums[threadIdx.x] : 0.0f;
        for (int o = 16; o > 0; o >>= 1) v += __shfl_down_sync(0xffffffff, v, o);
        if (threadIdx.x == 0) atomicAdd(out, v);
    }
}

extern "C" __global__ void histogram(const unsigned char* x, unsigned* hist, int n) {
    __shared__ unsigned local[256];
    for (int b = threadIdx.x; b < 256; b += blockDim.x) local[b] = 0;
    __syncthreads();
    for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += gridDim.x * blockDim.x)
        atomicAdd(&local[x[i]], 1u);
    __syncthreads();
    for (int b = threadIdx.x; b < 256; b += blockDim.x) atomicAdd(&hist[b], local[b]);
}

extern "C" __global__ void softmax_rows(const float* x, float* y, int cols) {
    // one warp per row
    const float* r = x + blockIdx.x * cols;
    float m = -1e30f;
    for (int c = threadIdx.x; c < cols; c += 32) m = fmaxf(m, r[c]);
    for (int o = 16; o > 0; o >>= 1) m = fmaxf(m, __shfl_xor_sync(0xffffffff, m, o));
    float s = 0.0f;
    for (int c = threadIdx.x; c < cols; c += 32) s += __expf(r[c] - m);
    for (int o = 16; o > 0; o >>= 1) s += __shfl_xor_sync(0xffffffff, s, o);
    for (int c = threadIdx.x; c < cols; c += 32) y[blockIdx.x * cols + c] = __expf(r[c] - m) / s;
}
"""


@pytest.fixture(scope="module")
def samples(tmp_path_factory: pytest.TempPathFactory) -> str:
    return compile_ptx(tmp_path_factory.mktemp("samples"), SAMPLES)


def test_block_sum(samples: str) -> None:
    n = 3000
    x = np.random.default_rng(0).standard_normal(n).astype(np.float32)
    out = np.zeros(1, np.float32)
    r = launch(samples, "block_sum", -(-n // 256), 256, [x, out, n])
    assert r.ok, r.findings
    np.testing.assert_allclose(out[0], x.astype(np.float64).sum(), rtol=1e-4, atol=1e-3)


def test_histogram(samples: str) -> None:
    x = np.random.default_rng(1).integers(0, 256, 5000).astype(np.uint8)
    hist = np.zeros(256, np.uint32)
    r = launch(samples, "histogram", 4, 128, [x, hist, x.size])
    assert r.ok, r.findings
    np.testing.assert_array_equal(hist, np.bincount(x, minlength=256))


def test_softmax(samples: str) -> None:
    x = np.random.default_rng(2).standard_normal((5, 77)).astype(np.float32)
    y = np.zeros_like(x)
    r = launch(samples, "softmax_rows", 5, 32, [x, y, 77])
    assert r.ok, r.findings
    e = np.exp(x - x.max(1, keepdims=True))
    np.testing.assert_allclose(y, e / e.sum(1, keepdims=True), rtol=1e-5, atol=1e-6)


def test_sample_ptx_is_stable_across_runs(samples: str, tmp_path: Path) -> None:
    # the same PTX from a file path runs from the program cache with identical results
    p = tmp_path / "s.ptx"
    p.write_text(samples)
    x = np.arange(256, dtype=np.float32)
    outs = []
    for src in (samples, str(p)):
        out = np.zeros(1, np.float32)
        assert launch(src, "block_sum", 1, 256, [x, out, 256]).ok
        outs.append(out[0])
    assert outs[0] == outs[1] == 256 * 255 / 2
