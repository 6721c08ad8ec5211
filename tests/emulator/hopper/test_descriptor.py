"""wgmma matrix descriptors, swizzles and canonical operand layouts, from the PTX ISA's
"Matrix Descriptor Format", "Shared Memory Matrix Layout" and cute's GmmaDescriptor."""

from __future__ import annotations

import numpy as np
import pytest

from kernbench.emulator.hopper.canonical import wgmma_operand_offsets
from kernbench.emulator.hopper.descriptor import Descriptor, decode, encode
from kernbench.emulator.hopper.swizzle import repeat_bytes, swizzle


def test_descriptor_bits():
    # start 1024 -> 1024 >> 4 = 0x40 in bits 0-13; LBO 16 -> 1 in bits 16-29; SBO 1024 -> 0x40
    # in bits 32-45; base offset 3 in bits 49-51 (0x0006 << 48); 128B swizzle = mode 1 at bit 62.
    raw = 0x4006_0040_0001_0040
    assert encode(1024, 16, 1024, swizzle=128, base_offset=3) == raw
    assert decode(raw) == Descriptor(start=1024, lbo=16, sbo=1024, base_offset=3, swizzle=128)
    # mode numbers: 0 none, 1 128B, 2 64B, 3 32B
    assert decode(2 << 62).swizzle == 64
    assert decode(3 << 62).swizzle == 32
    assert decode(0).swizzle == 0
    # the encode drops address bits past 17 and the low 4 (matrix-descriptor-encode)
    assert decode(encode(0x4_0000 + 0x1230, 0, 0)).start == 0x1230
    # unused bits (14-15, 30-31, 46-48, 52-61) are ignored
    junk = (0x3 << 14) | (0x3 << 30) | (0x7 << 46) | (0x3FF << 52)
    assert decode(raw | junk) == decode(raw)


def test_swizzle_128b_rows():
    # 128B: a 128-byte row r of the pattern keeps its 16-byte chunk c at chunk c ^ (r % 8);
    # bytes within a chunk stay put; the pattern repeats every 8 rows (1024 bytes).
    assert repeat_bytes(128) == 1024
    for r in range(16):
        for c in range(8):
            for byte in (0, 5, 15):
                a = 128 * r + 16 * c + byte
                assert swizzle(a, 128) == 128 * r + 16 * (c ^ (r % 8)) + byte


def test_swizzle_64b_32b():
    # 64B mode: chunk bits 4-5 XOR address bits 7-8. Rows of 64 bytes: row r starts at 64r,
    # so bits 7-8 are (r // 2) % 4 and chunk c (0..3) goes to c ^ ((r // 2) % 4).
    for r in range(16):
        for c in range(4):
            assert swizzle(64 * r + 16 * c, 64) == 64 * r + 16 * (c ^ ((r // 2) % 4))
    # 32B mode: chunk bit 4 XOR address bit 7. Rows of 32 bytes: bit 7 is (r // 4) % 2.
    for r in range(16):
        for c in range(2):
            assert swizzle(32 * r + 16 * c, 32) == 32 * r + 16 * (c ^ ((r // 4) % 2))
    assert swizzle(12345, 0) == 12345


def test_k_major_no_swizzle():
    # A 64x16 f16, K-major, no swizzle: core matrices of 8 rows x 16 bytes stored whole;
    # LBO = 128 (next core matrix along K), SBO = 256 (next 8 rows).
    # (m, k) -> (m % 8) * 16 + (m // 8) * 256 + (k // 8) * 128 + (k % 8) * 2.
    off = wgmma_operand_offsets(encode(4096, 128, 256), major="K", rows=64, k=16, elem_bytes=2)
    assert off.shape == (64, 16)
    assert off[0, 0] == 4096
    assert off[1, 0] == 4096 + 16
    assert off[0, 7] == 4096 + 14
    assert off[0, 8] == 4096 + 128
    assert off[8, 0] == 4096 + 256
    assert off[63, 15] == 4096 + 7 * 16 + 7 * 256 + 128 + 14
    assert len(np.unique(off)) == 64 * 16


def test_mn_major_no_swizzle():
    # B 16(n) x 16(k) f16, N-major, no swizzle: a core matrix is 8 k-rows of 8 n-elements;
    # (n, k) -> (n % 8) * 2 + (n // 8) * SBO + (k % 8) * 16 + (k // 8) * LBO.
    off = wgmma_operand_offsets(encode(0, 512, 128), major="MN", rows=16, k=16, elem_bytes=2)
    assert off[3, 0] == 6
    assert off[8, 0] == 128
    assert off[0, 1] == 16
    assert off[0, 8] == 512
    assert off[9, 9] == 2 + 128 + 16 + 512


def tma_box_128b(base: int, row: int, col_byte: int) -> int:
    """Where TMA puts byte ``col_byte`` of box row ``row`` for a box whose inner dimension is
    128 bytes and 128B swizzle (rows of 128 bytes, then the address-keyed swizzle)."""
    return int(swizzle(base + 128 * row + col_byte, 128))


@pytest.mark.parametrize("s", [0, 1, 2, 3])
def test_k_major_sw128_matches_tma(s):
    # A 64 x 64 bf16 tile loaded by TMA (inner box = 64 elements = 128 bytes, 128B swizzle) at
    # a 1024-aligned base. The k16 slice s is read with start = base + 32 s, SBO = 1024 (8 rows
    # of 128 bytes), LBO unused. wgmma element (m, k) must be TMA's (m, 16 s + k).
    base = 2048
    off = wgmma_operand_offsets(
        encode(base + 32 * s, 16, 1024, swizzle=128), major="K", rows=64, k=16, elem_bytes=2
    )
    for m in range(64):
        for k in range(16):
            assert off[m, k] == tma_box_128b(base, m, 2 * (16 * s + k))


def test_mn_major_sw128_matches_tma():
    # B stored N-major by TMA: box inner dimension = 64 n (128 bytes), outer = k rows.
    # A 128(n) x 16(k) B tile is two such boxes along N, the second LBO = 16 * 128 bytes
    # later; SBO = 1024 (next 8 k rows). Element (n, k) is TMA's row k, byte 2 (n % 64) of
    # box n // 64.
    base = 8192
    lbo = 16 * 128
    off = wgmma_operand_offsets(
        encode(base, lbo, 1024, swizzle=128), major="MN", rows=128, k=16, elem_bytes=2
    )
    for n in range(128):
        for k in range(16):
            assert off[n, k] == tma_box_128b(base + lbo * (n // 64), k, 2 * (n % 64))


@pytest.mark.parametrize("span,w", [(32, 2), (64, 4)])
def test_k_major_sw32_sw64(span, w):
    # K-major 32B/64B: rows of 16W bytes, 8 rows per core-matrix group (SBO = 8 * 16W);
    # element (m, k) of f16 at row m, byte 2k, then swizzled by address.
    base = 4096
    sbo = 8 * 16 * w
    off = wgmma_operand_offsets(
        encode(base, 16, sbo, swizzle=span), major="K", rows=64, k=16, elem_bytes=2
    )
    for m in range(64):
        for k in range(16):
            assert off[m, k] == swizzle(base + 16 * w * m + 2 * k, span)


def test_base_offset():
    # A 128B pattern that starts 3 rows past a 1024 boundary (P = 1024 + 384): base offset
    # (P >> 7) & 7 = 3. Row r, chunk c of that pattern sits at P + 128 r + 16 (c ^ (r % 8)).
    p = 1024 + 384
    off = wgmma_operand_offsets(
        encode(p, 16, 1024, swizzle=128, base_offset=3), major="K", rows=8, k=64, elem_bytes=2
    )
    for r in range(8):
        for c in range(8):
            assert off[r, 8 * c] == p + 128 * r + 16 * (c ^ r)


def test_other_element_sizes():
    # tf32 (4 bytes, T = 4 per 16-byte unit), K-major, no swizzle, LBO 128, SBO 256:
    # (m, k) -> (m % 8) * 16 + (m // 8) * 256 + (k // 4) * 128 + (k % 4) * 4.
    off = wgmma_operand_offsets(encode(0, 128, 256), major="K", rows=64, k=8, elem_bytes=4)
    assert off[9, 5] == 16 + 256 + 128 + 4
    # fp8 (1 byte, T = 16), K-major 128B swizzle, SBO 1024: row m at 128 m, k at byte k,
    # then chunk (k // 16) ^ (m % 8).
    off = wgmma_operand_offsets(encode(0, 16, 1024, swizzle=128), major="K", rows=64, k=32,
                                elem_bytes=1)  # fmt: skip
    assert off[3, 17] == 3 * 128 + 16 * (1 ^ 3) + 1
    assert off[12, 31] == 1024 + 4 * 128 + 16 * (1 ^ 4) + 15


def test_mn_major_sw64_point():
    # f16 MN-major 64B: T = 8, W = 4, so 32 n per 64-byte row; (n, k) at
    # (n % 32) * 2 + (n // 32) * LBO + (k % 8) * 64 + (k // 8) * SBO, then 64B swizzle.
    # n = 37, k = 10, LBO = 1024, SBO = 512: 10 + 1024 + 128 + 512 = 1674 = 0b110_1000_1010;
    # bits 7-8 = 1 ^ into chunk bits 4-5 (chunk 0) -> chunk 1: 1674 + 16 = 1690.
    off = wgmma_operand_offsets(encode(0, 1024, 512, swizzle=64), major="MN", rows=64, k=16,
                                elem_bytes=2)  # fmt: skip
    assert off[37, 10] == 1690


@pytest.mark.parametrize("span", [0, 32, 64, 128])
@pytest.mark.parametrize("major", ["K", "MN"])
def test_offsets_are_distinct(span, major):
    # Densely packed canonical tiles never map two elements to one byte.
    w = max(1, span // 16)
    if major == "K":
        lbo, sbo = (1024, 128) if span == 0 else (16, 8 * 16 * w)
    else:
        lbo, sbo = (128, 256) if span == 0 else (2 * 8 * 16 * w, 8 * 16 * w)
    off = wgmma_operand_offsets(encode(8192, lbo, sbo, swizzle=span), major=major, rows=64,
                                k=16, elem_bytes=2)  # fmt: skip
    assert len(np.unique(off)) == off.size
    assert np.all(off % 2 == 0)
