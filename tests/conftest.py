"""Test set-up shared by the whole suite.

Without a CUDA GPU the suite runs Triton kernels under the interpreter, which Triton reads
when kernels are decorated: the variable is set here, before any kernel module is imported.
Tests that need a GPU carry ``@pytest.mark.gpu`` and are skipped with the reason. The suite
runs on every core (pytest-xdist, ``-n auto``); on a GPU machine the GPU tests share one worker.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator

import pytest

from kernbench.device import cuda_available

HAS_CUDA = cuda_available()

# An xdist worker has COLUMNS=80 and PYTEST_XDIST_* set; the commands and pytest runs that
# tests start must see what a one-process run gives them (rich's width for piped output,
# pytest-benchmark that times rather than stands down for xdist).
if "PYTEST_XDIST_WORKER" in os.environ:
    for name in [k for k in os.environ if k.startswith("PYTEST_XDIST_")] + ["COLUMNS"]:
        os.environ.pop(name, None)
if not HAS_CUDA:
    os.environ["TRITON_INTERPRET"] = "1"


@pytest.fixture(autouse=True)
def _triton_as_it_was() -> Iterator[None]:
    """Activating the emulated device turns the interpreter off and makes the emulator
    Triton's driver, for the whole process: after each test both go back, so later tests in
    this worker keep their interpreter (or, on a GPU host, their GPU). A module's emulated
    device stays active for CUDA C++ kernels; Triton on it runs in worker processes."""
    yield
    if not HAS_CUDA:
        os.environ["TRITON_INTERPRET"] = "1"
    module = sys.modules.get("triton.runtime.driver")
    switch = getattr(module, "driver", None)
    if type(getattr(switch, "_active", None)).__name__ == "EmulatorDriver":
        switch._active = None  # type: ignore[union-attr]  # Triton makes its default again


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if HAS_CUDA:  # one GPU: its tests run one at a time, on one xdist worker, so none times
        for item in items:  # a kernel while another test loads the GPU
            if "gpu" in item.keywords:
                item.add_marker(pytest.mark.xdist_group("gpu"))
        return
    skip = pytest.mark.skip(reason="needs a CUDA GPU (none visible)")
    for item in items:
        if "gpu" in item.keywords:
            item.add_marker(skip)


class _XdistGroup:
    """Make ``xdist_group`` group again under pytest >= 9.2 (pytest-xdist #1386).

    ``--dist loadgroup`` schedules by an ``@group`` suffix that xdist appends to each marked
    item's node id; pytest 9.2 derives node ids from a structured ``_id``, so xdist 3.8's
    append is lost and a group's tests (one module's costly fixture) spread over every
    worker, each building the fixture again. This runs after xdist's hook and the suite's
    own and sets the suffix the way this pytest keeps it. The closest mark names the group
    (xdist would join them all): on a GPU host a test's own ``gpu`` group wins over its
    module's, so GPU tests still run one at a time."""

    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(
        self, config: pytest.Config, items: list[pytest.Item]
    ) -> None:
        if not getattr(config.option, "loadgroup", False):
            return
        for item in items:
            mark = item.get_closest_marker("xdist_group")
            if mark is None:
                continue
            name = mark.args[0] if mark.args else mark.kwargs.get("name", "default")
            nodeid = item.nodeid
            if nodeid.rfind("@") > nodeid.rfind("]"):  # xdist's own suffix took effect
                nodeid = nodeid[: nodeid.rfind("@")]
            wanted = f"{nodeid}@{name}"
            if item.nodeid == wanted:
                continue
            if hasattr(item, "_id"):
                from _pytest.nodeid import NodeId

                item._id = NodeId.parse(wanted)
            else:
                item._nodeid = wanted  # type: ignore[attr-defined]  # pytest < 9.2 keeps it there


def pytest_configure(config: pytest.Config) -> None:
    config.pluginmanager.register(_XdistGroup(), "kernbench-xdist-group")
