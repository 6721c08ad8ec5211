"""Tensor maps (CUtensorMap): the emulator's own 128-byte encoding, the driver's checks, and
``tensormap.replace``.

A real CUtensorMap is opaque (128 bytes, 64-byte aligned). Ours is plain little-endian, so
a map can be built on the host by :func:`encode_tiled` (the checks ``cuTensorMapEncodeTiled``
documents in ``cuda.h``) or in memory by a kernel with ``tensormap.replace`` (Triton zeroes
128 bytes and replaces every field), and both read back through :func:`decode`:

====== ====== ==========================================================================
offset type   field
====== ====== ==========================================================================
0      u64    global_address
8      u8     rank - 1 (zero-based, as ``tensormap.replace .rank`` writes it)
9      u8     elemtype, in the PTX ``tensormap.replace`` numbering (not the driver enum)
10     u8     interleave_layout (0 none, 1 16B, 2 32B)
11     u8     swizzle_mode (0 none, 1 32B, 2 64B, 3 128B, 4 96B)
12     u8     swizzle_atomicity (0 16B, 1 32B, 2 32B + 8B flip, 3 64B)
13     u8     fill_mode (0 zero, 1 OOB-NaN)
14     u8     l2_promotion (0 none, 1 64B, 2 128B, 3 256B; not replaceable)
15     u8     format version (1 from :func:`encode_tiled`; 0 from zeroed memory)
16     u64[5] global_dim (elements)
56     u64[4] global_stride (bytes; entry i is dimension i + 1's stride)
88     u32[5] box_dim (elements)
108    u32[5] element_stride
====== ====== ==========================================================================
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from dataclasses import dataclass

from ..ops.table import NotSupported
from ..ptx.ir import Imm, Instruction

CUDA_ERROR_INVALID_VALUE = 1

# The driver's CUtensorMapDataType -> the PTX elemtype numbering (they differ from 8 on).
CU_TO_PTX_ELEMTYPE = {0: 0, 1: 1, 2: 2, 3: 3, 4: 4, 5: 5, 6: 6, 7: 7, 8: 9, 9: 10, 10: 8,
                      11: 11, 12: 12, 13: 13, 14: 14, 15: 15}  # fmt: skip
ELEMTYPE_NAMES = ("u8", "u16", "u32", "s32", "u64", "s64", "f16", "f32", "f32.ftz", "f64",
                  "bf16", "tf32", "tf32.ftz", "b4x16", "b4x16_p64", "b6x16_p32")  # fmt: skip
_ELEM_BYTES = (1, 2, 4, 4, 8, 8, 2, 4, 4, 8, 2, 4, 4)
_FLOAT_ELEMTYPES = {6, 7, 8, 9, 10, 11, 12}
_PACKED = {13: "16U4_ALIGN8B", 14: "16U4_ALIGN16B", 15: "16U6_ALIGN16B"}
# CUtensorMapSwizzle -> (swizzle_mode, swizzle_atomicity, span bytes)
CU_SWIZZLE = {0: (0, 0, 0), 1: (1, 0, 32), 2: (2, 0, 64), 3: (3, 0, 128),
              4: (3, 1, 128), 5: (3, 2, 128), 6: (3, 3, 128)}  # fmt: skip
SWIZZLE_SPAN = {0: 0, 1: 32, 2: 64, 3: 128, 4: 96}
"""swizzle_mode -> span in bytes."""

_FMT = "<QBBBBBBBB5Q4Q5I5I"
assert struct.calcsize(_FMT) == 128


class TensorMapError(ValueError):
    """A tensor-map argument the driver refuses: ``code`` is the CUresult it returns."""

    def __init__(self, reason: str, code: int = CUDA_ERROR_INVALID_VALUE) -> None:
        super().__init__(f"CUDA_ERROR_INVALID_VALUE: {reason}")
        self.code = code
        self.reason = reason


@dataclass(frozen=True)
class TensorMapFields:
    """A decoded tensor map; the per-dimension tuples have ``rank`` entries (strides rank-1)."""

    global_address: int
    rank: int
    elemtype: int
    """PTX numbering: see ``ELEMTYPE_NAMES``."""
    global_dim: tuple[int, ...]
    global_strides: tuple[int, ...]
    box_dim: tuple[int, ...]
    element_strides: tuple[int, ...]
    interleave: int = 0
    swizzle_mode: int = 0
    swizzle_atomicity: int = 0
    fill_mode: int = 0
    l2_promotion: int = 0

    @property
    def elem_bytes(self) -> int:
        """Bytes per element (the packed sub-byte types have none: KeyError)."""
        if self.elemtype >= len(_ELEM_BYTES):
            raise KeyError(f"elemtype {self.elemtype} has no whole-byte size")
        return _ELEM_BYTES[self.elemtype]

    @property
    def swizzle_span(self) -> int:
        return SWIZZLE_SPAN.get(self.swizzle_mode, 0)


def _fail(reason: str) -> None:
    raise TensorMapError(reason)


def _ints(name: str, values: Sequence[int], n: int) -> tuple[int, ...]:
    vals = tuple(int(v) for v in values)
    if len(vals) < n:
        _fail(f"{name} has {len(vals)} entries, tensorRank needs {n}")
    return vals[:n]


def validate(f: TensorMapFields) -> None:
    """Check a map as cuTensorMapEncodeTiled does (cuda.h); raise TensorMapError."""
    if not 0 <= f.elemtype <= 15:
        _fail(f"tensorDataType {f.elemtype} is not a CUtensorMapDataType")
    packed = _PACKED.get(f.elemtype)
    align16b = f.elemtype in (14, 15)
    if not 1 <= f.rank <= 5:
        _fail(f"tensorRank {f.rank} must be 1..5")
    if f.interleave not in (0, 1, 2):
        _fail(f"interleave {f.interleave} is not a CUtensorMapInterleave")
    if f.interleave and f.rank < 3:
        _fail(f"tensorRank {f.rank} must be >= 3 with interleave")
    if f.global_address % 16:
        _fail(f"globalAddress {f.global_address:#x} is not 16-byte aligned")
    if (f.interleave == 2 or align16b) and f.global_address % 32:
        _fail(f"globalAddress {f.global_address:#x} must be 32-byte aligned here")
    for i, d in enumerate(f.global_dim):
        if not 0 < d <= 2**32:
            _fail(f"globalDim[{i}] = {d} must be in 1..2^32")
    if align16b and f.global_dim[0] % 128:
        _fail(f"globalDim[0] = {f.global_dim[0]} must be a multiple of 128 for {packed}")
    if f.elemtype == 13 and f.global_dim[0] % 2:
        _fail(f"globalDim[0] = {f.global_dim[0]} must be even for {packed}")
    for i, s in enumerate(f.global_strides):
        if s % 16 or not 0 <= s < 2**40:
            _fail(f"globalStrides[{i}] = {s} must be a multiple of 16 and < 2^40")
        if (f.interleave == 2 or align16b) and s % 32:
            _fail(f"globalStrides[{i}] = {s} must be a multiple of 32 here")
    for i, b in enumerate(f.box_dim):
        if not 0 < b <= 256:
            _fail(f"boxDim[{i}] = {b} must be in 1..256")
    if align16b and f.box_dim[0] != 128:
        _fail(f"boxDim[0] = {f.box_dim[0]} must be 128 for {packed}")
    inner = None if packed else f.box_dim[0] * f.elem_bytes
    if f.interleave == 0 and inner is not None and inner % 16:
        _fail(f"boxDim[0] * elementSize = {inner} bytes must be a multiple of 16")
    for i, e in enumerate(f.element_strides):
        if not 0 < e <= 8:
            _fail(f"elementStrides[{i}] = {e} must be in 1..8")
    if f.swizzle_mode not in SWIZZLE_SPAN or f.swizzle_atomicity not in (0, 1, 2, 3):
        _fail(f"swizzle mode {f.swizzle_mode}/{f.swizzle_atomicity} is not a CUtensorMapSwizzle")
    if f.swizzle_atomicity and f.swizzle_mode != 3:
        _fail("32B/64B swizzle atomicity needs the 128B swizzle span")
    if f.interleave == 2 and f.swizzle_mode != 1:
        _fail("interleave 32B requires CU_TENSOR_MAP_SWIZZLE_32B")
    span = f.swizzle_span
    if f.interleave == 0 and span and inner is not None and inner > span:
        _fail(f"the box inner dimension ({inner} bytes) exceeds the {span}B swizzle span")
    if f.elemtype == 15 and f.interleave:
        _fail("16U6_ALIGN16B requires CU_TENSOR_MAP_INTERLEAVE_NONE")
    if align16b and (f.swizzle_mode, f.swizzle_atomicity) not in ((0, 0), (3, 0), (3, 1), (3, 3)):
        _fail(f"swizzle mode not supported with {packed}")
    if f.l2_promotion not in (0, 1, 2, 3):
        _fail(f"l2Promotion {f.l2_promotion} is not a CUtensorMapL2promotion")
    if f.fill_mode not in (0, 1):
        _fail(f"oobFill {f.fill_mode} is not a CUtensorMapFloatOOBfill")
    if f.fill_mode == 1 and f.elemtype not in _FLOAT_ELEMTYPES:
        _fail("NaN out-of-bounds fill needs a floating-point tensorDataType")


def encode_tiled(
    dtype: int,
    rank: int,
    global_address: int,
    global_dim: Sequence[int],
    global_strides: Sequence[int],
    box_dim: Sequence[int],
    element_strides: Sequence[int],
    interleave: int = 0,
    swizzle: int = 0,
    l2_promotion: int = 0,
    oob_fill: int = 0,
) -> bytes:
    """cuTensorMapEncodeTiled: the driver's enums in, our 128 bytes out, or TensorMapError."""
    if dtype not in CU_TO_PTX_ELEMTYPE:
        _fail(f"tensorDataType {dtype} is not a CUtensorMapDataType")
    if swizzle not in CU_SWIZZLE:
        _fail(f"swizzle {swizzle} is not a CUtensorMapSwizzle")
    if not 1 <= rank <= 5:
        _fail(f"tensorRank {rank} must be 1..5")
    mode, atomicity, _ = CU_SWIZZLE[swizzle]
    fields = TensorMapFields(
        global_address=int(global_address),
        rank=rank,
        elemtype=CU_TO_PTX_ELEMTYPE[dtype],
        global_dim=_ints("globalDim", global_dim, rank),
        global_strides=_ints("globalStrides", global_strides, rank - 1),
        box_dim=_ints("boxDim", box_dim, rank),
        element_strides=_ints("elementStrides", element_strides, rank),
        interleave=interleave,
        swizzle_mode=mode,
        swizzle_atomicity=atomicity,
        fill_mode=oob_fill,
        l2_promotion=l2_promotion,
    )
    validate(fields)
    return pack(fields)


def _pad(vals: tuple[int, ...], n: int) -> list[int]:
    return [*vals, *([0] * (n - len(vals)))]


def pack(f: TensorMapFields) -> bytes:
    """Fields -> our 128-byte encoding (no checks: :func:`validate` does those)."""
    return struct.pack(
        _FMT,
        f.global_address & (2**64 - 1),
        (f.rank - 1) & 0xFF, f.elemtype, f.interleave, f.swizzle_mode, f.swizzle_atomicity,
        f.fill_mode, f.l2_promotion, 1,
        *_pad(f.global_dim, 5), *_pad(f.global_strides, 4),
        *_pad(f.box_dim, 5), *_pad(f.element_strides, 5),
    )  # fmt: skip


def decode(raw: bytes) -> TensorMapFields:
    """Our 128 bytes -> fields (rank taken from the rank byte, at most 5 entries kept)."""
    if len(raw) < 128:
        raise ValueError(f"a tensor map is 128 bytes, got {len(raw)}")
    v = struct.unpack(_FMT, bytes(raw[:128]))
    rank = v[1] + 1
    n = min(rank, 5)
    return TensorMapFields(
        global_address=v[0],
        rank=rank,
        elemtype=v[2],
        global_dim=tuple(v[9 : 9 + n]),
        global_strides=tuple(v[14 : 14 + max(n - 1, 0)]),
        box_dim=tuple(v[18 : 18 + n]),
        element_strides=tuple(v[23 : 23 + n]),
        interleave=v[3],
        swizzle_mode=v[4],
        swizzle_atomicity=v[5],
        fill_mode=v[6],
        l2_promotion=v[7],
    )


# tensormap.replace field -> (byte offset, struct code, per-ordinal step, ordinals)
_REPLACE = {
    "global_address": (0, "<Q", 0, 1),
    "rank": (8, "<B", 0, 1),
    "elemtype": (9, "<B", 0, 1),
    "interleave_layout": (10, "<B", 0, 1),
    "swizzle_mode": (11, "<B", 0, 1),
    "swizzle_atomicity": (12, "<B", 0, 1),
    "fill_mode": (13, "<B", 0, 1),
    "global_dim": (16, "<Q", 8, 5),
    "global_stride": (56, "<Q", 8, 4),
    "box_dim": (88, "<I", 4, 5),
    "element_stride": (108, "<I", 4, 5),
}
_FIELD3_MAX = {"elemtype": 15, "interleave_layout": 2, "swizzle_mode": 4,
               "swizzle_atomicity": 3, "fill_mode": 1}  # fmt: skip
REPLACE_FIELDS = tuple(_REPLACE)


def replace(raw: bytes, field: str, value: int, ordinal: int = 0) -> bytes:
    """``tensormap.replace.tile.<field>``: the 128 bytes with one field changed.

    ``value`` is the instruction's new_val as the ISA gives it (``.rank`` takes rank - 1;
    the .field3 values use the ISA's table). ValueError for a field or value it lists no
    meaning for (the ISA leaves those undefined).
    """
    if field not in _REPLACE:
        raise ValueError(f"tensormap.replace has no field .{field}")
    offset, code, step, count = _REPLACE[field]
    if not 0 <= ordinal < count:
        raise ValueError(f".{field} ordinal {ordinal} outside 0..{count - 1}")
    if field in _FIELD3_MAX and not 0 <= value <= _FIELD3_MAX[field]:
        raise ValueError(f".{field} value {value} is not in the ISA's table")
    if field == "rank" and not 0 <= value <= 4:
        raise ValueError(f".rank value {value} (rank - 1) outside 0..4")
    size = struct.calcsize(code)
    buf = bytearray(raw[:128])
    struct.pack_into(code, buf, offset + step * ordinal, int(value) & ((1 << (8 * size)) - 1))
    return bytes(buf)


@dataclass(frozen=True)
class ReplaceSpec:
    """A decoded ``tensormap.replace.tile.<field>[.ss].b1024.<type> [addr], [ord,] new_val``."""

    field: str
    space: str | None
    """``global``, ``shared::cta`` or None (generic addressing)."""
    ordinal: int | None
    """The ``ord`` immediate of .box_dim/.global_dim/.global_stride/.element_stride."""
    value_operand: int
    """Index in ``ins.operands`` of new_val (an Imm for the .field3 fields)."""


_WITH_ORDINAL = {"box_dim", "global_dim", "global_stride", "element_stride"}


def decode_replace(ins: Instruction) -> ReplaceSpec:
    """Check a ``tensormap.replace`` instruction's modifiers and operands (NotSupported)."""
    mods = ins.mods
    fields = [m for m in mods if m in _REPLACE]
    spaces = [m for m in mods if m in ("global", "shared::cta")]
    known = {"replace", "tile", "b1024", "b32", "b64", *fields, *spaces}
    if mods[:2] != ("replace", "tile") or len(fields) != 1 or any(m not in known for m in mods):
        raise NotSupported(ins, "expected tensormap.replace.tile.<field>[.ss].b1024.<type>")
    field = fields[0]
    want_type = "b64" if field in ("global_address", "global_stride") else "b32"
    if mods[-1] != want_type:
        raise NotSupported(ins, f".{field} takes .{want_type}")
    ordinal = None
    if field in _WITH_ORDINAL:
        if len(ins.operands) != 3 or not isinstance(ins.operands[1], Imm):
            raise NotSupported(ins, f".{field} needs [addr], ord, new_val with an immediate ord")
        ordinal = int(ins.operands[1].value)
        _, _, _, count = _REPLACE[field]
        if not 0 <= ordinal < count:
            raise NotSupported(ins, f".{field} ordinal {ordinal} outside 0..{count - 1}")
    elif len(ins.operands) != 2:
        raise NotSupported(ins, f".{field} needs [addr], new_val")
    if field in _FIELD3_MAX and not isinstance(ins.operands[-1], Imm):
        raise NotSupported(ins, f".{field} needs an immediate new_val")
    return ReplaceSpec(field, spaces[0] if spaces else None, ordinal, len(ins.operands) - 1)
