"""Launching CUDA kernel builds on the PTX emulator: the emulated device's half of launching.

A :class:`KernelBuild` compiles to PTX (cached, with line information) instead of a cubin,
and a launch closure runs it through :func:`kernbench.emulator.launch` on the host tensors the
harness made. Findings (out-of-bounds, races, deadlocks...) raise :class:`EmulatorFindings`,
which the measurement files under its own status; the last launch's result is kept so the
measurement can store what the emulator counted.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ..variant import Launch
from .cuda import KernelBuild

_LAST: list[Launched] = []
"""The most recent launch results of this process (cleared by :func:`take_results`)."""


class EmulatorFindings(RuntimeError):
    """The emulator found errors in a launch: the message lists them, one per line."""

    def __init__(self, kernel: str, findings: Sequence[Any]) -> None:
        self.findings = list(findings)
        lines = [str(f) for f in self.findings[:5]]
        more = len(self.findings) - len(lines)
        if more > 0:
            lines.append(f"... and {more} more")
        noun = "finding" if len(self.findings) == 1 else "findings"
        super().__init__(f"{kernel}: {len(self.findings)} emulator {noun}: " + "; ".join(lines))


def take_results() -> list[Launched]:
    """The launch results recorded since the last call (the measurement reads them once)."""
    out = list(_LAST)
    _LAST.clear()
    return out


@dataclass(frozen=True)
class Launched:
    """One emulated launch: what was launched and what the emulator reported."""

    kernel: str
    arch: str
    grid: tuple[int, ...]
    block: tuple[int, ...]
    result: Any

    @property
    def wall_s(self) -> float:
        return float(self.result.wall_time)


def describe_results(launches: Sequence[Launched], outputs: int = 0) -> dict[str, Any]:
    """What a record stores of its emulated launches: per kernel, the architecture and what
    the emulator counted (exact and deterministic, unlike its wall time); the counters of
    all launches summed, per output element where ``outputs`` is known, and the hottest PTX
    lines with their CUDA source lines (see :mod:`kernbench.emulator.counters`)."""
    from ..emulator.counters import summarize

    out: dict[str, Any] = {
        "launches": [
            {
                "kernel": one.kernel,
                "arch": one.arch,
                "grid": list(one.grid),
                "block": list(one.block),
                "warp_instructions": int(one.result.warp_instructions),
                "thread_instructions": int(one.result.thread_instructions),
                "wall_s": one.wall_s,
            }
            for one in launches
        ]
    }
    counted = [one for one in launches if getattr(one.result, "counts", None) is not None]
    if counted:
        ctas = sum(math.prod(one.grid) for one in counted)
        out.update(summarize([one.result.counts for one in counted], outputs, ctas))
    return out


def _dims(value: int | Sequence[int]) -> tuple[int, ...]:
    """Launch dimensions as given (one to three), which is how records keep them."""
    return (value,) if isinstance(value, int) else tuple(value)


class EmulatedKernel:
    """One kernel of a build, compiled to PTX for ``arch`` and launched on the emulator;
    the same ``launcher`` contract as :class:`kernbench.backends.cuda_launch.Kernel`."""

    def __init__(self, build: KernelBuild, arch: str) -> None:
        self.name = build.kernel
        self.arch = arch
        self.dynamic_shared = build.dynamic_shared
        self.ptx = build.ptx(arch)

    def launcher(
        self,
        grid: int | Sequence[int],
        block: int | Sequence[int],
        args: Sequence[Any],
        cluster: int | Sequence[int] | None = None,
    ) -> Launch:
        from .. import emulator

        ptx, name, arch, shared = self.ptx, self.name, self.arch, self.dynamic_shared
        arguments = tuple(getattr(a, "raw", a) for a in args)  # a TensorMap by its bytes
        dims, threads = _dims(grid), _dims(block)
        clusters = None if cluster is None else _dims(cluster)

        def launch() -> None:
            result = emulator.launch(
                ptx,
                name,
                dims,
                threads,
                arguments,
                shared_bytes=shared,
                arch=arch,
                cluster=clusters,
            )
            _LAST.append(Launched(name, arch, dims, threads, result))
            if result.findings:
                raise EmulatorFindings(name, result.findings)

        return launch
