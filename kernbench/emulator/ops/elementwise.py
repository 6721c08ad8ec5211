"""Linking an elementwise semantic: read sources, compute, write the destination."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..machine import Linker


def link_elementwise(L: Linker, compute: Callable[..., Any], dests: int) -> Callable[[Any], None]:
    """``step(sel)`` for one elementwise instruction, specialised on its source count."""
    ops = L.ins.operands
    srcs = [L.read(o) for o in ops[dests:]]
    if dests == 0:
        return lambda s: compute(*(r(s) for r in srcs))
    w = L.write(ops[0])
    if len(srcs) == 1:
        (a,) = srcs
        return lambda s: w(s, compute(a(s)))
    if len(srcs) == 2:
        a, b = srcs
        return lambda s: w(s, compute(a(s), b(s)))
    if len(srcs) == 3:
        a, b, c = srcs
        return lambda s: w(s, compute(a(s), b(s), c(s)))
    return lambda s: w(s, compute(*(r(s) for r in srcs)))
