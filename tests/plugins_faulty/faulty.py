"""A toy variant whose ``mode`` picks a fault: abort, segfault, hang, half output, wrong values.

``ok`` and ``ok_slow`` are correct (``ok_slow`` does the work twice), so a tune over this
space has a right answer to find while the others fault around it. ``LAUNCHES`` counts the
launches made in this process, so in-process tests can tell that a wrong result was never
timed. Where ``KERNBENCH_TOY_PIDFILE`` is set, a hanging launch writes its pid there first.
"""

from __future__ import annotations

import ctypes
import os
import time

import torch

from kernbench.family import Inputs
from kernbench.problem import Problem
from kernbench.space import Categorical, Config, Space
from kernbench.variant import Launch, variant

MODES = ("ok", "ok_slow", "abort", "segv", "hang", "half", "wrong", "oom")
LAUNCHES = {"count": 0}


def _hang() -> None:
    path = os.environ.get("KERNBENCH_TOY_PIDFILE")
    if path:
        with open(path, "w") as fh:
            fh.write(str(os.getpid()))
    while True:
        time.sleep(1)


@variant(
    family="toy",
    name="toy_faulty",
    language="python",
    space=Space(params=(Categorical("mode", MODES),)),
    defaults=[{"mode": "ok"}],
)
def build(problem: Problem, config: Config, inputs: Inputs) -> Launch:
    """Misbehaves as ``mode`` says, inside the launch (where real kernels fault)."""
    x, out = inputs["x"], inputs["out"]
    mode = config["mode"]
    n = out.numel()

    def launch() -> None:
        LAUNCHES["count"] += 1
        if mode == "abort":
            os.abort()
        elif mode == "segv":
            ctypes.string_at(0)  # reads address 0: SIGSEGV
        elif mode == "hang":
            _hang()
        elif mode == "oom":
            torch.empty(1 << 62, dtype=torch.uint8, device=out.device)
        elif mode == "half":
            torch.mul(x[: n // 2], 2.0, out=out[: n // 2]).add_(1.0)
        elif mode == "wrong":
            torch.mul(x, 2.0, out=out).add_(1.5)
        else:
            for _ in range(2 if mode == "ok_slow" else 1):
                torch.mul(x, 2.0, out=out).add_(1.0)

    return launch
