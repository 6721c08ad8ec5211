"""Measuring one candidate: make inputs, build, pass the correctness gate, then time.

This runs inside a worker process (see :mod:`kernbench.measure.worker`), so everything it
takes and returns is plain data.
"""

from __future__ import annotations

import traceback
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from ..device import Device
from ..registry import Registry
from ..space import Config
from ..variant import Unsupported
from .gate import run_gate
from .outcome import Outcome, Status
from .sampling import SampleFn, run_samples
from .settings import MeasureSettings
from .stats import summarize
from .timers import CudaTimer, cpu_sampler


@dataclass(frozen=True)
class Candidate:
    """One thing to measure, named by plain data so it can cross a process boundary."""

    family: str
    variant: str
    problem: str
    dtype: str
    config: Config = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _failure_status(exc: BaseException, default: str) -> str:
    name = type(exc).__name__
    text = str(exc).lower()
    if name == "OutOfMemoryError" or "out of memory" in text:
        return Status.OOM
    if "illegal memory access" in text or "misaligned address" in text:
        return Status.CRASH
    if name in ("CompilationError", "CompileTimeAssertionFailure", "NVRTCError"):
        return Status.COMPILE_ERROR
    return default


def _message(exc: BaseException) -> str:
    lines = [line for line in str(exc).strip().splitlines() if line.strip()]
    return f"{type(exc).__name__}: {lines[-1] if lines else ''}"[:500]


def measure(
    registry: Registry, device: Device, cand: Candidate, settings: MeasureSettings
) -> Outcome:
    """Gate and time one candidate in this process. Never raises for kernel faults."""
    family = registry.family(cand.family)
    variant = registry.variant(cand.variant)
    problem = family.parse(cand.problem)
    settings = settings.resolved(family.memory_bound)
    sync = _synchronizer(device)

    try:
        inputs = family.make_inputs(problem, cand.dtype, device.torch_device, settings.seed)
        reference = family.reference(problem, inputs)
    except Exception as exc:
        return Outcome(_failure_status(exc, Status.CRASH), f"inputs/reference: {_message(exc)}")
    try:
        launch = variant.build(problem, dict(cand.config), inputs)
    except Unsupported as exc:
        return Outcome(Status.UNSUPPORTED, str(exc))
    except Exception as exc:
        return Outcome(_failure_status(exc, Status.COMPILE_ERROR), _message(exc))
    try:
        gate = run_gate(family, problem, cand.dtype, inputs, launch, reference, sync)
    except Exception as exc:
        detail = traceback.format_exception_only(type(exc), exc)[-1].strip()
        return Outcome(_failure_status(exc, Status.LAUNCH_ERROR), detail[:500])
    if not gate.ok:
        return Outcome(Status.WRONG, gate.message, error=gate.error, unwritten=gate.unwritten)

    try:
        sample, method = _sampler(device, settings, launch)
        keep = method.pop("_keep", None)
        run = run_samples(sample, settings, keep)
    except Exception as exc:
        return Outcome(_failure_status(exc, Status.LAUNCH_ERROR), f"timing: {_message(exc)}", error=gate.error)
    good = [s for s, k in zip(run.samples, run.kept) if k]
    throttled = [i for i, k in enumerate(run.kept) if not k]
    method.update(
        warmup_launches=run.warmup_launches,
        warmup_s=run.warmup_s,
        stop_reason=run.decision.reason,
        measured_s=run.elapsed_s,
    )
    if throttled:
        method["note"] = f"{len(throttled)} samples taken under the clock threshold were left out"
    return Outcome(
        Status.OK,
        run.decision.reason,
        error=gate.error,
        samples=run.samples,
        throttled=throttled,
        stats=summarize(good or run.samples, settings.confidence).as_dict(),
        noisy=run.decision.noisy,
        method=method,
    )


def _synchronizer(device: Device) -> Any:
    if device.is_gpu:
        import torch

        return torch.cuda.synchronize
    return lambda: None


def _sampler(device: Device, settings: MeasureSettings, launch: Any) -> tuple[SampleFn, dict[str, Any]]:
    if device.is_gpu:
        timer = CudaTimer(device, settings)
        return timer.sampler(launch)
    return cpu_sampler(launch), {"timer": "cpu-wall-clock", "cache": "n/a (cpu)"}


def measure_many(
    registry: Registry, device: Device, cands: Sequence[Candidate], settings: MeasureSettings
) -> list[Outcome]:
    return [measure(registry, device, c, settings) for c in cands]
