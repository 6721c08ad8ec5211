"""The machine's batched mma path equals the matrix family's pure function bit for bit."""

from __future__ import annotations

import numpy as np
import pytest

from kernbench.emulator.ops import mma as pure
from kernbench.emulator.ops.tensor_core import fast_mma
from kernbench.emulator.ptx import ir

CASES = [
    ("m16n8k16", "f32", "bf16", "bf16", "f32", 4, 2, 4),
    ("m16n8k16", "f32", "f16", "f16", "f32", 4, 2, 4),
    ("m16n8k16", "f16", "f16", "f16", "f16", 4, 2, 2),
    ("m16n8k8", "f32", "tf32", "tf32", "f32", 4, 2, 4),
    ("m16n8k8", "f32", "bf16", "bf16", "f32", 2, 1, 4),
]


@pytest.mark.parametrize(("shape", "d", "a", "b", "c", "na", "nb", "nc"), CASES)
def test_fast_mma_matches_pure(
    shape: str, d: str, a: str, b: str, c: str, na: int, nb: int, nc: int
) -> None:
    ins = ir.Instruction("mma", ("sync", "aligned", shape, "row", "col", d, a, b, c))
    rng = np.random.default_rng(0)
    w = 3

    def regs(n: int, t: str) -> np.ndarray:
        # finite values: random halves/floats with moderate exponents, as raw bits
        if t in ("f16", "bf16"):
            v = rng.standard_normal((w, 32, n, 2)).astype(np.float32)
            bits = (
                (v.view(np.uint32) >> 16).astype(np.uint16)
                if t == "bf16"
                else v.astype(np.float16).view(np.uint16)
            )
            return bits.view(np.uint32).reshape(w, 32, n)
        return rng.standard_normal((w, 32, n)).astype(np.float32).view(np.uint32)

    args = regs(na, a), regs(nb, b), regs(nc, c)
    np.testing.assert_array_equal(fast_mma(ins)(*args), pure.mma_factory(ins)(*args))


@pytest.mark.parametrize(
    "mods", [("x1",), ("x2",), ("x4",), ("x1", "trans"), ("x2", "trans"), ("x4", "trans")]
)
def test_fast_ldmatrix_matches_pure(mods: tuple[str, ...]) -> None:
    from kernbench.emulator.ops.tensor_core import fast_ldmatrix

    ins = ir.Instruction("ldmatrix", ("sync", "aligned", "m8n8", *mods, "shared", "b16"))
    n_rows, fast = fast_ldmatrix(ins)
    n_rows2, slow = pure.ldmatrix_factory(ins)
    assert n_rows == n_rows2
    rows = np.random.default_rng(3).integers(0, 256, (5, n_rows, 16)).astype(np.uint8)
    np.testing.assert_array_equal(fast(rows), slow(rows))
