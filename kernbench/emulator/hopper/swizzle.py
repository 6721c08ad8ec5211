"""The shared-memory swizzles of TMA and wgmma, as functions of byte addresses.

Both units use one pattern per mode, keyed on address bits alone (cute's ``Swizzle<B, 4, 3>``
on byte addresses): the 16-byte chunk index (bits 4..4+B) is XORed with bits 7..7+B, so the
pattern repeats every ``128 << B`` bytes (32B: B=1, 256 bytes; 64B: B=2, 512; 128B: B=3,
1024). Because it depends on the address only, a tile TMA writes with a swizzle reads back
correctly through a wgmma descriptor with the same mode (and the same pattern start).
"""

from __future__ import annotations

import numpy as np

SWIZZLE_BYTES = (0, 32, 64, 128)
"""The swizzle spans this module knows (0 = none)."""

_BITS = {0: 0, 32: 1, 64: 2, 128: 3}


def swizzle_bits(span: int) -> int:
    """The B of ``Swizzle<B, 4, 3>`` for a swizzle span in bytes (0 for none)."""
    try:
        return _BITS[span]
    except KeyError:
        raise ValueError(f"no {span}-byte swizzle (0, 32, 64 or 128)") from None


def repeat_bytes(span: int) -> int:
    """Bytes after which the pattern repeats: 256, 512, 1024 (and 16 for none)."""
    return 16 << (swizzle_bits(span) + 3) if span else 16


def swizzle(addr: np.ndarray | int, span: int, phase_offset: int = 0) -> np.ndarray:
    """Swizzle shared-memory byte addresses for a ``span``-byte mode.

    ``phase_offset`` is the pattern's starting row (the wgmma descriptor's base offset):
    the row phase used is ``(addr >> 7) - phase_offset``, so a pattern that starts at an
    address ``128 * b`` past a repeat boundary reads as one that starts on the boundary.
    The function is an involution for a fixed ``phase_offset`` (XOR of bits it does not change).
    """
    a = np.asarray(addr, dtype=np.int64)
    b = swizzle_bits(span)
    if b == 0:
        return a.copy()
    mask = (1 << b) - 1
    phase = ((a >> 7) - phase_offset) & mask
    out: np.ndarray = a ^ (phase << 4)
    return out
