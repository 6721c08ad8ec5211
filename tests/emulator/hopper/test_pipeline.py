"""TMA -> shared memory -> wgmma descriptors -> accumulators, end to end on small integers
(exact in bf16 and f32), as a GEMM kernel would chain them: A 64 x 64 and B 32 x 64 (both
K-major, 128B swizzle), four k16 steps accumulating, D(i, j) checked through the hand
locator of the ISA's accumulator figure."""

from __future__ import annotations

import numpy as np

from kernbench.emulator.hopper.descriptor import encode
from kernbench.emulator.hopper.tensormap import decode, encode_tiled
from kernbench.emulator.hopper.tma import box_addresses
from kernbench.emulator.hopper.wgmma import decode as wdecode
from kernbench.emulator.hopper.wgmma import operand_offsets, values_from_bytes, wgmma_factory
from kernbench.emulator.ptx.ir import Imm, Instruction, Reg, Vec

BF16 = 9


def bf16_bits(x: np.ndarray) -> np.ndarray:
    """Small integers are exact in bf16: take the top half of the f32 bits."""
    return (x.astype(np.float32).view(np.uint32) >> 16).astype(np.uint16)


def tma_load(smem: np.ndarray, gmem: np.ndarray, gaddr: int, rows: int, cols: int, dst: int):
    """TMA-load a rows x cols bf16 matrix (row-major at gaddr, bytes in gmem) into smem at
    dst as one box of cols (<= 64) x rows with the 128B swizzle."""
    f = decode(encode_tiled(dtype=BF16, rank=2, global_address=gaddr, global_dim=(cols, rows),
                            global_strides=(2 * cols,), box_dim=(cols, rows),
                            element_strides=(1, 1), swizzle=3))  # fmt: skip
    g, inb, s = box_addresses(f, (0, 0), smem_base=dst)
    assert inb.all()
    for lo in (0, 1):
        smem[s + lo] = gmem[g - gaddr + lo]


def test_gemm_64x32x64():
    rng = np.random.default_rng(7)
    a = rng.integers(-4, 5, (64, 64)).astype(np.float64)  # [m, k]
    b = rng.integers(-4, 5, (32, 64)).astype(np.float64)  # [n, k]
    ga = bf16_bits(a).view(np.uint8).reshape(-1)
    gb = bf16_bits(b).view(np.uint8).reshape(-1)
    smem = np.zeros(32768, np.uint8)
    tma_load(smem, ga, 0x1000, 64, 64, 8192)
    tma_load(smem, gb, 0x9000, 32, 64, 16384)
    ops = (Vec(()), Reg("%rd1"), Reg("%rd2"), Reg("%p"), Imm(1), Imm(1), Imm(0), Imm(0))
    ins = Instruction("wgmma", ("mma_async", "sync", "aligned", "m64n32k16", "f32", "bf16",
                                "bf16"), ops)  # fmt: skip
    spec = wdecode(ins)
    run = wgmma_factory(ins)
    d = np.zeros((1, 128, 16), np.uint32)
    for step in range(4):  # k16 slice `step` starts 32 bytes further into each 128-byte row
        da = encode(8192 + 32 * step, 16, 1024, swizzle=128)
        db = encode(16384 + 32 * step, 16, 1024, swizzle=128)
        oa, ob = operand_offsets(spec, da, "a"), operand_offsets(spec, db, "b")
        av = values_from_bytes(np.stack([smem[oa], smem[oa + 1]], -1), "bf16")[None]
        bv = values_from_bytes(np.stack([smem[ob], smem[ob + 1]], -1), "bf16")[None]
        d = run(av, bv, d, np.array([step > 0]))
    want = a @ b.T
    got = d.view(np.float32)
    for i in range(64):
        for j in range(32):
            t = 32 * (i // 16) + 4 * (i % 8) + (j % 8) // 2
            r = 4 * (j // 8) + 2 * ((i % 16) // 8) + j % 2
            assert got[0, t, r] == want[i, j]
