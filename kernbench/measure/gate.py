"""The correctness gate: nothing is timed until it matches the family's reference.

Outputs are poisoned with NaN before the launch, so an element the kernel never wrote
shows up as unwritten rather than as a stale right answer.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..family import Family, Inputs
    from ..problem import Problem
    from ..variant import Launch


@dataclass(frozen=True)
class GateResult:
    ok: bool
    error: float
    unwritten: int
    message: str


def poison(inputs: Inputs, names: tuple[str, ...]) -> None:
    """Fill outputs with NaN (or the largest value for integer outputs)."""
    import torch

    for name in names:
        out = inputs[name]
        if out.is_floating_point():
            out.fill_(math.nan)
        else:
            out.fill_(torch.iinfo(out.dtype).max)


def compare(
    family: Family, problem: Problem, dtype: str, inputs: Inputs, ref: dict[str, Any]
) -> GateResult:
    """Compare every output with the reference under the dtype's tolerance."""
    import torch

    tol = family.tolerance(dtype, problem)
    worst = 0.0
    for name in family.outputs:
        out = inputs[name].detach().to(torch.float64)
        expected = ref[name].detach().to(device=out.device, dtype=torch.float64)
        if out.shape != expected.shape:
            return GateResult(
                False, math.inf, 0, f"{name}: shape {tuple(out.shape)} != {tuple(expected.shape)}"
            )
        missing = torch.isnan(out) & ~torch.isnan(expected)
        unwritten = int(missing.sum())
        if unwritten > 0:
            first = int(torch.argmax(missing.flatten().to(torch.uint8)))
            return GateResult(
                False,
                math.inf,
                unwritten,
                f"{name}: {unwritten} of {out.numel()} elements never written (first at flat index {first})",
            )
        if not bool(torch.isfinite(out).all()):
            return GateResult(False, math.inf, 0, f"{name}: non-finite values in the output")
        diff = out - expected
        scale = float(torch.linalg.vector_norm(expected))
        rel = (
            float(torch.linalg.vector_norm(diff)) / scale
            if scale > 0
            else float(torch.linalg.vector_norm(diff))
        )
        worst = max(worst, rel)
        if rel > tol.rel_norm:
            return GateResult(False, rel, 0, f"{name}: relative error {rel:.3g} > {tol.rel_norm:g}")
        rms = scale / math.sqrt(max(expected.numel(), 1))
        bound = tol.atol * rms + tol.rtol * expected.abs()
        bad = int((diff.abs() > bound).sum())
        if bad:
            where = int(torch.argmax((diff.abs() - bound).flatten()))
            return GateResult(
                False,
                rel,
                0,
                f"{name}: {bad} elements outside tolerance (first at flat index {where})",
            )
    return GateResult(True, worst, 0, "")


def run_gate(
    family: Family,
    problem: Problem,
    dtype: str,
    inputs: Inputs,
    launch: Launch,
    reference: dict[str, Any],
    synchronize: Any,
) -> GateResult:
    """Poison, launch once, wait, compare. The caller times nothing unless this says ok."""
    poison(inputs, family.outputs)
    synchronize()
    launch()
    synchronize()
    return compare(family, problem, dtype, inputs, reference)
