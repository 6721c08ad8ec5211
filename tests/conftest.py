"""Test set-up shared by the whole suite.

Without a CUDA GPU the suite runs Triton kernels under the interpreter, which Triton reads
when kernels are decorated: the variable is set here, before any kernel module is imported.
Tests that need a GPU carry ``@pytest.mark.gpu`` and are skipped with the reason.
"""

from __future__ import annotations

import os

import pytest

from kernbench.device import cuda_available

HAS_CUDA = cuda_available()
if not HAS_CUDA:
    os.environ["TRITON_INTERPRET"] = "1"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if HAS_CUDA:
        return
    skip = pytest.mark.skip(reason="needs a CUDA GPU (none visible)")
    for item in items:
        if "gpu" in item.keywords:
            item.add_marker(skip)
