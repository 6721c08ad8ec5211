"""cuBLAS through ``torch.matmul``: the baseline every GEMM step is measured against."""

from __future__ import annotations

import contextlib
import os
from typing import Any

import torch

from kernbench.family import Inputs
from kernbench.problem import Problem
from kernbench.space import Config
from kernbench.variant import Launch, variant


def blas_settings() -> dict[str, Any]:
    """The torch/cuBLAS settings that decide what ``torch.matmul`` runs: record them beside
    cuBLAS numbers (TF32 changes fp32 results and speed; the cuBLASLt workspace size changes
    which algorithms cuBLASLt may pick)."""
    import torch

    matmul = torch.backends.cuda.matmul
    out: dict[str, Any] = {
        "float32_matmul_precision": torch.get_float32_matmul_precision(),
        "allow_tf32": bool(matmul.allow_tf32),
        "allow_fp16_reduced_precision_reduction": bool(
            matmul.allow_fp16_reduced_precision_reduction
        ),
        "allow_bf16_reduced_precision_reduction": bool(
            matmul.allow_bf16_reduced_precision_reduction
        ),
        "cudnn_allow_tf32": bool(torch.backends.cudnn.allow_tf32),
    }
    with contextlib.suppress(AttributeError, RuntimeError):  # older torch, or no CUDA build
        out["preferred_blas_library"] = str(torch.backends.cuda.preferred_blas_library()).rsplit(
            ".", 1
        )[-1]
    # Unset means torch's default: CUBLASLT_WORKSPACE_SIZE is in KiB, CUBLAS_WORKSPACE_CONFIG
    # is ":SIZE_KiB:COUNT" pairs.
    for var in (
        "CUBLASLT_WORKSPACE_SIZE",
        "CUBLAS_WORKSPACE_CONFIG",
        "TORCH_BLAS_PREFER_CUBLASLT",
        "DISABLE_ADDMM_CUDA_LT",
    ):
        out[var] = os.environ.get(var, "")
    return out


@variant(
    family="gemm",
    name="torch_matmul",
    language="torch",
    baseline=True,
    context=blas_settings,
    label="cuBLAS",
)
def build(problem: Problem, config: Config, inputs: Inputs) -> Launch:
    """``torch.matmul`` into a preallocated output: cuBLAS(Lt) on a GPU, ATen on the CPU."""
    a, b, out = inputs["a"], inputs["b"], inputs["out"]
    alpha, beta = inputs["alpha"], inputs["beta"]
    if beta != 0.0:
        c = inputs["c"]
        return lambda: torch.addmm(c, a, b, beta=beta, alpha=alpha, out=out)
    if alpha != 1.0:
        return lambda: torch.mm(a, b, out=out).mul_(alpha)
    return lambda: torch.mm(a, b, out=out)
