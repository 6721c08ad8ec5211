"""Where a wgmma operand tile lives in shared memory: the ISA's canonical layouts.

An operand is ``rows x k`` elements (A: 64 x K, B: N x K, indexed [mn, k]) made of "core
matrices" of 8 rows of 16 bytes. With ``T = 16 // elem_bytes`` elements per 16-byte unit and
``W`` = 1, 2, 4, 8 units per swizzle row (none, 32B, 64B, 128B), the unswizzled byte offset
of element (mn, k) from the descriptor's start address is (cute's GMMA canonical forms,
written in bytes):

K-major (k contiguous)
  none:     (mn % 8) * 16 + (mn // 8) * SBO + (k // T) * LBO + (k % T) * eb
  swizzled: (mn % 8) * 16W + (mn // 8) * SBO + (k // T) * 16 + (k % T) * eb   (LBO unused)
MN-major (mn contiguous)
  none:     (mn % T) * eb + (mn // T) * SBO + (k % 8) * 16 + (k // 8) * LBO
  swizzled: (mn % TW) * eb + (mn // TW) * LBO + (k % 8) * 16W + (k // 8) * SBO

then the swizzle of the descriptor's mode is applied to the whole address (start + offset),
its phase counted from the descriptor's base offset (see :mod:`.swizzle`). Note the roles of
LBO and SBO swap between the no-swizzle and swizzled MN-major forms, as the ISA says.
"""

from __future__ import annotations

from typing import Literal

import numpy as np

from .descriptor import decode
from .swizzle import swizzle


def wgmma_operand_offsets(
    desc: int, *, major: Literal["K", "MN"], rows: int, k: int, elem_bytes: int
) -> np.ndarray:
    """Shared-memory byte address of every element of a ``rows x k`` operand tile (int64)."""
    if elem_bytes not in (1, 2, 4):
        raise ValueError(f"element size {elem_bytes} bytes")
    d = decode(desc)
    t = 16 // elem_bytes
    w = max(1, d.swizzle // 16)
    mn = np.arange(rows, dtype=np.int64)[:, None]
    kk = np.arange(k, dtype=np.int64)[None, :]
    if major == "K":
        if d.swizzle == 0:
            off = (mn % 8) * 16 + (mn // 8) * d.sbo + (kk // t) * d.lbo + (kk % t) * elem_bytes
        else:
            off = (mn % 8) * 16 * w + (mn // 8) * d.sbo + (kk // t) * 16 + (kk % t) * elem_bytes
    elif major == "MN":
        if d.swizzle == 0:
            off = (mn % t) * elem_bytes + (mn // t) * d.sbo + (kk % 8) * 16 + (kk // 8) * d.lbo
        else:
            tw = t * w
            off = (
                (mn % tw) * elem_bytes + (mn // tw) * d.lbo + (kk % 8) * 16 * w + (kk // 8) * d.sbo
            )
    else:
        raise ValueError(f"major must be 'K' or 'MN', not {major!r}")
    return swizzle(d.start + off, d.swizzle, d.base_offset)
