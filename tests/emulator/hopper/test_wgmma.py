"""wgmma register layouts and arithmetic.

Hand derivation of the accumulator layout from the PTX ISA's figure for wgmma D
(m64nNk16): warp w of the warpgroup owns rows 16w..16w+15, laid out per 8 columns like the
sm_80 m16n8 C fragment. So D(i, j) is held by thread 32 (i // 16) + 4 (i % 8) + (j % 8) // 2,
32-bit register 4 (j // 8) + 2 ((i % 16) // 8) + j % 2; with f16 accumulators, register
2 (j // 8) + (i % 16) // 8, half j % 2.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from kernbench.emulator.hopper.wgmma import (
    a_from_registers,
    accumulator_layout,
    decode,
    values,
    values_from_bytes,
    wgmma_factory,
)
from kernbench.emulator.ops.table import NotSupported
from kernbench.emulator.ptx.ir import Imm, Instruction, Reg, Vec


def d_loc32(i: int, j: int) -> tuple[int, int]:
    return 32 * (i // 16) + 4 * (i % 8) + (j % 8) // 2, 4 * (j // 8) + 2 * ((i % 16) // 8) + j % 2


def d_loc16(i: int, j: int) -> tuple[int, int, int]:
    t = 32 * (i // 16) + 4 * (i % 8) + (j % 8) // 2
    return t, 2 * (j // 8) + (i % 16) // 8, j % 2


def ins(n: int, d: str = "f32", ab: str = "bf16", k: int = 16, tail=(1, 1, 0, 0), a_regs=False):
    a = Vec((Reg("%r1"),) * 4) if a_regs else Reg("%rd1")
    ops = (Vec(()), a, Reg("%rd2"), Reg("%p"), *(Imm(v) for v in tail))
    return Instruction("wgmma", ("mma_async", "sync", "aligned", f"m64n{n}k{k}", d, ab, ab), ops)


@pytest.mark.parametrize("n", [8, 24, 256])
def test_accumulator_layout(n):
    row, col = accumulator_layout(n)
    assert row.shape == (128, n // 2)
    for i, j in itertools.product(range(64), range(n)):
        t, r = d_loc32(i, j)
        assert (row[t, r], col[t, r]) == (i, j)
    row16, col16 = accumulator_layout(n, packed_f16=True)
    for i, j in itertools.product(range(64), range(n)):
        t, r, h = d_loc16(i, j)
        assert (row16[t, r, h], col16[t, r, h]) == (i, j)


def test_one_hot_f32():
    # G = 64 * 16 groups, one per (i, k) with j = (i + k) % 16 for N = 16: A(i, k) = 2,
    # B(j, k) = 3; with scale-d false the old D (all 1.0) is ignored: D = 6 at (i, j) only.
    n = 16
    cases = list(itertools.product(range(64), range(16)))
    g = len(cases)
    a = np.zeros((g, 64, 16))
    b = np.zeros((g, n, 16))
    want = np.zeros((g, 128, n // 2), np.uint32)
    for idx, (i, k) in enumerate(cases):
        j = (i + k) % n
        a[idx, i, k] = 2.0
        b[idx, j, k] = 3.0
        t, r = d_loc32(i, j)
        want[idx, t, r] = 0x40C00000  # 6.0f
    d = np.full((g, 128, n // 2), 0x3F800000, np.uint32)
    got = wgmma_factory(ins(n))(a, b, d, np.zeros(g, bool))
    np.testing.assert_array_equal(got, want)


def test_scale_d_and_scale_ab():
    # scale-d true adds the old D; imm-scale-a = -1 negates A: D = -(2 * 3) + 1 = -5 at (0, 0),
    # 1 elsewhere. -5.0f = 0xC0A00000.
    a = np.zeros((1, 64, 16))
    b = np.zeros((1, 8, 16))
    a[0, 0, 0], b[0, 0, 0] = 2.0, 3.0
    d = np.full((1, 128, 4), 0x3F800000, np.uint32)
    got = wgmma_factory(ins(8, tail=(-1, 1, 0, 0)))(a, b, d, np.ones(1, bool))
    want = np.full((1, 128, 4), 0x3F800000, np.uint32)
    want[0, 0, 0] = 0xC0A00000
    np.testing.assert_array_equal(got, want)


def test_f16_accumulator():
    # f16 D, N = 16: 4 registers of f16x2. A(17, 3) = 2, B(13, 3) = 3 -> D(17, 13) = 6
    # (0x4600), old D ignored. D(17, 13): thread 32 + 4 + 2 = 38, reg 2 + 0 = 2, high half.
    a = np.zeros((1, 64, 16))
    b = np.zeros((1, 16, 16))
    a[0, 17, 3], b[0, 13, 3] = 2.0, 3.0
    d = np.full((1, 128, 4), 0x3C003C00, np.uint32)
    got = wgmma_factory(ins(16, d="f16", ab="f16"))(a, b, d, np.zeros(1, bool))
    want = np.zeros((1, 128, 4), np.uint32)
    want[0, 38, 2] = 0x4600 << 16
    np.testing.assert_array_equal(got, want)
    assert d_loc16(17, 13) == (38, 2, 1)


def test_s8_satfinite():
    # s8 k32: A row 0 and B row 0 all 127, old D(0, 0) = 2^31 - 10: 32 * 127^2 overflows s32.
    a = np.zeros((1, 64, 32))
    b = np.zeros((1, 8, 32))
    a[0, 0, :] = 127
    b[0, 0, :] = 127
    d = np.zeros((1, 128, 4), np.uint32)
    d[0, 0, 0] = 2**31 - 10
    mods = ("mma_async", "sync", "aligned", "m64n8k32", "satfinite", "s32", "s8", "s8")
    i = Instruction("wgmma", mods, (Vec(()), Reg("%rd1"), Reg("%rd2"), Reg("%p")))
    got = wgmma_factory(i)(a, b, d, np.ones(1, bool))
    assert got[0, 0, 0] == 0x7FFFFFFF


def test_register_a_layout():
    # Register A (f16): warp w holds rows 16w.. as the m16n8k16 A fragment: A(i, k) is thread
    # 32 (i // 16) + 4 (i % 8) + (k % 8) // 2, register (i % 16) // 8 + 2 (k // 8), half k % 2.
    for i, k in [(0, 0), (9, 1), (20, 14), (63, 15)]:
        regs = np.zeros((1, 128, 4), np.uint32)
        t = 32 * (i // 16) + 4 * (i % 8) + (k % 8) // 2
        r = (i % 16) // 8 + 2 * (k // 8)
        regs[0, t, r] = 0x3C00 << (16 * (k % 2))  # 1.0 in f16
        a = a_from_registers(regs, "f16")
        want = np.zeros((1, 64, 16))
        want[0, i, k] = 1.0
        np.testing.assert_array_equal(a, want)
    # tf32 (m16n8k8 A fragment): A(i, k) is thread 32 (i // 16) + 4 (i % 8) + k % 4,
    # register (i % 16) // 8 + 2 (k // 4)
    regs = np.zeros((1, 128, 4), np.uint32)
    regs[0, 32 * 2 + 4 * 3 + 1, 1 + 2 * 1] = 0x3F800000
    a = a_from_registers(regs, "tf32")
    assert a.shape == (1, 64, 8) and a[0, 32 + 8 + 3, 5] == 1.0 and a.sum() == 1.0


def test_values():
    assert values(np.array([0x3C00]), "f16")[0] == 1.0
    assert values(np.array([0x3F80]), "bf16")[0] == 1.0
    assert values(np.array([0xC040]), "bf16")[0] == -3.0
    assert values(np.array([0x3F801FFF]), "tf32")[0] == 1.0  # low 13 bits dropped
    # e4m3: 0x7E = 0 1111 110 = 1.75 * 2^8 = 448 (the largest); 0x7F is NaN; 0x01 = 2^-9
    assert values(np.array([0x7E]), "e4m3")[0] == 448.0
    assert np.isnan(values(np.array([0x7F]), "e4m3")[0])
    assert values(np.array([0x01]), "e4m3")[0] == 2.0**-9
    # e5m2: 0x7B = 0 11110 11 = 1.75 * 2^15 = 57344; 0x7C = inf; 0x01 = 2^-16
    assert values(np.array([0x7B]), "e5m2")[0] == 57344.0
    assert values(np.array([0x7C]), "e5m2")[0] == np.inf
    assert values(np.array([0x01]), "e5m2")[0] == 2.0**-16
    # little-endian bytes: 0x00 0x3C is f16 1.0
    assert values_from_bytes(np.array([[0x00, 0x3C]], np.uint8), "f16")[0] == 1.0


def test_decode_operands():
    s = decode(ins(128, tail=(1, -1, 1, 0)))
    assert (s.n, s.k, s.scale_a, s.scale_b, s.trans_a, s.trans_b) == (128, 16, 1, -1, 1, 0)
    assert s.n_d == 64 and not s.a_in_registers
    s = decode(ins(64, tail=(1, 1, 1), a_regs=True))
    assert s.a_in_registers and s.trans_b == 1
    s = decode(ins(64, d="f16", ab="f16", tail=(1, 1, 0, 0)))
    assert s.n_d == 16
    s = decode(ins(64, ab="tf32", k=8, tail=(1, 1)))
    assert (s.k, s.trans_a, s.trans_b) == (8, 0, 0)


@pytest.mark.parametrize(
    "bad",
    [
        ins(12),  # N not a multiple of 8
        ins(264),  # N > 256
        ins(64, k=8),  # bf16 needs k16
        ins(64, d="f16"),  # bf16 needs f32 D
        ins(64, ab="tf32", k=8),  # tf32 takes no transpose immediates
        ins(64, tail=(2, 1, 0, 0)),  # scale must be +-1
        ins(64, tail=(1, 1, 0, 0), a_regs=True),  # register A takes only imm-trans-b
    ],
)
def test_refused(bad):
    with pytest.raises(NotSupported):
        decode(bad)


def test_operand_offsets_follow_transpose():
    # imm-trans-a = 1 reads A M-major; imm-trans-b = 0 reads B K-major (cute: Major::MN = 1).
    from kernbench.emulator.hopper.canonical import wgmma_operand_offsets
    from kernbench.emulator.hopper.descriptor import encode
    from kernbench.emulator.hopper.wgmma import operand_offsets

    spec = decode(ins(32, tail=(1, 1, 1, 0)))
    d = encode(1024, 128, 256)
    np.testing.assert_array_equal(
        operand_offsets(spec, d, "a"),
        wgmma_operand_offsets(d, major="MN", rows=64, k=16, elem_bytes=2),
    )
    np.testing.assert_array_equal(
        operand_offsets(spec, d, "b"),
        wgmma_operand_offsets(d, major="K", rows=32, k=16, elem_bytes=2),
    )
