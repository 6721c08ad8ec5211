"""CUDA C++ sources to PTX for the emulator, through the compiler kernbench already drives."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path


def compile_cuda(
    source: str | os.PathLike[str],
    arch: str = "sm_80",
    defines: Mapping[str, int | float | str | bool] | None = None,
    options: Sequence[str] = (),
) -> str:
    """The PTX of a ``.cu`` file for ``arch``, with line information so findings name CUDA
    source lines. Kernels keep their names with ``extern "C"`` (otherwise pass the mangled
    name to :func:`~kernbench.emulator.launch`). Cached like every kernbench compile."""
    from ..backends.cuda import compile_ptx

    return compile_ptx(Path(source).resolve(), arch, defines, options)
