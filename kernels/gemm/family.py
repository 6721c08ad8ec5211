"""The GEMM family: C = alpha * A @ B + beta * C, declared once for every variant."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any, ClassVar

import torch

from kernbench.errors import UsageError
from kernbench.family import (
    DEFAULT_TOLERANCES,
    Family,
    Inputs,
    Tolerance,
    element_size,
    torch_dtype,
)
from kernbench.problem import Problem, ProblemParam

_SHORTHAND = re.compile(r"^\s*(\S+?)x(\S+?)x(\S+?)\s*$")

LLAMA_PROJECTIONS = {
    # (N, K) of the projections of Llama-3-8B and Llama-3-70B (no tensor parallelism).
    "llama3-8b": [(6144, 4096), (4096, 4096), (28672, 4096), (4096, 14336)],
    "llama3-70b": [(10240, 8192), (8192, 8192), (57344, 8192), (8192, 28672)],
}
LLM_TOKENS = (1, 16, 128, 1024, 4096, 16384)
REFERENCE_FP64_LIMIT = 2**33
"""M*N*K above which the reference is computed in float32."""


def _llm_shapes() -> tuple[str, ...]:
    return tuple(
        f"{m}x{n}x{k}" for proj in LLAMA_PROJECTIONS.values() for (n, k) in proj for m in LLM_TOKENS
    )


class Gemm(Family):
    """C[M,N] = alpha * A[M,K] @ B[K,N] + beta * C, fp32 accumulation."""

    name = "gemm"
    description = "Dense matrix multiply C = alpha*A@B + beta*C (A: MxK, B: KxN)."
    params = (
        ProblemParam("m", int, minimum=1, help="rows of A and C"),
        ProblemParam("n", int, minimum=1, help="columns of B and C"),
        ProblemParam("k", int, minimum=1, help="the reduction length"),
        ProblemParam(
            "layout_a", str, "row", ("row", "col"), help="A row-major (MxK) or column-major"
        ),
        ProblemParam(
            "layout_b", str, "row", ("row", "col"), help="B row-major (KxN) or column-major"
        ),
        ProblemParam("alpha", float, 1.0),
        ProblemParam("beta", float, 0.0),
    )
    dtypes = ("fp16", "bf16", "fp32")
    default_dtype = "bf16"
    presets: ClassVar[Mapping[str, tuple[str, ...]]] = {
        "square": tuple(f"{s}x{s}x{s}" for s in (512, 1024, 2048, 4096, 8192, 16384)),
        "llm": _llm_shapes(),
        "irregular": (
            "4095x4097x1000",
            "77x129x65",
            "1x4096x256",
            "300x300x1000",
            "1000x1000x4097",
        ),
        "ladder": ("8192x8192x8192", "4096x4096x4096"),
        # A GPU-session-sized slice of "llm": decode, prefill-chunk and prefill M on two
        # Llama-3-8B projections (fused QKV and the down projection, the longest K).
        "llm-sample": tuple(
            f"{m}x{n}x{k}"
            for (n, k) in (LLAMA_PROJECTIONS["llama3-8b"][0], LLAMA_PROJECTIONS["llama3-8b"][3])
            for m in (1, 128, 4096)
        ),
        "cpu-small": ("96x80x64", "77x129x65", "128x128x128"),
    }
    default_preset = "ladder"
    cpu_preset = "cpu-small"

    def parse(self, text: str) -> Problem:
        """``m=..,n=..,k=..`` pairs, or the ``MxNxK`` shorthand (pairs may follow after a comma)."""
        head, _, rest = text.partition(",")
        match = _SHORTHAND.match(head)
        if match and "=" not in head:
            dims = []
            for name, raw in zip("mnk", match.groups(), strict=True):
                if not raw.isdigit():
                    raise UsageError(
                        f"bad gemm shape {text!r}: {name}={raw!r} is not a positive integer"
                    )
                dims.append(f"{name}={int(raw)}")
            text = ",".join(dims + ([rest] if rest else []))
        return super().parse(text)

    def label(self, problem: Problem) -> str:
        """``MxNxK`` plus whatever else differs from the defaults."""
        rest = [
            f"{k}={v}" for k, v in self.non_defaults(problem).items() if k not in ("m", "n", "k")
        ]
        return ",".join([f"{problem['m']}x{problem['n']}x{problem['k']}", *rest])

    def validate(self, problem: Problem) -> None:
        for dim in "mnk":
            if problem.int(dim) < 1:
                raise UsageError(f"gemm {dim} must be at least 1 (got {problem[dim]})")
        for scale in ("alpha", "beta"):
            if not math.isfinite(float(problem[scale])):
                raise UsageError(f"gemm {scale} must be a finite number (got {problem[scale]})")

    def make_inputs(self, problem: Problem, dtype: str, device: str, seed: int) -> Inputs:
        m, n, k = problem.int("m"), problem.int("n"), problem.int("k")
        gen = torch.Generator(device="cpu").manual_seed(seed)
        dt = torch_dtype(dtype)

        def operand(rows: int, cols: int, layout: Any) -> torch.Tensor:
            data = torch.randn(rows, cols, generator=gen, dtype=torch.float32)
            if layout == "col":  # same values, column-major storage
                return data.t().contiguous().to(device=device, dtype=dt).t()
            return data.to(device=device, dtype=dt)

        inputs: Inputs = {
            "a": operand(m, k, problem["layout_a"]),
            "b": operand(k, n, problem["layout_b"]),
            "alpha": float(problem["alpha"]),
            "beta": float(problem["beta"]),
            "out": torch.empty(m, n, device=device, dtype=dt),
        }
        if float(problem["beta"]) != 0.0:
            inputs["c"] = torch.randn(m, n, generator=gen, dtype=torch.float32).to(
                device=device, dtype=dt
            )
        return inputs

    def reference(self, problem: Problem, inputs: Inputs) -> dict[str, Any]:
        """float64, or float32 without TF32 once M*N*K passes 2^33 (float64 would take minutes)."""
        a, b = inputs["a"], inputs["b"]
        big = problem.int("m") * problem.int("n") * problem.int("k") > REFERENCE_FP64_LIMIT
        ref_dtype = torch.float32 if big else torch.float64
        precision = torch.get_float32_matmul_precision()
        torch.set_float32_matmul_precision("highest")  # never let the reference run as TF32
        try:
            out = inputs["alpha"] * (a.to(ref_dtype) @ b.to(ref_dtype))
        finally:
            torch.set_float32_matmul_precision(precision)
        if "c" in inputs:
            out = out + inputs["beta"] * inputs["c"].to(ref_dtype)
        return {"out": out}

    def flops(self, problem: Problem) -> float:
        return 2.0 * problem.int("m") * problem.int("n") * problem.int("k")

    def min_bytes(self, problem: Problem, dtype: str) -> float:
        m, n, k = problem.int("m"), problem.int("n"), problem.int("k")
        elements = m * k + k * n + m * n + (m * n if float(problem["beta"]) != 0.0 else 0)
        return float(elements * element_size(dtype))

    def tolerance(self, dtype: str, problem: Problem | None = None) -> Tolerance:
        base = DEFAULT_TOLERANCES[dtype]
        if problem is None:
            return base
        # Rounding error of a dot product grows like sqrt(K).
        grow = max(1.0, math.sqrt(problem.int("k") / 1024))
        return Tolerance(base.rel_norm * grow, base.atol * grow, base.rtol * grow)

    def compute_precision(self, dtype: str) -> str:
        return {"fp32": "tf32"}.get(dtype, dtype)


GEMM = Gemm()
