"""Tensor maps: cuTensorMapEncodeTiled's documented checks (cuda.h), our 128-byte format,
and tensormap.replace (PTX ISA table of new_val meanings)."""

from __future__ import annotations

import struct
from dataclasses import replace as dc_replace

import pytest

from kernbench.emulator.hopper.tensormap import (
    CUDA_ERROR_INVALID_VALUE,
    TensorMapError,
    decode,
    encode_tiled,
    replace,
    validate,
)

# CUtensorMapDataType values from cuda.h
U8, U16, F32, F64, BF16, F32_FTZ = 0, 1, 7, 8, 9, 10
SW_NONE, SW_32, SW_64, SW_128 = 0, 1, 2, 3


def good(**over):
    """A 200 x 136 bf16 matrix (row pitch 400 bytes), 64 x 64 boxes, 128B swizzle."""
    args = dict(
        dtype=BF16, rank=2, global_address=0x10000, global_dim=(200, 136),
        global_strides=(400,), box_dim=(64, 64), element_strides=(1, 1), interleave=0,
        swizzle=SW_128, l2_promotion=2, oob_fill=0,
    )  # fmt: skip
    args.update(over)
    return args


def test_encode_layout():
    raw = encode_tiled(**good())
    assert len(raw) == 128
    # offsets from the format table in tensormap.py
    assert struct.unpack_from("<Q", raw, 0)[0] == 0x10000
    assert raw[8] == 1  # rank - 1
    assert raw[9] == 10  # bf16 is 10 in the PTX elemtype numbering (driver enum: 9)
    assert raw[11] == 3 and raw[12] == 0  # 128B swizzle, 16B atomicity
    assert raw[14] == 2  # L2 promotion 128B
    assert struct.unpack_from("<2Q", raw, 16) == (200, 136)
    assert struct.unpack_from("<Q", raw, 56)[0] == 400
    assert struct.unpack_from("<2I", raw, 88) == (64, 64)
    assert struct.unpack_from("<2I", raw, 108) == (1, 1)
    f = decode(raw)
    assert (f.rank, f.global_dim, f.global_strides, f.box_dim) == (2, (200, 136), (400,), (64, 64))
    assert (f.elem_bytes, f.swizzle_span) == (2, 128)


def test_elemtype_numbering():
    # driver FLOAT64 = 8 -> PTX f64 = 9; FLOAT32_FTZ = 10 -> PTX f32.ftz = 8
    assert decode(encode_tiled(**good(dtype=F64, box_dim=(16, 64)))).elemtype == 9
    assert decode(encode_tiled(**good(dtype=F32_FTZ, box_dim=(32, 64)))).elemtype == 8


@pytest.mark.parametrize(
    "over,reason",
    [
        (dict(global_address=0x10008), "16-byte aligned"),
        (dict(rank=0), "tensorRank"),
        (dict(rank=6), "tensorRank"),
        (
            dict(
                rank=3,
                interleave=1,
                global_dim=(8, 8, 8),
                global_strides=(400, 4000),
                box_dim=(8, 8, 8),
                element_strides=(1, 1, 1),
                swizzle=SW_NONE,
            ),
            None,
        ),
        (dict(interleave=1), ">= 3 with interleave"),
        (
            dict(
                rank=3,
                interleave=2,
                global_address=0x10010,
                global_dim=(8, 8, 8),
                global_strides=(416, 4160),
                box_dim=(8, 8, 8),
                element_strides=(1, 1, 1),
                swizzle=SW_32,
            ),
            "32-byte aligned",
        ),
        (
            dict(
                rank=3,
                interleave=2,
                global_dim=(8, 8, 8),
                global_strides=(416, 4160),
                box_dim=(8, 8, 8),
                element_strides=(1, 1, 1),
                swizzle=SW_128,
            ),
            "SWIZZLE_32B",
        ),
        (dict(global_dim=(0, 136)), "globalDim[0]"),
        (dict(global_dim=(200, 2**32 + 1)), "globalDim[1]"),
        (dict(global_dim=(200, 2**32)), None),
        (dict(global_strides=(408,)), "multiple of 16"),
        (dict(global_strides=(2**40,)), "< 2^40"),
        (dict(box_dim=(64, 0)), "boxDim[1]"),
        (dict(box_dim=(64, 257)), "boxDim[1]"),
        (dict(box_dim=(4, 64), swizzle=SW_NONE), "multiple of 16"),
        (dict(element_strides=(1, 0)), "elementStrides[1]"),
        (dict(element_strides=(1, 9)), "elementStrides[1]"),
        (dict(element_strides=(1, 8)), None),
        (dict(box_dim=(32, 64), swizzle=SW_32), "exceeds the 32B"),
        (dict(box_dim=(32, 64), swizzle=SW_64), None),
        (dict(box_dim=(128, 64), swizzle=SW_128), "exceeds the 128B"),
        (dict(box_dim=(128, 64), swizzle=SW_NONE), None),
        (dict(dtype=U16, oob_fill=1), "floating-point"),
        (dict(oob_fill=1), None),
        (dict(oob_fill=2), "oobFill"),
        (dict(l2_promotion=4), "l2Promotion"),
        (dict(dtype=16), "CUtensorMapDataType"),
        (dict(swizzle=7), "CUtensorMapSwizzle"),
        (dict(box_dim=(64,)), "boxDim has 1 entries"),
        (dict(global_strides=()), "globalStrides has 0 entries"),
    ],
)
def test_encode_checks(over, reason):
    if reason is None:
        encode_tiled(**good(**over))
        return
    with pytest.raises(TensorMapError) as err:
        encode_tiled(**good(**over))
    assert err.value.code == CUDA_ERROR_INVALID_VALUE
    assert reason in str(err.value)
    assert str(err.value).startswith("CUDA_ERROR_INVALID_VALUE")


def test_replace_builds_the_same_map():
    # What Triton emits on device: zero 128 bytes, then replace every field.
    raw = bytes(128)
    raw = replace(raw, "global_address", 0x10000)
    raw = replace(raw, "rank", 1)  # rank - 1
    raw = replace(raw, "box_dim", 64, 0)
    raw = replace(raw, "box_dim", 64, 1)
    raw = replace(raw, "global_dim", 200, 0)
    raw = replace(raw, "global_dim", 136, 1)
    raw = replace(raw, "global_stride", 400, 0)
    raw = replace(raw, "element_stride", 1, 0)
    raw = replace(raw, "element_stride", 1, 1)
    raw = replace(raw, "elemtype", 10)  # .bf16 in the ISA's table
    raw = replace(raw, "interleave_layout", 0)
    raw = replace(raw, "swizzle_mode", 3)  # 128B swizzling
    raw = replace(raw, "swizzle_atomicity", 0)
    raw = replace(raw, "fill_mode", 0)
    f = decode(raw)
    validate(f)
    assert f == dc_replace(decode(encode_tiled(**good())), l2_promotion=0)


def test_replace_checks():
    raw = encode_tiled(**good())
    with pytest.raises(ValueError):
        replace(raw, "swizzle_mode", 5)
    with pytest.raises(ValueError):
        replace(raw, "global_stride", 16, 4)  # only 4 strides (ordinals 0..3)
    with pytest.raises(ValueError):
        replace(raw, "rank", 5)
    with pytest.raises(ValueError):
        replace(raw, "l2_promotion", 1)
    # a replaced misaligned address fails the same checks as the encode
    with pytest.raises(TensorMapError):
        validate(decode(replace(raw, "global_address", 0x10004)))
    assert decode(replace(raw, "global_dim", 7, 1)).global_dim == (200, 7)


def _replace_ins(*mods, ops):
    from kernbench.emulator.ptx.ir import Instruction

    return Instruction("tensormap", ("replace", "tile", *mods), ops)


def test_decode_replace():
    from kernbench.emulator.hopper.tensormap import decode_replace
    from kernbench.emulator.ops.table import NotSupported
    from kernbench.emulator.ptx.ir import Addr, Imm, Reg

    addr = Addr(Reg("%rd6"))
    s = decode_replace(_replace_ins("global_dim", "global", "b1024", "b32",
                                    ops=(addr, Imm(1), Reg("%r8"))))  # fmt: skip
    assert (s.field, s.space, s.ordinal, s.value_operand) == ("global_dim", "global", 1, 2)
    s = decode_replace(_replace_ins("global_address", "shared::cta", "b1024", "b64",
                                    ops=(addr, Reg("%rd1"))))  # fmt: skip
    assert (s.field, s.space, s.ordinal, s.value_operand) == ("global_address", "shared::cta",
                                                              None, 1)  # fmt: skip
    s = decode_replace(_replace_ins("swizzle_mode", "b1024", "b32", ops=(addr, Imm(3))))
    assert s.space is None and s.field == "swizzle_mode"
    bad = [
        _replace_ins("global_address", "b1024", "b32", ops=(addr, Reg("%r1"))),  # needs .b64
        _replace_ins("swizzle_mode", "b1024", "b32", ops=(addr, Reg("%r1"))),  # needs an imm
        _replace_ins("box_dim", "b1024", "b32", ops=(addr, Imm(5), Reg("%r1"))),  # ord 0..4
        _replace_ins("box_dim", "b1024", "b32", ops=(addr, Reg("%r1"))),  # ord missing
        _replace_ins("l2_promotion", "b1024", "b32", ops=(addr, Imm(1))),
    ]
    for ins in bad:
        with pytest.raises(NotSupported):
            decode_replace(ins)
