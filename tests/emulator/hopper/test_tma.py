"""TMA tile-mode boxes: global addresses, bounds and swizzled shared placement, derived from
cuda.h's description of boxDim / elementStrides and the 16-byte-chunk swizzle patterns."""

from __future__ import annotations

import numpy as np
import pytest

from kernbench.emulator.hopper.canonical import wgmma_operand_offsets
from kernbench.emulator.hopper.descriptor import encode as desc
from kernbench.emulator.hopper.tensormap import decode, encode_tiled
from kernbench.emulator.hopper.tma import (
    TmaUnsupported,
    box_addresses,
    box_bytes,
    fill_bits,
)

F32, BF16, U8 = 7, 9, 0


def fmap(**kw):
    return decode(encode_tiled(**kw))


def test_2d_box_with_edge():
    # f32 10 x 5 matrix, row pitch 48 bytes, box 4 x 2 at (8, 4): rows y = 4, 5, x = 8..11.
    # Only (8, 4) and (9, 4) are inside (x < 10, y < 5). Shared order: x fastest, 4 bytes each.
    f = fmap(dtype=F32, rank=2, global_address=4096, global_dim=(10, 5), global_strides=(48,),
             box_dim=(4, 2), element_strides=(1, 1))  # fmt: skip
    g, inb, s = box_addresses(f, (8, 4))
    want_g = [4096 + x * 4 + y * 48 for y in (4, 5) for x in (8, 9, 10, 11)]
    np.testing.assert_array_equal(g, want_g)
    np.testing.assert_array_equal(inb, [1, 1, 0, 0, 0, 0, 0, 0])
    np.testing.assert_array_equal(s, np.arange(8) * 4)
    assert box_bytes(f) == 32
    # negative start: x = -2, -1 are outside
    _, inb, _ = box_addresses(f, (-2, 0))
    np.testing.assert_array_equal(inb, [0, 0, 1, 1, 0, 0, 1, 1])


def test_element_strides():
    # box 4 x 4 with elementStrides (1, 2): dimension 1 visits ceil(4 / 2) = 2 rows, y = c, c+2
    # (dimension 0's element stride is ignored without interleave).
    f = fmap(dtype=F32, rank=2, global_address=0, global_dim=(16, 16), global_strides=(64,),
             box_dim=(4, 4), element_strides=(1, 2))  # fmt: skip
    g, inb, s = box_addresses(f, (0, 3))
    want = [x * 4 + y * 64 for y in (3, 5) for x in range(4)]
    np.testing.assert_array_equal(g, want)
    assert inb.all() and box_bytes(f) == 32
    np.testing.assert_array_equal(s, np.arange(8) * 4)


def test_3d_order():
    # u8 tensor 16 x 3 x 2 (strides 16, 48), box 16 x 1 x 2 at (0, 2, 0): shared order is x
    # fastest, then y, then z: element e = z * 16 + x, global x + 2 * 16 + z * 48.
    f = fmap(dtype=U8, rank=3, global_address=0, global_dim=(16, 3, 2), global_strides=(16, 48),
             box_dim=(16, 1, 2), element_strides=(1, 1, 1))  # fmt: skip
    g, inb, _ = box_addresses(f, (0, 2, 0))
    np.testing.assert_array_equal(g, [x + 32 + z * 48 for z in range(2) for x in range(16)])
    assert inb.all()


def test_swizzle_128b_box():
    # bf16 box 64 x 8 (128-byte rows), 128B swizzle, destination 1024: element (x, y) lands at
    # 1024 + 128 y + 16 * ((2x // 16) ^ (y % 8)) + (2x % 16).
    f = fmap(dtype=BF16, rank=2, global_address=0, global_dim=(64, 8), global_strides=(128,),
             box_dim=(64, 8), element_strides=(1, 1), swizzle=3)  # fmt: skip
    _, _, s = box_addresses(f, (0, 0), smem_base=1024)
    for y in range(8):
        for x in range(64):
            want = 1024 + 128 * y + 16 * (((2 * x) // 16) ^ (y % 8)) + (2 * x) % 16
            assert s[64 * y + x] == want


@pytest.mark.parametrize("swz,span", [(1, 32), (2, 64), (3, 128)])
def test_tma_then_wgmma_k_major(swz, span):
    # A 64 x (span / 2) bf16 tile loaded by TMA with a span-byte swizzle is read back by a
    # K-major wgmma descriptor of the same swizzle: start = base + 32 s for k16 slice s,
    # SBO = 8 rows * span bytes. Every (m, k) must be where TMA put A(m, 16 s + k).
    kdim = span // 2
    f = fmap(dtype=BF16, rank=2, global_address=0, global_dim=(kdim, 64),
             global_strides=(2 * kdim,), box_dim=(kdim, 64),
             element_strides=(1, 1), swizzle=swz)  # fmt: skip
    base = 4096
    _, _, s = box_addresses(f, (0, 0), smem_base=base)
    placed = s.reshape(64, kdim)  # [m, k]
    for step in range(kdim // 16):
        d = desc(base + 32 * step, 16, 8 * span, swizzle=span)
        off = wgmma_operand_offsets(d, major="K", rows=64, k=16, elem_bytes=2)
        np.testing.assert_array_equal(off, placed[:, 16 * step : 16 * step + 16])


def test_tma_then_wgmma_mn_major():
    # B stored N-major: TMA box inner = 64 n (128 bytes), outer = 16 k rows, 128B swizzle.
    # The MN-major SW128 descriptor with SBO = 1024 (next 8 k rows) reads B(n, k) where TMA
    # put row k, element n.
    f = fmap(dtype=BF16, rank=2, global_address=0, global_dim=(64, 16), global_strides=(128,),
             box_dim=(64, 16), element_strides=(1, 1), swizzle=3)  # fmt: skip
    base = 8192
    _, _, s = box_addresses(f, (0, 0), smem_base=base)
    placed = s.reshape(16, 64).T  # [n, k]
    off = wgmma_operand_offsets(desc(base, 2048, 1024, swizzle=128), major="MN", rows=64, k=16,
                                elem_bytes=2)  # fmt: skip
    np.testing.assert_array_equal(off, placed)


def test_fill_and_unsupported():
    f = fmap(dtype=F32, rank=2, global_address=0, global_dim=(4, 4), global_strides=(16,),
             box_dim=(4, 4), element_strides=(1, 1), oob_fill=1)  # fmt: skip
    assert fill_bits(f) == 0x7FFFFFFF
    f0 = fmap(dtype=F32, rank=2, global_address=0, global_dim=(4, 4), global_strides=(16,),
              box_dim=(4, 4), element_strides=(1, 1))  # fmt: skip
    assert fill_bits(f0) == 0
    with pytest.raises(ValueError):
        box_addresses(f0, (0,))
    f4 = fmap(dtype=F32, rank=2, global_address=0, global_dim=(32, 4), global_strides=(128,),
              box_dim=(32, 4), element_strides=(1, 1), swizzle=4)  # fmt: skip
    with pytest.raises(TmaUnsupported):
        box_addresses(f4, (0, 0))
