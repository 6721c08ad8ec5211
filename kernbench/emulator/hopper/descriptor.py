"""The 64-bit wgmma shared-memory matrix descriptor (PTX ISA "Matrix Descriptor Format").

Fields, all byte quantities encoded as ``(x & 0x3FFFF) >> 4``:
bits 0-13 start address, 16-29 leading-dimension byte offset (LBO), 32-45 stride-dimension
byte offset (SBO), 49-51 matrix base offset (the row phase where the swizzle pattern starts:
``(pattern start >> 7) & 7``, 0 when it starts on a repeat boundary), 62-63 swizzle mode
(0 none, 1 128B, 2 64B, 3 32B).
"""

from __future__ import annotations

from dataclasses import dataclass

_MODE_TO_SPAN = {0: 0, 1: 128, 2: 64, 3: 32}
_SPAN_TO_MODE = {v: k for k, v in _MODE_TO_SPAN.items()}


@dataclass(frozen=True)
class Descriptor:
    """A decoded descriptor; byte quantities in bytes (multiples of 16)."""

    start: int
    lbo: int
    sbo: int
    base_offset: int
    swizzle: int
    """Swizzle span in bytes: 0 (none), 32, 64 or 128."""


def _enc(x: int) -> int:
    return (x & 0x3FFFF) >> 4


def decode(desc: int) -> Descriptor:
    """Split a descriptor register's 64 bits into its fields."""
    d = int(desc) & 0xFFFF_FFFF_FFFF_FFFF
    return Descriptor(
        start=(d & 0x3FFF) << 4,
        lbo=((d >> 16) & 0x3FFF) << 4,
        sbo=((d >> 32) & 0x3FFF) << 4,
        base_offset=(d >> 49) & 0x7,
        swizzle=_MODE_TO_SPAN[(d >> 62) & 0x3],
    )


def encode(start: int, lbo: int, sbo: int, swizzle: int = 0, base_offset: int = 0) -> int:
    """Build a descriptor (byte quantities; their low 4 bits and bits past 17 are dropped,
    as the ISA's matrix-descriptor-encode does)."""
    if swizzle not in _SPAN_TO_MODE:
        raise ValueError(f"no {swizzle}-byte swizzle (0, 32, 64 or 128)")
    if not 0 <= base_offset < 8:
        raise ValueError("base offset is 3 bits")
    return (
        _enc(start)
        | (_enc(lbo) << 16)
        | (_enc(sbo) << 32)
        | (base_offset << 49)
        | (_SPAN_TO_MODE[swizzle] << 62)
    )
