"""The cuBLAS baseline: correct, and stored with the settings that decide what cuBLAS runs."""

from __future__ import annotations

from kernbench_kernels.gemm.torch_matmul import blas_settings

from kernbench.device import cpu_device
from kernbench.measure.run import Candidate, measure
from kernbench.measure.settings import QUICK
from kernbench.registry import Registry


def test_blas_settings_records_tf32_and_workspace() -> None:
    settings = blas_settings()
    assert {"allow_tf32", "float32_matmul_precision", "CUBLASLT_WORKSPACE_SIZE"} <= set(settings)


def test_records_carry_the_blas_settings() -> None:
    registry = Registry.discover()
    for problem in ("33x17x9", "16x16x16,alpha=0.5,beta=2.0"):
        outcome = measure(
            registry, cpu_device(), Candidate("gemm", "torch_matmul", problem, "fp32"), QUICK
        )
        assert outcome.status == "ok", outcome.message
        assert outcome.method["context"]["allow_tf32"] in (True, False)
