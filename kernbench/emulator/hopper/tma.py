"""The box a TMA tile-mode copy moves: global addresses, bounds, shared-memory placement.

For ``cp.async.bulk.tensor`` in tile mode with coordinates ``c`` (signed, innermost first),
dimension ``i`` of the box visits ``n_i = ceil(boxDim[i] / elementStrides[i])`` positions
``c_i + j * elementStrides[i]`` (dimension 0 ignores its element stride when there is no
interleave, as cuda.h says: TMA has no stride along dimension 0). An element is in bounds
when every coordinate is in ``[0, globalDim[i])``; a load fills the others (zero, or NaN with
OOB-NaN fill) and a store skips them. In shared memory the box is dense, innermost
dimension fastest (row pitch ``n_0 * elem_bytes``), and the swizzle of the map's mode is
applied to each byte address (see :mod:`.swizzle`), which is what a wgmma descriptor with
the same swizzle reads back.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .swizzle import swizzle
from .tensormap import TensorMapFields

_NAN_BITS = {2: 0x7FFF, 4: 0x7FFFFFFF, 8: 0x7FFF_FFFF_FFFF_FFFF}


class TmaUnsupported(ValueError):
    """A tensor-map feature the emulator's TMA does not model (interleave, sub-byte types,
    32B/64B swizzle atomicity, the 96B span)."""


def box_shape(fields: TensorMapFields) -> tuple[int, ...]:
    """Elements per dimension, innermost first: ``ceil(boxDim / elementStrides)`` (dim 0:
    boxDim[0])."""
    shape = [fields.box_dim[0]]
    for b, e in zip(fields.box_dim[1:], fields.element_strides[1:], strict=True):
        shape.append(-(-b // e))
    return tuple(shape)


def box_bytes(fields: TensorMapFields) -> int:
    """Bytes a full box occupies in shared memory (what ``complete_tx`` counts)."""
    return int(np.prod(box_shape(fields))) * fields.elem_bytes


def fill_bits(fields: TensorMapFields) -> int:
    """Raw bits a load writes for an out-of-bounds element: 0, or a NaN of the element width
    with OOB-NaN fill (the ISA does not give the payload: the canonical quiet NaN is used;
    for bf16 0x7FFF is a NaN too)."""
    return _NAN_BITS[fields.elem_bytes] if fields.fill_mode == 1 else 0


def box_addresses(
    fields: TensorMapFields, coords: Sequence[int], smem_base: int = 0
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every element of the box, in shared-memory order (innermost fastest), as three flat
    arrays: global byte address (int64; meaningless where out of bounds), in-bounds mask, and
    shared byte address ``smem_base + offset`` after the swizzle (int64).

    ``smem_base`` matters for the swizzle, which is keyed on address bits: pass the copy's
    destination (TMA needs it aligned to the swizzle's repeat for the usual layouts).
    """
    if fields.interleave:
        raise TmaUnsupported("interleaved tensor maps are not emulated")
    if fields.swizzle_atomicity or fields.swizzle_mode == 4:
        raise TmaUnsupported("only the 16-byte-atom 32B/64B/128B swizzles are emulated")
    eb = fields.elem_bytes
    if len(coords) != fields.rank:
        raise ValueError(f"{len(coords)} coordinates for a rank-{fields.rank} tensor map")
    shape = box_shape(fields)
    grids = np.meshgrid(*[np.arange(n, dtype=np.int64) for n in reversed(shape)], indexing="ij")
    addr = np.full(grids[0].shape, fields.global_address, dtype=np.int64)
    inb = np.ones(grids[0].shape, dtype=bool)
    for i in range(fields.rank):
        step = 1 if i == 0 else fields.element_strides[i]
        x = int(coords[i]) + grids[fields.rank - 1 - i] * step
        inb &= (x >= 0) & (x < fields.global_dim[i])
        stride = eb if i == 0 else fields.global_strides[i - 1]
        addr = addr + x * stride
    offsets = np.arange(addr.size, dtype=np.int64) * eb
    shared = swizzle(smem_base + offsets, fields.swizzle_span)
    return addr.reshape(-1), inb.reshape(-1), shared
