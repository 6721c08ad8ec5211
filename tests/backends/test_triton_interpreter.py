"""An interpreter that cannot run the kernels (triton 3.6 with numpy 2.4) is refused in one line.

Under the interpreter the launcher probes it once; where the probe fails, every Triton build
is ``Unsupported`` with the reason instead of an ``InterpreterError`` from inside the kernel.
"""

from __future__ import annotations

import pytest
import torch

from kernbench.backends import triton_interpreter
from kernbench.device import cpu_device
from kernbench.measure.outcome import Status
from kernbench.measure.run import Candidate, measure
from kernbench.measure.settings import MeasureSettings
from kernbench.registry import Registry
from kernbench.space import Config
from kernbench.variant import Unsupported
from tests.kernels.gemm.test_triton_ladder import gate

pytestmark = pytest.mark.skipif(
    torch.cuda.is_available(), reason="kernels are compiled, not interpreted, on a GPU"
)
NAIVE: Config = {"BLOCK_M": 32, "BLOCK_N": 32, "BLOCK_K": 32}


@pytest.fixture(scope="module")
def registry() -> Registry:
    reg = Registry()
    reg.add_reference("kernbench_kernels.gemm:PLUGIN")
    return reg


def test_probe_agrees_with_a_real_kernel(registry: Registry) -> None:
    """Where the probe passes the ladder runs; where it fails the build says why (numpy)."""
    issue = triton_interpreter.interpreter_issue()
    if issue is None:
        assert gate(registry, "triton_naive", "37x45x70", "fp16", NAIVE).ok
    else:
        with pytest.raises(Unsupported, match="numpy"):
            gate(registry, "triton_naive", "37x45x70", "fp16", NAIVE)


def test_a_failed_probe_is_recorded_as_unsupported_with_the_reason(
    registry: Registry, monkeypatch: pytest.MonkeyPatch
) -> None:
    reason = "triton 0.0's interpreter cannot run a loop over a runtime bound with numpy 9.9"
    monkeypatch.setattr(triton_interpreter, "interpreter_issue", lambda: reason)
    settings = MeasureSettings(min_samples=1, max_time_s=0.1, isolate=False)
    cand = Candidate("gemm", "triton_naive", "37x45x70", "fp16", NAIVE)
    outcome = measure(registry, cpu_device(), cand, settings)
    assert outcome.status == Status.UNSUPPORTED
    assert outcome.message is not None and reason in outcome.message
    assert "\n" not in outcome.message
