"""Whether Triton's interpreter can run the kernels here: a probe, run once per process.

Triton 3.6's interpreter turns a runtime loop bound into a Python int with ``int(array)``
on a one-element array, which NumPy 2.4 refuses (Triton 3.9 squeezes the array first).
Every kernel with a loop over a runtime bound then dies with an opaque ``InterpreterError``
deep in the interpreter, so the launcher runs this probe first and refuses in one line.
The probe runs a real (tiny) interpreted kernel: it tests the behaviour, not versions.
"""

from __future__ import annotations

from functools import cache

import triton.language as tl


def _loop_probe(out_ptr, n):  # type: ignore[no-untyped-def]
    """Sum 0..n-1 with a loop whose bound is a runtime argument, as every ladder kernel has."""
    total = 0
    for i in range(0, n):
        total += i
    tl.store(out_ptr, total)


@cache
def interpreter_issue() -> str | None:
    """Why interpreted kernels cannot run in this environment, or None when they can.

    Call it only under ``TRITON_INTERPRET=1``: the kernel is decorated here, at call time,
    so that Triton makes it an interpreted function.
    """
    import numpy
    import torch
    import triton

    out = torch.full((1,), -1, dtype=torch.int32)
    try:
        triton.jit(_loop_probe)[(1,)](out, 4)
    except Exception as exc:
        why = str(exc).strip().splitlines()[-1] if str(exc).strip() else type(exc).__name__
        return (
            f"triton {triton.__version__}'s interpreter cannot run a loop over a runtime "
            f"bound with numpy {numpy.__version__} ({why[:160]}); install an older numpy "
            "(triton 3.6 needs numpy < 2.4)"
        )
    if int(out[0]) != 6:
        return f"triton {triton.__version__}'s interpreter computed a wrong loop sum"
    return None
