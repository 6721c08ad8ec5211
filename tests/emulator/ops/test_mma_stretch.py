"""A stretch of independent ``mma`` runs as one batched step (the machine's fast path): each
mma's result must equal the matrix family's pure function on that mma's own registers,
whether its A and B registers are shared with its neighbours (a warp tile's k-step, one
matmul per warp) or not (one matmul per mma)."""

from __future__ import annotations

import numpy as np
import pytest

from kernbench import emulator
from kernbench.emulator.ops import mma as pure
from kernbench.emulator.ops import tensor_core
from kernbench.emulator.ptx import ir

MODS = ("sync", "aligned", "m16n8k16", "row", "col", "f32", "bf16", "bf16", "f32")
NA, NB, NC = 4, 2, 4
"""Registers per lane of A, B and C/D for m16n8k16 bf16 -> f32."""


def _kernel(n_a: int, n_b: int, pairs: list[tuple[int, int]]) -> str:
    """Each lane loads its A sets, B sets and one C set per mma from its row of ``inp``, runs
    one mma per ``(a, b)`` pair back to back, and stores every D to its row of ``out``."""
    n_in = n_a * NA + n_b * NB + len(pairs) * NC
    body = [
        "mov.u32 %r0, %tid.x;",
        "ld.param.u64 %rd0, [inp];",
        f"mul.wide.u32 %rd1, %r0, {n_in * 4};",
        "add.s64 %rd2, %rd0, %rd1;",
        "ld.param.u64 %rd3, [out];",
        f"mul.wide.u32 %rd4, %r0, {len(pairs) * NC * 4};",
        "add.s64 %rd5, %rd3, %rd4;",
    ]
    body += [f"ld.global.u32 %r{1 + i}, [%rd2+{4 * i}];" for i in range(n_in)]
    a0, b0, c0 = 1, 1 + n_a * NA, 1 + n_a * NA + n_b * NB

    def regs(first: int, n: int) -> str:
        return "{" + ", ".join(f"%r{first + i}" for i in range(n)) + "}"

    d0 = 1 + n_in
    for i, (a, b) in enumerate(pairs):
        body.append(
            f"mma.{'.'.join(MODS)} {regs(d0 + i * NC, NC)}, {regs(a0 + a * NA, NA)}, "
            f"{regs(b0 + b * NB, NB)}, {regs(c0 + i * NC, NC)};"
        )
    body += [f"st.global.u32 [%rd5+{4 * i}], %r{d0 + i};" for i in range(len(pairs) * NC)]
    lines = "\n    ".join(body)
    return f"""
.version 8.0
.target sm_80
.address_size 64
.visible .entry k(.param .u64 out, .param .u64 inp)
{{
    .reg .b32 %r<{d0 + len(pairs) * NC + 1}>;
    .reg .b64 %rd<8>;
    {lines}
    ret;
}}
"""


def _bf16_pairs(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    v = rng.standard_normal((*shape, 2)).astype(np.float32)
    return (v.view(np.uint32) >> 16).astype(np.uint16).view(np.uint32).reshape(shape)


@pytest.mark.parametrize(
    ("n_a", "n_b", "pairs"),
    [
        (2, 2, [(0, 0), (0, 1), (1, 0), (1, 1)]),  # every pair: one matmul per warp
        (3, 3, [(0, 0), (1, 1), (2, 2)]),  # the diagonal only: one matmul per mma
        (2, 3, [(1, 2), (0, 0), (1, 0), (0, 2), (0, 0)]),  # repeats, out of order
    ],
)
def test_a_stretch_of_mma_equals_each_mma(
    n_a: int, n_b: int, pairs: list[tuple[int, int]], monkeypatch: pytest.MonkeyPatch
) -> None:
    batched: list[int] = []
    make = tensor_core._batched
    monkeypatch.setattr(tensor_core, "_batched", lambda run: batched.append(len(run)) or make(run))
    rng = np.random.default_rng(len(pairs))
    lanes = 64  # two warps
    a = _bf16_pairs(rng, (lanes, n_a, NA))
    b = _bf16_pairs(rng, (lanes, n_b, NB))
    c = rng.standard_normal((lanes, len(pairs), NC)).astype(np.float32).view(np.uint32)
    inp = np.concatenate([a.reshape(lanes, -1), b.reshape(lanes, -1), c.reshape(lanes, -1)], 1)
    out = np.full((lanes, len(pairs) * NC), 0xFFFFFFFF, np.uint32)
    result = emulator.launch(_kernel(n_a, n_b, pairs), "k", 1, lanes, [out, inp])
    assert result.ok, result.findings
    assert batched == [len(pairs)]  # the whole stretch ran as one step
    f = pure.mma_factory(ir.Instruction("mma", MODS))
    for i, (ai, bi) in enumerate(pairs):
        want = f(
            a[:, ai].reshape(2, 32, NA), b[:, bi].reshape(2, 32, NB), c[:, i].reshape(2, 32, NC)
        )
        np.testing.assert_array_equal(out[:, i * NC : (i + 1) * NC], want.reshape(lanes, NC))
