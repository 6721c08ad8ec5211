"""Fixtures shared by the GEMM kernel tests."""

from __future__ import annotations

import pytest

from kernbench.registry import Registry


@pytest.fixture(scope="module")
def registry() -> Registry:
    """The in-tree GEMM plugin alone: no entry-point scan, so out-of-tree plugins stay out."""
    reg = Registry()
    reg.add_reference("kernbench_kernels.gemm:PLUGIN")
    return reg
