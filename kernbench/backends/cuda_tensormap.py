"""TMA descriptors: a 2-D tiled ``CUtensorMap`` for a torch matrix, passed to kernels by value.

Hopper kernels (TMA loads and stores) take ``const __grid_constant__ CUtensorMap`` kernel
parameters: 128 opaque bytes that the driver encodes from the tensor's address, shape,
strides and the shared-memory box one copy moves. The rules the driver enforces are checked
here first so a bad box gets a clear reason rather than ``CUDA_ERROR_INVALID_VALUE``.
"""

from __future__ import annotations

import ctypes
from functools import cache
from typing import Any

from .cuda_driver import check

TENSOR_MAP_BYTES = 128
_ALIGN = 64

_SWIZZLE_BYTES = {"none": 0, "32B": 32, "64B": 64, "128B": 128}


class TensorMap:
    """The 128 bytes of an encoded ``CUtensorMap`` in a host buffer the project aligns to 64 B.

    The driver requires the map's address to be 64-byte aligned, both where it is encoded and
    where it is passed by value; cuda-bindings' ``CUtensorMap`` object is only 16-byte aligned,
    so maps are encoded straight into this buffer (see :func:`encode_tiled_2d`).
    """

    def __init__(self, raw: bytes | None = None) -> None:
        if raw is not None and len(raw) != TENSOR_MAP_BYTES:
            raise ValueError(f"a CUtensorMap has {TENSOR_MAP_BYTES} bytes, got {len(raw)}")
        self._storage = (ctypes.c_ubyte * (TENSOR_MAP_BYTES + _ALIGN))()
        start = ctypes.addressof(self._storage)
        offset = -start % _ALIGN
        self.buffer = (ctypes.c_ubyte * TENSOR_MAP_BYTES).from_buffer(self._storage, offset)
        if raw is not None:
            ctypes.memmove(self.buffer, raw, TENSOR_MAP_BYTES)

    @property
    def address(self) -> int:
        return ctypes.addressof(self.buffer)

    @property
    def raw(self) -> bytes:
        return bytes(self.buffer)


# cuda.h's CUtensorMap* enum values: the driver's encode and the emulator's take the same ints.
_DATA_TYPES = {
    "float16": 6,
    "bfloat16": 9,
    "float32": 7,
    "uint8": 0,
    "int32": 3,
    "float8_e4m3fn": 0,  # fp8 travels as UINT8
    "float8_e5m2": 0,
}
"""By torch dtype name (``torch.bfloat16`` -> ``bfloat16``)."""
_SWIZZLES = {"none": 0, "32B": 1, "64B": 2, "128B": 3}
_L2_PROMOTIONS = {"none": 0, "64B": 1, "128B": 2, "256B": 3}
_INTERLEAVE_NONE = 0
_OOB_FILL_NONE = 0


def _data_type(dtype: Any) -> int:
    name = str(dtype).replace("torch.", "")
    if name not in _DATA_TYPES:
        raise ValueError(f"no tensor-map data type for {dtype}")
    return _DATA_TYPES[name]


def check_box(tensor: Any, box_rows: int, box_cols: int, swizzle: str) -> None:
    """Raise ValueError when the driver would refuse this matrix/box/swizzle combination."""
    if tensor.dim() != 2 or tensor.stride(1) != 1:
        raise ValueError("a 2-D tensor map needs a matrix with unit column stride (row-major)")
    if swizzle not in _SWIZZLE_BYTES:
        raise ValueError(f"swizzle {swizzle!r}: use one of {', '.join(_SWIZZLE_BYTES)}")
    elem = tensor.element_size()
    if tensor.data_ptr() % 16:
        raise ValueError("the tensor's address must be 16-byte aligned for TMA")
    if tensor.stride(0) * elem % 16:
        raise ValueError(f"the row pitch ({tensor.stride(0) * elem} B) must be a multiple of 16 B")
    if not (1 <= box_rows <= 256 and 1 <= box_cols <= 256):
        raise ValueError(f"box {box_rows}x{box_cols}: each side must be 1..256")
    if box_cols * elem % 16:
        raise ValueError(f"the box's inner side ({box_cols * elem} B) must be a multiple of 16 B")
    span = _SWIZZLE_BYTES[swizzle]
    if span and box_cols * elem > span:
        raise ValueError(
            f"the box's inner side ({box_cols * elem} B) exceeds the {swizzle} swizzle"
        )


_U64_2 = ctypes.c_uint64 * 2
_U32_2 = ctypes.c_uint32 * 2


@cache
def encode_function() -> Any:
    """``cuTensorMapEncodeTiled`` of the driver library, called through ctypes.

    cuda-bindings' wrapper encodes into its own ``CUtensorMap`` object, which is only 16-byte
    aligned; through ctypes the driver writes into a :class:`TensorMap` buffer instead.
    """
    library = ctypes.CDLL("libcuda.so.1")
    function = library.cuTensorMapEncodeTiled
    function.restype = ctypes.c_int
    function.argtypes = [
        ctypes.c_void_p,  # CUtensorMap *tensorMap (64-byte aligned)
        ctypes.c_int,  # CUtensorMapDataType
        ctypes.c_uint32,  # rank
        ctypes.c_void_p,  # globalAddress
        ctypes.POINTER(ctypes.c_uint64),  # globalDim
        ctypes.POINTER(ctypes.c_uint64),  # globalStrides (rank - 1, bytes)
        ctypes.POINTER(ctypes.c_uint32),  # boxDim
        ctypes.POINTER(ctypes.c_uint32),  # elementStrides
        ctypes.c_int,  # CUtensorMapInterleave
        ctypes.c_int,  # CUtensorMapSwizzle
        ctypes.c_int,  # CUtensorMapL2promotion
        ctypes.c_int,  # CUtensorMapFloatOOBfill
    ]
    return function


def encode_tiled_2d(
    tensor: Any, box_rows: int, box_cols: int, swizzle: str = "128B", l2_promotion: str = "256B"
) -> TensorMap:
    """Encode ``tensor`` (rows x cols, row-major) for TMA copies of ``box_rows x box_cols`` tiles.

    Out-of-bounds elements of a box read as zero, so edge tiles need no special case.
    """
    check_box(tensor, box_rows, box_cols, swizzle)
    rows, cols = tensor.shape
    pitch = tensor.stride(0) * tensor.element_size()
    dtype, swizzled = _data_type(tensor.dtype), _SWIZZLES[swizzle]
    promotion = _L2_PROMOTIONS.get(l2_promotion, 0)
    from ..device import active

    device = active()
    if device is not None and device.is_emulated:  # the emulator's encoding: no driver needed
        from ..emulator import encode_tiled

        raw = encode_tiled(
            dtype, 2, tensor.data_ptr(), (cols, rows), (pitch,), (box_cols, box_rows), (1, 1),
            _INTERLEAVE_NONE, swizzled, promotion, _OOB_FILL_NONE,
        )  # fmt: skip
        return TensorMap(raw)
    tmap = TensorMap()
    status = encode_function()(
        tmap.address,
        dtype,
        2,
        tensor.data_ptr(),
        _U64_2(cols, rows),  # innermost dimension first
        _U64_2(pitch, 0),  # rank - 1 strides, in bytes
        _U32_2(box_cols, box_rows),
        _U32_2(1, 1),
        _INTERLEAVE_NONE,
        swizzled,
        promotion,
        _OOB_FILL_NONE,
    )
    check(status, "cuTensorMapEncodeTiled")
    return tmap
