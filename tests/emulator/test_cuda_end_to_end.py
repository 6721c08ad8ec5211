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
