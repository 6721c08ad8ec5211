"""Timers: how one sample is taken on each device.

GPU samples are CUDA events on a dedicated stream. Before the start event a spin kernel
(``torch.cuda._sleep``) keeps the GPU busy while the host enqueues the flush, the events and
the launch, so the host's launch cost never sits between the two events.

- Hot, long kernels: one launch per sample, back to back.
- Cold, long kernels: the L2 is flushed (a write to a buffer twice the L2 size, from the
  device properties) before the start event of every sample.
- Short kernels (under ``graph_below_s``): a batch of launches captured in one CUDA graph;
  the per-launch time is the replay time over the batch, so launch overhead stays out.
- Cold, short kernels: a flush cannot go inside the batch without being timed with it, and
  subtracting a separately timed flush adds the flush's own noise (often larger than the
  kernel) and misses its effect on the kernel. Instead the graph rotates among enough input
  sets, each built through the variant's ``build``, that the data the other sets touch
  between two uses of a set is at least twice the L2: every launch starts from a cold L2
  for its own data. Where that would need too many sets or too much memory, the sample is
  one flushed launch instead, and the method says so.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..device import Device
from ..variant import Launch
from .clocks import Window
from .sampling import SampleFn
from .settings import MeasureSettings

PREDELAY_CYCLES = 200_000
"""GPU cycles (about 0.1 ms) of spinning before each timed sample; hides host enqueue time."""
MAX_SETS = 512
"""The most input sets a cold short kernel may rotate among."""
SET_MEMORY_FRACTION = 0.25
"""Rotated input sets may use at most this fraction of the free device memory."""
MAX_GRAPH_BATCH = 1000
FALLBACK_L2 = 64 * 1024 * 1024


@dataclass
class InputSets:
    """How to make more input sets for rotation: ``build(i)`` returns a launch on set ``i``."""

    touched_bytes: float
    """Bytes one launch must move at least (the family's cost model)."""
    alloc_bytes: int
    """Bytes one input set occupies."""
    build: Callable[[int], Launch]


@dataclass
class TimedSampler:
    """A sample function, the host windows of its last call, and how it measures."""

    sample: SampleFn
    method: dict[str, Any]
    windows: list[Window] = field(default_factory=list)
    close: Callable[[], None] = lambda: None


def _windowed(body: Callable[[], float], windows: list[Window]) -> SampleFn:
    def sample() -> Sequence[float]:
        t0 = time.perf_counter()
        value = body()
        windows[:] = [(t0, time.perf_counter())]
        return [value]

    return sample


def cpu_sampler(launch: Launch) -> SampleFn:
    """Wall-clock samples on the CPU device (correctness runs; never GPU performance)."""

    def sample() -> Sequence[float]:
        start = time.perf_counter()
        launch()
        return [time.perf_counter() - start]

    return sample


def cpu_timed(launch: Launch) -> TimedSampler:
    """The CPU sampler with its host windows (for the same loop as the GPU)."""
    windows: list[Window] = []
    sample = cpu_sampler(launch)
    method = {"timer": "cpu-wall-clock", "cache": "n/a (cpu)"}
    return TimedSampler(_windowed(lambda: sample()[0], windows), method, windows)


def graph_batch(seconds_per_launch: float, settings: MeasureSettings) -> int:
    """Launches per graph replay: enough for ``graph_batch_s`` of work, 2..1000."""
    if seconds_per_launch >= settings.graph_below_s:
        return 1
    return max(
        2, min(MAX_GRAPH_BATCH, math.ceil(settings.graph_batch_s / max(seconds_per_launch, 1e-7)))
    )


def sets_needed(l2_bytes: int, touched_bytes: float) -> int:
    """Input sets to rotate so the others move at least twice the L2 between uses of one."""
    return math.ceil(2 * l2_bytes / max(touched_bytes, 1.0)) + 1


class CudaTimer:
    """Builds the sample function for one launch on one GPU."""

    def __init__(self, device: Device, settings: MeasureSettings) -> None:
        import torch

        self.device = device
        self.settings = settings
        self.stream = torch.cuda.Stream()
        self.l2_bytes = device.l2_bytes or FALLBACK_L2
        self.flush_bytes = 2 * self.l2_bytes
        self._flush_buffer: Any = None
        self._keep: list[Any] = []

    def flush(self) -> None:
        import torch

        if self._flush_buffer is None:
            self._flush_buffer = torch.empty(self.flush_bytes, dtype=torch.uint8, device="cuda")
        self._flush_buffer.fill_(0x5A)

    def timed(self, body: Callable[[], object], flush: bool = False) -> float:
        """Seconds between events around ``body`` (after a flush when asked)."""
        import torch

        start = torch.cuda.Event(enable_timing=True)
        end = torch.cuda.Event(enable_timing=True)
        with torch.cuda.stream(self.stream):
            torch.cuda._sleep(PREDELAY_CYCLES)
            if flush:
                self.flush()
            start.record(self.stream)
            body()
            end.record(self.stream)
        end.synchronize()
        return float(start.elapsed_time(end)) / 1e3

    def capture(self, launches: Sequence[Launch]) -> Any:
        """One CUDA graph replaying ``launches`` in order on the dedicated stream."""
        import torch

        torch.cuda.synchronize()  # input sets were made on the default stream
        with torch.cuda.stream(self.stream):
            for launch in launches:  # outside capture first: lazy allocations must not be captured
                launch()
        self.stream.synchronize()
        graph = torch.cuda.CUDAGraph()
        with torch.cuda.graph(graph, stream=self.stream):
            for launch in launches:
                launch()
        torch.cuda.synchronize()
        return graph

    def prepare(self, launch: Launch, sets: InputSets | None = None) -> TimedSampler:
        """Choose the method for this launch (see the module docstring) and build its sampler."""
        probe = min(self.timed(launch) for _ in range(3))
        cold = self.settings.cache == "cold"
        batch = graph_batch(probe, self.settings)
        method: dict[str, Any] = {
            "timer": "cuda-events",
            "stream": "dedicated",
            "cache": self.settings.cache,
            "predelay_cycles": PREDELAY_CYCLES,
            "probe_s": probe,
            "graph_batch": 1,
        }
        windows: list[Window] = []
        launches = [launch]
        if batch > 1 and cold:
            launches, why = self._rotation(launch, sets)
            if why:
                method["graph_skipped"] = why
                batch = 1
            else:
                method.update(
                    cold_method="rotate-input-sets",
                    input_sets=len(launches),
                    set_bytes=sets.alloc_bytes if sets else 0,
                )
        if batch > 1:
            batch = len(launches) * math.ceil(batch / len(launches))
            try:
                graph = self.capture([launches[i % len(launches)] for i in range(batch)])
            except Exception as exc:  # a launch that cannot be captured is timed one by one
                method["graph_skipped"] = f"capture failed: {type(exc).__name__}: {exc}"[:300]
                batch, launches = 1, [launch]
                method.pop("cold_method", None)
            else:
                self._keep.append(graph)
                method.update(timer="cuda-graph-events", graph_batch=batch)
                n = batch
                timed = TimedSampler(
                    _windowed(lambda: self.timed(graph.replay) / n, windows), method, windows
                )
                timed.close = self.close
                return timed
        if cold:
            method.update(cold_method="l2-flush", flush_bytes=self.flush_bytes)
        timed = TimedSampler(
            _windowed(lambda: self.timed(launch, flush=cold), windows), method, windows
        )
        timed.close = self.close
        return timed

    def _rotation(self, launch: Launch, sets: InputSets | None) -> tuple[list[Launch], str]:
        """Launches on enough input sets for a cold L2, or the reason it cannot be done."""
        import torch

        if sets is None:
            return [
                launch
            ], "cold rotation needs input sets (none given); flushing per launch instead"
        needed = sets_needed(self.l2_bytes, sets.touched_bytes)
        free, _total = torch.cuda.mem_get_info()
        extra = (needed - 1) * sets.alloc_bytes
        if needed > MAX_SETS or extra > SET_MEMORY_FRACTION * free:
            return [launch], (
                f"cold rotation would need {needed} input sets ({extra / 2**20:.0f} MiB); "
                "flushing per launch instead"
            )
        launches = [launch, *(sets.build(i) for i in range(1, needed))]
        self._keep.append(launches)
        return launches, ""

    def close(self) -> None:
        """Free graphs, rotated input sets and the flush buffer."""
        self._keep.clear()
        self._flush_buffer = None
