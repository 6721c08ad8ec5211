"""ldmatrix / stmatrix fragment layouts, element by element against the PTX ISA's figure.

The ISA's figure for ``ldmatrix .m8n8 .b16``: row r of each 8x8 matrix (8 b16 elements,
16 bytes at the address lane ``8 * matrix + r`` gave) is spread over threads 4r..4r+3,
thread 4r + p holding elements 2p and 2p+1 (the lower one in the low half). Matrix m lands
in destination register m. ``.trans`` delivers the transposed matrix the same way: thread
4r + p holds elements (2p, r) and (2p+1, r) of the matrix as stored.
"""

from __future__ import annotations

import numpy as np
import pytest

from kernbench.emulator.ops.mma import ldmatrix_factory, stmatrix_factory
from kernbench.emulator.ops.table import NotSupported
from kernbench.emulator.ptx.ir import Instruction


def ins(op: str, *mods: str) -> Instruction:
    return Instruction(op, ("sync", "aligned", "m8n8", *mods))


def rows_with_ids(n_rows: int, w: int = 2) -> np.ndarray:
    """Row ``r`` element ``c`` holds the b16 value 0x100 * w + 8 * r + c (little-endian)."""
    vals = np.zeros((w, n_rows, 8), np.uint16)
    for wi in range(w):
        for r in range(n_rows):
            for c in range(8):
                vals[wi, r, c] = 0x100 * wi + 8 * r + c
    return vals.view(np.uint8).reshape(w, n_rows, 16)


@pytest.mark.parametrize("space", ["shared", "shared::cta"])
@pytest.mark.parametrize("num", [1, 2, 4])
def test_ldmatrix(num, space):
    n_rows, f = ldmatrix_factory(ins("ldmatrix", f"x{num}", space, "b16"))
    assert n_rows == 8 * num
    got = f(rows_with_ids(n_rows))
    assert got.shape == (2, 32, num) and got.dtype == np.uint32
    for wi in range(2):
        for m in range(num):
            for r in range(8):  # row r of matrix m: threads 4r..4r+3
                for p in range(4):
                    lo = 0x100 * wi + 8 * (8 * m + r) + 2 * p
                    assert got[wi, 4 * r + p, m] == lo | ((lo + 1) << 16)


@pytest.mark.parametrize("num", [1, 2, 4])
def test_ldmatrix_trans(num):
    n_rows, f = ldmatrix_factory(ins("ldmatrix", f"x{num}", "trans", "shared", "b16"))
    got = f(rows_with_ids(n_rows))
    for wi in range(2):
        for m in range(num):
            for r in range(8):
                for p in range(4):
                    # stored (row 2p, col r) and (row 2p+1, col r) of matrix m
                    lo = 0x100 * wi + 8 * (8 * m + 2 * p) + r
                    hi = 0x100 * wi + 8 * (8 * m + 2 * p + 1) + r
                    assert got[wi, 4 * r + p, m] == lo | (hi << 16)


@pytest.mark.parametrize("trans", [False, True])
@pytest.mark.parametrize("num", [1, 2, 4])
def test_stmatrix_round_trip(num, trans):
    t = ("trans",) if trans else ()
    _, ld = ldmatrix_factory(ins("ldmatrix", f"x{num}", *t, "shared", "b16"))
    n_rows, st = stmatrix_factory(ins("stmatrix", f"x{num}", *t, "shared", "b16"))
    assert n_rows == 8 * num
    rows = rows_with_ids(n_rows)
    np.testing.assert_array_equal(st(ld(rows)), rows)


def test_stmatrix_layout():
    # .x4: lane l register m = (m << 24) | (l << 16) | 0x0000 (lo) -> hi half (m,l), lo 0.
    # Lane 4r + p's register m goes to row 8m + r, elements 2p (low half) and 2p+1 (high).
    regs = np.zeros((1, 32, 4), np.uint32)
    for lane in range(32):
        for m in range(4):
            regs[0, lane, m] = ((0x80 | (m << 5) | lane) << 16) | (m << 5) | lane
    _, st = stmatrix_factory(ins("stmatrix", "x4", "shared", "b16"))
    rows = st(regs).view(np.uint16)[0]  # (32, 8) b16 elements
    for m in range(4):
        for r in range(8):
            for p in range(4):
                lane = 4 * r + p
                assert rows[8 * m + r, 2 * p] == (m << 5) | lane
                assert rows[8 * m + r, 2 * p + 1] == 0x80 | (m << 5) | lane
    # .trans: lane 4r + p's register m goes to column r, rows 2p (low) and 2p+1 (high).
    _, st_t = stmatrix_factory(ins("stmatrix", "x4", "trans", "shared", "b16"))
    rows = st_t(regs).view(np.uint16)[0]
    for m in range(4):
        for r in range(8):
            for p in range(4):
                lane = 4 * r + p
                assert rows[8 * m + 2 * p, r] == (m << 5) | lane
                assert rows[8 * m + 2 * p + 1, r] == 0x80 | (m << 5) | lane


@pytest.mark.parametrize(
    "mods", [("x3", "shared", "b16"), ("x4", "shared", "b8"), ("x1", "global", "b16")]
)
def test_refused(mods):
    with pytest.raises(NotSupported):
        ldmatrix_factory(ins("ldmatrix", *mods))


def test_movmatrix():
    # Lane l holds M[l // 4][2 (l % 4)] (low) and M[l // 4][2 (l % 4) + 1] (high), with
    # M[i][j] = 8 i + j. The result holds M^T the same way: lane 4r + p gets
    # M^T[r][2p] = M[2p][r] = 16 p + r (low) and M[2p + 1][r] = 16 p + 8 + r (high).
    from kernbench.emulator.ops.mma import movmatrix_factory

    a = np.zeros((1, 32), np.uint32)
    for lane in range(32):
        i, j = lane // 4, 2 * (lane % 4)
        a[0, lane] = (8 * i + j) | ((8 * i + j + 1) << 16)
    f = movmatrix_factory(Instruction("movmatrix", ("sync", "aligned", "m8n8", "trans", "b16")))
    d = f(a)
    for r in range(8):
        for p in range(4):
            assert d[0, 4 * r + p] == (16 * p + r) | ((16 * p + 8 + r) << 16)
    np.testing.assert_array_equal(f(d), a)  # transposing twice is the identity
    with pytest.raises(NotSupported):
        movmatrix_factory(Instruction("movmatrix", ("sync", "aligned", "m8n8", "b16")))
