"""Triton's own sm_90a code on the Hopper machine: the ladder's ``triton_tma`` kernel as Triton
3.9 compiled it (fixture ``triton_tma.ptx.gz``: 32x32x32 tiles, A and B row-major, no C). It
builds its tensor maps on the device (``tensormap.replace`` into global scratch, then
``tensormap.cp_fenceproxy``), loads tiles with TMA into an mbarrier and stores the result
with a TMA store, with Triton's calling convention (global and profile scratch last)."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import torch

from kernbench.emulator import launch
from kernbench.emulator.memory import Region

FIXTURE = Path(__file__).parent.parent / "data" / "triton_tma.ptx.gz"


def test_triton_tma_gemm_is_right_on_the_emulator() -> None:
    with gzip.open(FIXTURE, "rt") as f:
        ptx = f.read()
    m = n = k = 64
    gen = torch.Generator().manual_seed(0)
    a = torch.randn(m, k, generator=gen).bfloat16()
    b = torch.randn(k, n, generator=gen).bfloat16()
    c = torch.zeros(m, n).bfloat16()
    out = torch.full((m, n), float("nan")).bfloat16()
    programs = 3  # persistent: 4 tiles of 32x32, so one program takes two
    scratch = torch.zeros(programs * 4096, dtype=torch.uint8)  # the device-built maps
    profile = torch.zeros(1024, dtype=torch.uint8)
    strides = [k, 1, n, 1, n, n]  # am, ak, bk, bn, cm, om
    args = [a, b, c, out, m, n, k, *strides, 1.0, 0.0, programs, scratch, profile]
    r = launch(ptx, "gemm_tma_kernel", programs, 128, args, arch="sm_90a", shared_bytes=32768)
    assert r.ok, r
    want = a.double() @ b.double()
    # products exact, f32 sums, one bf16 rounding of the output (half an ulp: 2^-9 relative)
    np.testing.assert_allclose(out.double().numpy(), want.numpy(), rtol=2**-8, atol=1e-6)


def test_sixteen_byte_values_are_written_as_pairs_of_words() -> None:
    # stmatrix stores 16-byte rows as two uint64 columns per row
    reg = Region(np.zeros(64, np.uint8))
    vals = np.array([[1, 2], [3, 4]], np.uint64)
    reg.write(np.array([0, 32]), 16, vals)
    assert list(reg.view(8)[[0, 1, 4, 5]]) == [1, 2, 3, 4]
