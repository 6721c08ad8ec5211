"""Measuring one candidate: make inputs, build, pass the correctness gate, then time.

This runs inside a worker process (see :mod:`kernbench.measure.worker`), so everything it
takes and returns is plain data.
"""

from __future__ import annotations

import time
import traceback
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from ..device import EMU_TIMING_NOTE, Device
from ..registry import Registry
from ..space import Config
from ..variant import Launch, Unsupported
from .clocks import open_monitor
from .gate import run_gate
from .outcome import Outcome, Status
from .sampling import SampleRun, run_samples
from .settings import MeasureSettings
from .stats import summarize
from .timers import CudaTimer, InputSets, cpu_timed


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
    if (
        name in ("OutOfMemoryError", "MemoryError")
        or "out of memory" in text
        or "can't allocate memory" in text
    ):
        return Status.OOM
    if any(sign in text for sign in _CRASH_SIGNS):
        return Status.CRASH
    if name in ("CompilationError", "CompileTimeAssertionFailure", "NVRTCError"):
        return Status.COMPILE_ERROR
    if name == "EmulatorFindings":
        return Status.FINDING
    return default


_CRASH_SIGNS = (
    "illegal memory access",
    "misaligned address",
    "unspecified launch failure",
    "device-side assert",
    "illegal instruction",
    "an illegal address",
)
"""CUDA errors after which the context is unusable: the candidate crashed."""


def _message(exc: BaseException) -> str:
    lines = [line for line in str(exc).strip().splitlines() if line.strip()]
    return f"{type(exc).__name__}: {lines[-1] if lines else ''}"[:500]


def measure(
    registry: Registry, device: Device, cand: Candidate, settings: MeasureSettings
) -> Outcome:
    """Gate and time one candidate in this process. Never raises for kernel faults.

    A candidate that fails the gate is returned before any timing: it is never timed.
    """
    clock = Stopwatch()
    outcome = _measure(registry, device, cand, settings, clock)
    outcome.method[STAGES_KEY] = clock.stages
    return outcome


STAGES_KEY = "stages_s"
"""Where an outcome's ``method`` keeps the seconds spent in each stage of its measurement."""


class Stopwatch:
    """Seconds per stage of one measurement: a tune adds them up to show where its time goes."""

    def __init__(self) -> None:
        self.stages: dict[str, float] = {}
        self._mark = time.perf_counter()

    def lap(self, stage: str) -> None:
        """Charge the time since the last lap to ``stage``."""
        now = time.perf_counter()
        self.stages[stage] = self.stages.get(stage, 0.0) + now - self._mark
        self._mark = now


def _measure(
    registry: Registry, device: Device, cand: Candidate, settings: MeasureSettings, clock: Stopwatch
) -> Outcome:
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
    finally:
        clock.lap("gate")  # inputs and reference serve the gate
    if device.is_emulated:
        from ..backends.emu_launch import take_results

        take_results()  # a failed candidate before this one may have left its launches
    try:
        launch = variant.build(problem, dict(cand.config), inputs)
    except Unsupported as exc:
        return Outcome(Status.UNSUPPORTED, str(exc))
    except Exception as exc:
        return Outcome(_failure_status(exc, Status.COMPILE_ERROR), _message(exc))
    finally:
        clock.lap("compile")
    try:
        gate = run_gate(family, problem, cand.dtype, inputs, launch, reference, sync)
    except Exception as exc:
        detail = traceback.format_exception_only(type(exc), exc)[-1].strip()
        return Outcome(_failure_status(exc, Status.LAUNCH_ERROR), detail[:500])
    finally:
        clock.lap("gate")  # a JIT compiles at the first launch, which is the gate's
    if not gate.ok:
        return Outcome(Status.WRONG, gate.message, error=gate.error, unwritten=gate.unwritten)
    if device.is_emulated:  # the output elements the gate checked, for per-element counts
        outputs = sum(int(t.numel()) for t in reference.values() if hasattr(t, "numel"))
        return _emulated(gate.error, settings, clock, outputs)
    del reference

    def build_set(i: int) -> Launch:
        more = family.make_inputs(problem, cand.dtype, device.torch_device, settings.seed + i)
        return variant.build(problem, dict(cand.config), more)

    sets = InputSets(family.min_bytes(problem, cand.dtype), _tensor_bytes(inputs), build_set)
    try:
        run, method = time_launch(device, settings, launch, sets)
    except Exception as exc:
        return Outcome(
            _failure_status(exc, Status.LAUNCH_ERROR), f"timing: {_message(exc)}", error=gate.error
        )
    finally:
        clock.lap("samples")
    # time_launch's set-up (timer, input sets, clock monitor) is harness time, not sampling
    whole = clock.stages.pop("samples")
    clock.stages.update(
        warmup=run.warmup_s,
        samples=run.elapsed_s,
        other=max(0.0, whole - run.warmup_s - run.elapsed_s),
    )
    good = run.good
    noisy = run.decision.noisy
    if run.throttled:
        method["note"] = (
            f"{len(run.throttled)} samples taken under the clock threshold were left out"
        )
    if not good:
        method["note"] = "every sample was taken under the clock threshold: statistics use them all"
        noisy = True
    if variant.context is not None:
        method["context"] = variant.context()
    return Outcome(
        Status.OK,
        run.decision.reason,
        error=gate.error,
        samples=run.samples,
        throttled=run.throttled,
        stats=summarize(good or run.samples, settings.confidence).as_dict(),
        noisy=noisy,
        method=method,
    )


def _emulated(
    error: float | None, settings: MeasureSettings, clock: Stopwatch, outputs: int = 0
) -> Outcome:
    """An emulated candidate's record: the gate's one launch, its emulator wall time as the
    only sample (harness time, never performance) and what the emulator counted (``outputs``:
    the output elements the gate checks, for the per-output-element counters)."""
    from ..backends.emu_launch import describe_results, take_results

    results = take_results()
    wall = sum(one.wall_s for one in results)
    clock.stages["samples"] = 0.0
    emulator = describe_results(results, outputs)
    method = {"timer": "emulator", "note": EMU_TIMING_NOTE, "emulator": emulator}
    return Outcome(
        Status.OK,
        "emulated: the gate's launch is the one sample",
        error=error,
        samples=[wall],
        stats=summarize([wall], settings.confidence).as_dict(),
        method=method,
    )


def time_launch(
    device: Device, settings: MeasureSettings, launch: Launch, sets: InputSets | None = None
) -> tuple[SampleRun, dict[str, Any]]:
    """Choose the timer, watch the clocks, run the sampling loop; every setting goes in ``method``.

    The one timing path of kernbench: ``measure`` and the pytest plugin both call it. ``sets``
    lets cold short kernels rotate among input sets; without it they flush L2 per sample.
    """
    timed = (
        CudaTimer(device, settings).prepare(launch, sets) if device.is_gpu else cpu_timed(launch)
    )
    monitor = open_monitor(device.is_gpu, settings.throttle_fraction)
    monitor.start()
    try:
        run = run_samples(timed.sample, settings, keep=lambda: monitor.keep(timed.windows))
    finally:
        monitor.stop()
        timed.close()
    method = dict(timed.method)
    method.update(
        warmup_launches=run.warmup_launches,
        warmup_s=run.warmup_s,
        warmup_settled=run.warmup_settled,
        stop_reason=run.decision.reason,
        measured_s=run.elapsed_s,
        clocks=monitor.describe(),
    )
    return run, method


def _tensor_bytes(inputs: dict[str, Any]) -> int:
    return sum(
        int(v.numel() * v.element_size()) for v in inputs.values() if hasattr(v, "element_size")
    )


def _synchronizer(device: Device) -> Callable[[], None]:
    if device.is_gpu:
        import torch

        return torch.cuda.synchronize
    return lambda: None
