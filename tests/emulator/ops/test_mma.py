"""mma.sync fragment layouts and arithmetic, checked with one-hot matrices.

Every locator below is derived by hand from the PTX ISA's fragment figures for
``mma.m16n8k*`` / ``m8n8k*`` (groupID = lane >> 2, threadID_in_group = lane % 4), written
the other way round from the emulator's tables: given a matrix element, which
(lane, register, slot) holds it. One warp per (i, k, j) puts A(i, k) = 2, B(k, j) = 3 and
C(i, j) = 1; D must be 7 at (i, j) and 0 everywhere else.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from kernbench.emulator.ops.mma import mma_factory
from kernbench.emulator.ops.table import NotSupported
from kernbench.emulator.ptx.ir import Instruction

Loc = tuple[int, int, int]  # (lane, register, slot within the register)


def ins(*mods: str) -> Instruction:
    return Instruction("mma", ("sync", "aligned", *mods))


# --- hand-derived locators: (row, col) -> (lane, reg, slot) --------------------------------
# 16-bit A, m16n8k16: a0..a7 in 4 regs; a0,a1 rows 0-7 cols 0-7 (reg 0), a2,a3 rows 8-15
# cols 0-7 (reg 1), a4,a5 rows 0-7 cols 8-15 (reg 2), a6,a7 rows 8-15 cols 8-15 (reg 3);
# within 8x8, row r is lanes 4r..4r+3, each holding 2 consecutive columns.
def a16_k16(i: int, k: int) -> Loc:
    return 4 * (i % 8) + (k % 8) // 2, (i // 8) + 2 * (k // 8), k % 2


def a16_k8(i: int, k: int) -> Loc:  # a0,a1 rows 0-7; a2,a3 rows 8-15
    return 4 * (i % 8) + k // 2, i // 8, k % 2


def b16_k16(k: int, j: int) -> Loc:  # column j is lanes 4j..4j+3; b0,b1 k 0-7, b2,b3 k 8-15
    return 4 * j + (k % 8) // 2, k // 8, k % 2


def b16_k8(k: int, j: int) -> Loc:
    return 4 * j + k // 2, 0, k % 2


def c32_16x8(i: int, j: int) -> Loc:  # c0,c1 row g; c2,c3 row g+8; one f32 per register
    return 4 * (i % 8) + j // 2, 2 * (i // 8) + j % 2, 0


def c16_16x8(i: int, j: int) -> Loc:  # f16x2: reg 0 rows 0-7, reg 1 rows 8-15
    return 4 * (i % 8) + j // 2, i // 8, j % 2


def atf32_k8(i: int, k: int) -> Loc:  # a0 (g,t) a1 (g+8,t) a2 (g,t+4) a3 (g+8,t+4)
    return 4 * (i % 8) + k % 4, (i // 8) + 2 * (k // 4), 0


def atf32_k4(i: int, k: int) -> Loc:
    return 4 * (i % 8) + k, i // 8, 0


def btf32_k8(k: int, j: int) -> Loc:  # b0 k = t, b1 k = t + 4
    return 4 * j + k % 4, k // 4, 0


def btf32_k4(k: int, j: int) -> Loc:
    return 4 * j + k, 0, 0


def a8_k32(i: int, k: int) -> Loc:  # 4 bytes per reg; regs: (rows 0-7|8-15) x (k 0-15|16-31)
    return 4 * (i % 8) + (k % 16) // 4, (i // 8) + 2 * (k // 16), k % 4


def a8_k16(i: int, k: int) -> Loc:
    return 4 * (i % 8) + k // 4, i // 8, k % 4


def b8_k32(k: int, j: int) -> Loc:
    return 4 * j + (k % 16) // 4, k // 16, k % 4


def b8_k16(k: int, j: int) -> Loc:
    return 4 * j + k // 4, 0, k % 4


def a8_m8k16(i: int, k: int) -> Loc:
    return 4 * i + k // 4, 0, k % 4


def c_8x8(i: int, j: int) -> Loc:  # m8n8: row g, cols 2t, 2t+1 in regs 0, 1
    return 4 * i + j // 2, j % 2, 0


def a64(i: int, k: int) -> Loc:  # m8n8k4 f64: a0 (g, t)
    return 4 * i + k, 0, 0


def b64(k: int, j: int) -> Loc:
    return 4 * j + k, 0, 0


# (mods, M, N, K, A, B, C/D locators, n regs a/b/c/d, element bits a/b/c/d, encodings)
# encodings: A's 2, B's 3, C's 1, D's 7 (or what the types make of them), zero = 0 bits.
F16_2, F16_3, F16_1, F16_7 = 0x4000, 0x4200, 0x3C00, 0x4700
F32_1, F32_7 = 0x3F800000, 0x40E00000
BF16_2, BF16_3 = 0x4000, 0x4040
TF32_2, TF32_3 = 0x40001FFF, 0x40401FFF  # low 13 bits set: ignored by the ISA
F64_2, F64_3, F64_1, F64_7 = (
    0x4000000000000000,
    0x4008000000000000,
    0x3FF0000000000000,
    0x401C000000000000,
)
S8_M2 = 0xFE  # -2 as s8, 254 as u8
E4M3_2, E4M3_3 = 0x40, 0x44  # 2 = 1.0 * 2^(8-7); 3 = 1.5 * 2^1 -> mantissa 100
E5M2_2, E5M2_3 = 0x40, 0x42  # 2 = 1.0 * 2^(16-15); 3 = 1.5 * 2^1 -> mantissa 10

CASES = [
    # f16 inputs, f32 accumulators
    (("m16n8k16", "row", "col", "f32", "f16", "f16", "f32"), 16, 8, 16, a16_k16, b16_k16,
     c32_16x8, c32_16x8, (4, 2, 4, 4), (16, 16, 32, 32), F16_2, F16_3, F32_1, F32_7),
    (("m16n8k8", "row", "col", "f32", "f16", "f16", "f32"), 16, 8, 8, a16_k8, b16_k8,
     c32_16x8, c32_16x8, (2, 1, 4, 4), (16, 16, 32, 32), F16_2, F16_3, F32_1, F32_7),
    # f16 accumulators, and mixed C/D
    (("m16n8k16", "row", "col", "f16", "f16", "f16", "f16"), 16, 8, 16, a16_k16, b16_k16,
     c16_16x8, c16_16x8, (4, 2, 2, 2), (16, 16, 16, 16), F16_2, F16_3, F16_1, F16_7),
    (("m16n8k16", "row", "col", "f32", "f16", "f16", "f16"), 16, 8, 16, a16_k16, b16_k16,
     c16_16x8, c32_16x8, (4, 2, 2, 4), (16, 16, 16, 32), F16_2, F16_3, F16_1, F32_7),
    (("m16n8k8", "row", "col", "f16", "f16", "f16", "f32"), 16, 8, 8, a16_k8, b16_k8,
     c32_16x8, c16_16x8, (2, 1, 4, 2), (16, 16, 32, 16), F16_2, F16_3, F32_1, F16_7),
    # bf16
    (("m16n8k16", "row", "col", "f32", "bf16", "bf16", "f32"), 16, 8, 16, a16_k16, b16_k16,
     c32_16x8, c32_16x8, (4, 2, 4, 4), (16, 16, 32, 32), BF16_2, BF16_3, F32_1, F32_7),
    (("m16n8k8", "row", "col", "f32", "bf16", "bf16", "f32"), 16, 8, 8, a16_k8, b16_k8,
     c32_16x8, c32_16x8, (2, 1, 4, 4), (16, 16, 32, 32), BF16_2, BF16_3, F32_1, F32_7),
    # tf32
    (("m16n8k8", "row", "col", "f32", "tf32", "tf32", "f32"), 16, 8, 8, atf32_k8, btf32_k8,
     c32_16x8, c32_16x8, (4, 2, 4, 4), (32, 32, 32, 32), TF32_2, TF32_3, F32_1, F32_7),
    (("m16n8k4", "row", "col", "f32", "tf32", "tf32", "f32"), 16, 8, 4, atf32_k4, btf32_k4,
     c32_16x8, c32_16x8, (2, 1, 4, 4), (32, 32, 32, 32), TF32_2, TF32_3, F32_1, F32_7),
    # integers: -2 * 3 + 1 = -5 (s8); 254 * 3 + 1 = 763 (u8 A, s8 B)
    (("m16n8k32", "row", "col", "s32", "s8", "s8", "s32"), 16, 8, 32, a8_k32, b8_k32,
     c32_16x8, c32_16x8, (4, 2, 4, 4), (8, 8, 32, 32), S8_M2, 3, 1, 0xFFFFFFFB),
    (("m16n8k32", "row", "col", "satfinite", "s32", "u8", "s8", "s32"), 16, 8, 32, a8_k32,
     b8_k32, c32_16x8, c32_16x8, (4, 2, 4, 4), (8, 8, 32, 32), S8_M2, 3, 1, 763),
    (("m16n8k16", "row", "col", "s32", "s8", "s8", "s32"), 16, 8, 16, a8_k16, b8_k16,
     c32_16x8, c32_16x8, (2, 1, 4, 4), (8, 8, 32, 32), S8_M2, 3, 1, 0xFFFFFFFB),
    (("m8n8k16", "row", "col", "s32", "s8", "s8", "s32"), 8, 8, 16, a8_m8k16, b8_k16,
     c_8x8, c_8x8, (1, 1, 2, 2), (8, 8, 32, 32), S8_M2, 3, 1, 0xFFFFFFFB),
    # f64
    (("m8n8k4", "row", "col", "f64", "f64", "f64", "f64"), 8, 8, 4, a64, b64, c_8x8, c_8x8,
     (1, 1, 2, 2), (64, 64, 64, 64), F64_2, F64_3, F64_1, F64_7),
    # fp8 (sm_89): same fragments as the 8-bit integer shapes
    (("m16n8k32", "row", "col", "f32", "e4m3", "e5m2", "f32"), 16, 8, 32, a8_k32, b8_k32,
     c32_16x8, c32_16x8, (4, 2, 4, 4), (8, 8, 32, 32), E4M3_2, E5M2_3, F32_1, F32_7),
    (("m16n8k16", "row", "col", "f16", "e5m2", "e4m3", "f16"), 16, 8, 16, a8_k16, b8_k16,
     c16_16x8, c16_16x8, (2, 1, 2, 2), (8, 8, 16, 16), E5M2_2, E4M3_3, F16_1, F16_7),
]  # fmt: skip


def place(regs: np.ndarray, w: int, loc: Loc, bits: int, value: int) -> None:
    lane, reg, slot = loc
    regs[w, lane, reg] |= np.uint64(value) << np.uint64(slot * bits)


@pytest.mark.parametrize("case", CASES, ids=lambda c: ".".join(c[0]))
def test_one_hot(case):
    mods, m, n, k, loc_a, loc_b, loc_c, loc_d, nregs, bits, va, vb, vc, vd = case
    triples = list(itertools.product(range(m), range(k), range(n)))
    w = len(triples)
    a = np.zeros((w, 32, nregs[0]), np.uint64)
    b = np.zeros((w, 32, nregs[1]), np.uint64)
    c = np.zeros((w, 32, nregs[2]), np.uint64)
    want = np.zeros((w, 32, nregs[3]), np.uint64)
    for idx, (i, kk, j) in enumerate(triples):
        place(a, idx, loc_a(i, kk), bits[0], va)
        place(b, idx, loc_b(kk, j), bits[1], vb)
        place(c, idx, loc_c(i, j), bits[2], vc)
        place(want, idx, loc_d(i, j), bits[3], vd)
    dt = np.uint64 if bits[3] == 64 else np.uint32
    got = mma_factory(ins(*mods))(a.astype(dt), b.astype(dt), c.astype(dt))
    assert got.shape == want.shape
    assert got.dtype == dt
    np.testing.assert_array_equal(got.astype(np.uint64), want)


def _f16_k16(a_vals: dict, b_vals: dict, d_type: str) -> np.ndarray:
    """Run m16n8k16 f16 with the given A/B element bits; returns D's registers of warp 0."""
    a = np.zeros((1, 32, 4), np.uint32)
    b = np.zeros((1, 32, 2), np.uint32)
    for (i, kk), v in a_vals.items():
        lane, reg, slot = a16_k16(i, kk)
        a[0, lane, reg] |= np.uint32(v << (16 * slot))
    for (kk, j), v in b_vals.items():
        lane, reg, slot = b16_k16(kk, j)
        b[0, lane, reg] |= np.uint32(v << (16 * slot))
    nc = 2 if d_type == "f16" else 4
    c = np.zeros((1, 32, nc), np.uint32)
    f = mma_factory(ins("m16n8k16", "row", "col", d_type, "f16", "f16", d_type))
    return f(a, b, c)


def test_f16_accumulator_rounds_once():
    # D(0,0) = 1 + 2^-11 + 2^-24 (f16 bits 0x3C00, 0x1000, 0x0001 times B = 1.0).
    # f16 ulp at 1 is 2^-10: the sum is just above the half-way point -> rounds up to
    # 1 + 2^-10 = 0x3C01. Rounding through f32 first would tie twice and give 0x3C00.
    d = _f16_k16({(0, 0): 0x3C00, (0, 1): 0x1000, (0, 2): 0x0001},
                 {(0, 0): 0x3C00, (1, 0): 0x3C00, (2, 0): 0x3C00}, "f16")  # fmt: skip
    assert d[0, 0, 0] & 0xFFFF == 0x3C01
    # exactly half-way 1 + 2^-11 -> ties to even 1.0; 1 + 3 * 2^-11 -> 1 + 2^-9 (0x3C02)
    d = _f16_k16({(0, 0): 0x3C00, (0, 1): 0x1000}, {(0, 0): 0x3C00, (1, 0): 0x3C00}, "f16")
    assert d[0, 0, 0] & 0xFFFF == 0x3C00
    d = _f16_k16({(0, 0): 0x3C00, (0, 1): 0x1000, (0, 2): 0x1400},
                 {(0, 0): 0x3C00, (1, 0): 0x3C00, (2, 0): 0x3C00}, "f16")  # fmt: skip
    assert d[0, 0, 0] & 0xFFFF == 0x3C02
    # f32 accumulator: 2^-24 is half an f32 ulp at 1 -> tie, even: 1 + 2^-11 = 0x3F801000
    d = _f16_k16({(0, 0): 0x3C00, (0, 1): 0x1000, (0, 2): 0x0001},
                 {(0, 0): 0x3C00, (1, 0): 0x3C00, (2, 0): 0x3C00}, "f32")  # fmt: skip
    assert d[0, 0, 0] == 0x3F801000
    # f16 overflow: 65504 * 2 -> +inf (0x7C00); inf * 0 -> canonical NaN 0x7FFF
    d = _f16_k16({(0, 0): 0x7BFF}, {(0, 0): 0x4000}, "f16")
    assert d[0, 0, 0] & 0xFFFF == 0x7C00
    d = _f16_k16({(0, 0): 0x7C00}, {(0, 0): 0x0000}, "f16")
    assert d[0, 0, 0] & 0xFFFF == 0x7FFF


def test_tf32_truncates_low_bits():
    # A(0,0) = 0x3F801FFF: as f32 that is 1 + 4095 * 2^-23; tf32 keeps 10 mantissa bits
    # (bits 13..22), which are all 0 here -> 1.0 exactly (rounding would give 1 + 2^-10).
    a = np.zeros((1, 32, 4), np.uint32)
    b = np.zeros((1, 32, 2), np.uint32)
    c = np.zeros((1, 32, 4), np.uint32)
    a[0, 0, 0] = 0x3F801FFF  # lane 0 reg 0 = A(0, 0)
    b[0, 0, 0] = 0x3F800000  # lane 0 reg 0 = B(0, 0)
    d = mma_factory(ins("m16n8k8", "row", "col", "f32", "tf32", "tf32", "f32"))(a, b, c)
    assert d[0, 0, 0] == 0x3F800000


@pytest.mark.parametrize("sat", [False, True])
def test_s32_overflow(sat):
    # Row 0 of A and column 0 of B all 127 (every lane 0..3 byte of A regs 0, 2 and of B regs
    # 0, 1): 32 * 127 * 127 = 516128; C(0,0) = 2^31 - 10 -> overflow. Wraps without
    # .satfinite, clamps to 0x7FFFFFFF with it.
    a = np.zeros((1, 32, 4), np.uint32)
    b = np.zeros((1, 32, 2), np.uint32)
    c = np.zeros((1, 32, 4), np.uint32)
    a[0, 0:4, 0] = a[0, 0:4, 2] = 0x7F7F7F7F
    b[0, 0:4, 0] = b[0, 0:4, 1] = 0x7F7F7F7F
    c[0, 0, 0] = 2**31 - 10
    mods = ("m16n8k32", "row", "col", *(("satfinite",) if sat else ()), "s32", "s8", "s8", "s32")
    d = mma_factory(ins(*mods))(a, b, c)
    want = 0x7FFFFFFF if sat else (2**31 - 10 + 516128) & 0xFFFFFFFF
    assert d[0, 0, 0] == want


@pytest.mark.parametrize(
    "mods",
    [
        ("m16n8k16", "row", "row", "f32", "f16", "f16", "f32"),  # layout
        ("m16n8k16", "row", "col", "f16", "bf16", "bf16", "f32"),  # bf16 needs f32 D
        ("m16n8k4", "row", "col", "f32", "f16", "f16", "f32"),  # no f16 k4
        ("m16n8k16", "row", "col", "satfinite", "f32", "f16", "f16", "f32"),
        ("m16n8k32", "row", "col", "s32", "s8", "f16", "s32"),
        ("m8n8k4", "row", "col", "f32", "f16", "f16", "f32"),  # Volta shape
    ],
)
def test_refused(mods):
    with pytest.raises(NotSupported):
        mma_factory(ins(*mods))


def test_ldmatrix_feeds_mma():
    # The sm_80 GEMM idiom: A (16 x 16, row-major) through ldmatrix.x4 with lane l giving the
    # address of row l % 16, column 8 * (l // 16); B (16 x 8, row-major [k][n]) through
    # ldmatrix.x2.trans with lane l giving row k = l % 16. Small integers are exact in f16.
    from kernbench.emulator.ops.mma import ldmatrix_factory

    rng = np.random.default_rng(3)
    a = rng.integers(-8, 9, (16, 16)).astype(np.float16)
    b = rng.integers(-8, 9, (16, 8)).astype(np.float16)
    a_rows = np.stack([a[lane % 16, 8 * (lane // 16) : 8 * (lane // 16) + 8] for lane in range(32)])
    b_rows = np.stack([b[lane % 16] for lane in range(16)])
    n_a, lda = ldmatrix_factory(Instruction("ldmatrix", ("sync", "aligned", "m8n8", "x4",
                                                          "shared", "b16")))  # fmt: skip
    n_b, ldb = ldmatrix_factory(Instruction("ldmatrix", ("sync", "aligned", "m8n8", "x2",
                                                          "trans", "shared", "b16")))  # fmt: skip
    ra = lda(a_rows.view(np.uint8).reshape(1, n_a, 16))
    rb = ldb(b_rows.view(np.uint8).reshape(1, n_b, 16))
    f = mma_factory(ins("m16n8k16", "row", "col", "f32", "f16", "f16", "f32"))
    d = f(ra, rb, np.zeros((1, 32, 4), np.uint32)).view(np.float32)
    want = a.astype(np.float64) @ b.astype(np.float64)
    for i in range(16):
        for j in range(8):
            lane, reg, _ = c32_16x8(i, j)
            assert d[0, lane, reg] == want[i, j]
