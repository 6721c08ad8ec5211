"""GPU faults planted in a Triton kernel: an out-of-bounds write, a kernel that never ends,
and one that writes only half its output. ``ok`` is the correct kernel."""

from __future__ import annotations

import torch
import triton
import triton.language as tl

from kernbench.family import Inputs
from kernbench.problem import Problem
from kernbench.space import Categorical, Config, Space
from kernbench.variant import Launch, Requirements, variant

MODES = {"ok": 0, "oob": 1, "spin": 2, "half": 3}
FAR = 1 << 36
"""Elements past the output that the ``oob`` mode writes to: far outside any allocation."""


@triton.jit
def toy_kernel(x_ptr, out_ptr, flag_ptr, n, far, MODE: tl.constexpr, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    y = 2.0 * tl.load(x_ptr + offs, mask=mask) + 1.0
    if MODE == 1:
        tl.store(out_ptr + offs.to(tl.int64) + far, y, mask=mask)
    elif MODE == 2:
        flag = tl.load(flag_ptr)
        while flag == 0:  # nothing ever sets the flag
            flag = tl.load(flag_ptr, volatile=True)
        tl.store(out_ptr + offs, y, mask=mask)
    elif MODE == 3:
        tl.store(out_ptr + offs, y, mask=offs < n // 2)
    else:
        tl.store(out_ptr + offs, y, mask=mask)


@variant(
    family="toy",
    name="toy_triton_faulty",
    language="triton",
    space=Space(params=(Categorical("mode", tuple(MODES)),)),
    defaults=[{"mode": "ok"}],
    requires=Requirements(devices=frozenset({"cuda"})),
)
def build(problem: Problem, config: Config, inputs: Inputs) -> Launch:
    """One program per 1024 elements; ``mode`` plants the fault."""
    x, out = inputs["x"], inputs["out"]
    n = out.numel()
    flag = torch.zeros(1, dtype=torch.int32, device=out.device)
    grid = (triton.cdiv(n, 1024),)
    mode = MODES[str(config["mode"])]

    def launch() -> None:
        toy_kernel[grid](x, out, flag, n, FAR, MODE=mode, BLOCK=1024)

    return launch
