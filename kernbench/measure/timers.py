"""Timers: how one sample is taken on each device.

GPU samples use CUDA events on a dedicated stream. Cold samples flush L2 first with a write
to a buffer twice the device's L2. Kernels under ``graph_below_s`` are captured ``batch``
times in a CUDA graph and the per-launch time is the replay time over ``batch``, which keeps
launch overhead out.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from ..device import Device
from ..variant import Launch
from .sampling import SampleFn
from .settings import MeasureSettings


def cpu_sampler(launch: Launch) -> SampleFn:
    """Wall-clock samples on the CPU device (correctness runs; never GPU performance)."""

    def sample() -> Sequence[float]:
        start = time.perf_counter()
        launch()
        return [time.perf_counter() - start]

    return sample


@dataclass
class CudaTimer:
    """Builds the per-sample function for one launch on one GPU."""

    device: Device
    settings: MeasureSettings
    stream: Any = None
    flush_buffer: Any = None

    def __post_init__(self) -> None:
        import torch

        self.stream = torch.cuda.Stream()
        if self.settings.cache == "cold":
            l2 = self.device.l2_bytes or 64 * 1024 * 1024
            self.flush_buffer = torch.empty(2 * l2 // 4, dtype=torch.int32, device="cuda")

    def flush(self) -> None:
        if self.flush_buffer is not None:
            self.flush_buffer.fill_(0x5A5A)

    def single_launch_time(self, launch: Launch) -> float:
        """One timed launch (after a flush in cold mode), in seconds."""
        import torch

        start = torch.cuda.Event(enable_timing=True)
        end = torch.cuda.Event(enable_timing=True)
        with torch.cuda.stream(self.stream):
            self.flush()
            start.record()
            launch()
            end.record()
        end.synchronize()
        return float(start.elapsed_time(end)) / 1e3

    def graph_batch(self, launch: Launch, seconds_per_launch: float) -> int:
        if seconds_per_launch >= self.settings.graph_below_s:
            return 1
        return max(2, min(1000, int(self.settings.graph_batch_s / max(seconds_per_launch, 1e-7))))

    def sampler(self, launch: Launch) -> tuple[SampleFn, dict[str, Any]]:
        """The sample function and a description of the method it uses."""
        import torch

        probe = min(self.single_launch_time(launch) for _ in range(3))
        batch = self.graph_batch(launch, probe)
        method: dict[str, Any] = {"timer": "cuda-events", "cache": self.settings.cache, "graph_batch": batch}
        if batch == 1:
            return (lambda: [self.single_launch_time(launch)]), method

        graph = torch.cuda.CUDAGraph()
        with torch.cuda.stream(self.stream):
            launch()  # a launch outside capture first: lazy allocations must not be captured
            self.stream.synchronize()
            with torch.cuda.graph(graph, stream=self.stream):
                for _ in range(batch):
                    if self.flush_buffer is not None:
                        self.flush()
                    launch()
        method["timer"] = "cuda-graph-events"
        flush_graph: Callable[[], float] | None = None
        if self.flush_buffer is not None:
            flush_graph = self._flush_only_graph(batch)
            method["flush_subtracted"] = True

        def sample() -> Sequence[float]:
            start = torch.cuda.Event(enable_timing=True)
            end = torch.cuda.Event(enable_timing=True)
            with torch.cuda.stream(self.stream):
                start.record()
                graph.replay()
                end.record()
            end.synchronize()
            total = float(start.elapsed_time(end)) / 1e3
            if flush_graph is not None:
                total -= flush_graph()
            return [max(total, 0.0) / batch]

        return sample, method

    def _flush_only_graph(self, batch: int) -> Callable[[], float]:
        """Time ``batch`` flushes alone, so a cold graph's flush cost can be subtracted."""
        import torch

        graph = torch.cuda.CUDAGraph()
        with torch.cuda.stream(self.stream):
            self.flush()
            self.stream.synchronize()
            with torch.cuda.graph(graph, stream=self.stream):
                for _ in range(batch):
                    self.flush()

        def timed() -> float:
            start = torch.cuda.Event(enable_timing=True)
            end = torch.cuda.Event(enable_timing=True)
            with torch.cuda.stream(self.stream):
                start.record()
                graph.replay()
                end.record()
            end.synchronize()
            return float(start.elapsed_time(end)) / 1e3

        return timed
