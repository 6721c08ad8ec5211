"""Hand-written PTX for the machine's tests: one kernel ``k`` with common registers."""

from __future__ import annotations

from typing import Any

import numpy as np

from kernbench.emulator import LaunchResult, launch

REGS = """
    .reg .pred %p<8>;
    .reg .b16 %h<8>;
    .reg .b32 %r<32>;
    .reg .b64 %rd<16>;
"""


def ptx(body: str, params: str = ".param .u64 out", decls: str = "") -> str:
    """A module with kernel ``k(params)`` running ``body`` (``%tid.x`` is in ``%r0``)."""
    return f"""
.version 8.0
.target sm_80
.address_size 64
{decls}
.visible .entry k({params})
{{
{REGS}
    mov.u32 %r0, %tid.x;
{body}
    ret;
}}
"""


def run(
    body: str,
    n: int = 32,
    args: list[Any] | None = None,
    *,
    out: np.ndarray | None = None,
    params: str = ".param .u64 out",
    decls: str = "",
    grid: int = 1,
    **kw: Any,
) -> tuple[np.ndarray, LaunchResult]:
    """Launch ``body`` on ``grid`` x ``n`` threads with a uint32 ``out`` array first."""
    if out is None:
        out = np.zeros(n * grid, np.uint32)
    r = launch(ptx(body, params, decls), "k", (grid, 1, 1), (n, 1, 1), [out, *(args or [])], **kw)
    return out, r


STORE = """
    ld.param.u64 %rd0, [out];
    mov.u32 %r30, %ctaid.x;
    mov.u32 %r31, %ntid.x;
    mad.lo.u32 %r29, %r30, %r31, %r0;
    mul.wide.u32 %rd1, %r29, 4;
    add.s64 %rd1, %rd0, %rd1;
    st.global.u32 [%rd1], {reg};
"""


def store(reg: str) -> str:
    """Store ``reg`` to ``out[global thread index]``."""
    return STORE.format(reg=reg)


def kinds(r: LaunchResult) -> list[str]:
    return sorted(f.kind for f in r.findings)
