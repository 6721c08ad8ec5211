"""Calibration: measure the ceilings the present GPU really reaches, through the usual path.

The ``calibrate`` family has two problems: a large square matmul (FLOPs ``2 n^3``) and a
device-to-device copy of ``n`` elements (bytes read plus written, ``2 n e``). Its variants
(``matmul_bf16``, ``matmul_fp16``, ``copy``) are measured like any other candidate: random
inputs (never zeros), the correctness gate, the worker, the stopping rule, a record with
provenance. :func:`measured_ceilings` turns the latest records back into :class:`Ceilings`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar

from .ceilings import Ceilings, datasheet_for
from .family import DEFAULT_TOLERANCES, Family, Inputs, Tolerance, element_size, torch_dtype
from .problem import Problem, ProblemParam
from .registry import Plugin
from .space import Config
from .variant import Launch, variant

if TYPE_CHECKING:
    from .store import ResultsStore

FAMILY = "calibrate"
PLUGIN_REF = "kernbench.calibrate:PLUGIN"
MATMUL_N = 8192
COPY_ELEMENTS = 1 << 27
"""128 Mi elements: 256 MiB each way in 16-bit, far over any L2."""
JOBS: tuple[tuple[str, str, str], ...] = (
    ("matmul_bf16", f"op=matmul,n={MATMUL_N}", "bf16"),
    ("matmul_fp16", f"op=matmul,n={MATMUL_N}", "fp16"),
    ("copy", f"op=copy,n={COPY_ELEMENTS}", "bf16"),
)
"""(variant, problem, dtype) of a calibration run."""


class Calibration(Family):
    """The workloads whose best achievable rate is a ceiling."""

    name = FAMILY
    description = "Ceilings: a large square matmul (compute) and a device copy (memory bandwidth)."
    params = (
        ProblemParam(
            "op", str, "matmul", ("matmul", "copy"), help="matmul (n x n x n) or copy (n elements)"
        ),
        ProblemParam("n", int, MATMUL_N, minimum=1),
    )
    dtypes = ("bf16", "fp16", "fp32")
    default_dtype = "bf16"
    cpu_dtype = "fp32"
    presets: ClassVar[Mapping[str, tuple[str, ...]]] = {
        "device": (f"op=matmul,n={MATMUL_N}", f"op=copy,n={COPY_ELEMENTS}"),
        "cpu-small": ("op=matmul,n=64", "op=copy,n=4096"),
    }
    default_preset = "device"
    cpu_preset = "cpu-small"

    def make_inputs(self, problem: Problem, dtype: str, device: str, seed: int) -> Inputs:
        import torch

        gen = torch.Generator(device=device).manual_seed(seed)
        n, dt = problem.int("n"), torch_dtype(dtype)
        if problem["op"] == "copy":
            x = torch.randn(n, generator=gen, device=device, dtype=torch.float32).to(dt)
            return {"x": x, "out": torch.empty_like(x)}
        a = torch.randn(n, n, generator=gen, device=device, dtype=torch.float32).to(dt)
        b = torch.randn(n, n, generator=gen, device=device, dtype=torch.float32).to(dt)
        return {"a": a, "b": b, "out": torch.empty(n, n, device=device, dtype=dt)}

    def reference(self, problem: Problem, inputs: Inputs) -> dict[str, Any]:
        import torch

        if problem["op"] == "copy":
            return {"out": inputs["x"].clone()}
        # float32 on the GPU (8192^3 in float64 would take minutes); float64 on small problems
        big = problem.int("n") ** 3 > 2**30
        ref = torch.float32 if big else torch.float64
        return {"out": inputs["a"].to(ref) @ inputs["b"].to(ref)}

    def flops(self, problem: Problem) -> float:
        return 2.0 * problem.int("n") ** 3 if problem["op"] == "matmul" else 0.0

    def min_bytes(self, problem: Problem, dtype: str) -> float:
        n, e = problem.int("n"), element_size(dtype)
        return float(3 * n * n * e) if problem["op"] == "matmul" else float(2 * n * e)

    def tolerance(self, dtype: str, problem: Problem | None = None) -> Tolerance:
        base = DEFAULT_TOLERANCES[dtype]
        if problem is None or problem["op"] == "copy":
            return base
        grow = max(1.0, math.sqrt(problem.int("n") / 1024))
        return Tolerance(base.rel_norm * grow, base.atol * grow, base.rtol * grow)


CALIBRATION = Calibration()


def _matmul(problem: Problem, config: Config, inputs: Inputs) -> Launch:
    import torch

    a, b, out = inputs["a"], inputs["b"], inputs["out"]
    return lambda: torch.mm(a, b, out=out)


def _copy(problem: Problem, config: Config, inputs: Inputs) -> Launch:
    x, out = inputs["x"], inputs["out"]
    return lambda: out.copy_(x)


MATMUL_BF16 = variant(
    family=FAMILY,
    name="matmul_bf16",
    language="torch",
    dtypes=["bf16"],
    description="cuBLAS bf16 matmul (torch.mm)",
)(_matmul)
MATMUL_FP16 = variant(
    family=FAMILY,
    name="matmul_fp16",
    language="torch",
    dtypes=["fp16"],
    description="cuBLAS fp16 matmul (torch.mm)",
)(_matmul)
COPY = variant(
    family=FAMILY, name="copy", language="torch", description="device-to-device copy (Tensor.copy_)"
)(_copy)

PLUGIN = Plugin(
    families=(CALIBRATION,),
    variants={
        "matmul_bf16": "kernbench.calibrate:MATMUL_BF16",
        "matmul_fp16": "kernbench.calibrate:MATMUL_FP16",
        "copy": "kernbench.calibrate:COPY",
    },
)
"""Added by reference (``kernbench calibrate`` only), so user listings never show it."""


def measured_ceilings(store: ResultsStore, device_name: str) -> Ceilings | None:
    """Ceilings from the latest calibration records of this device, or None.

    A matmul record gives the compute ceiling of its dtype (FLOPs over the median time); a
    copy record gives the memory ceiling (bytes read plus written over the median time).
    Only GPU timings count.
    """
    compute: dict[str, float] = {}
    memory: dict[str, float] = {}
    notes: dict[str, str] = {}
    records = store.query(family=FAMILY, device_name=device_name, status="ok")
    for rec in sorted(records, key=lambda r: r.id or 0):  # later records win
        median = rec.median_s
        if not median or rec.timing_kind != "gpu":
            continue
        where = f"measured: record {rec.id}, {rec.created}"
        if rec.variant.startswith("matmul_") and rec.flops > 0:
            compute[rec.dtype] = rec.flops / median
            notes[rec.dtype] = where
        elif rec.variant == "copy" and rec.bytes > 0:
            memory["hbm"] = rec.bytes / median
            notes["hbm"] = where
    if not compute and not memory:
        return None
    sheet = datasheet_for(device_name)
    return Ceilings(
        device=device_name,
        compute=compute,
        memory=memory,
        l2_bytes=sheet.l2_bytes if sheet else 0,
        sm_count=sheet.sm_count if sheet else 0,
        source="measured",
        notes=notes,
    )
