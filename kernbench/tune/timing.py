"""Where a tune's wall time goes: seconds per stage, printed and stored with the study.

The worker reports compile, gate, warm-up and sampling seconds with each outcome (see
:data:`kernbench.measure.run.STAGES_KEY`); the tuner adds static check, sampler, store and
confirmation. What no stage claims is ``other``, so the stages always add up to the wall time.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

ATTR = "kernbench_time_breakdown"
"""The study user attribute that keeps the breakdown of the latest run."""

STAGES = (
    "static_check",
    "compile",
    "gate",
    "warmup",
    "samples",
    "worker_start",
    "sampler",
    "store",
    "confirm",
    "other",
)

MEASURED = ("static_check", "compile", "samples", "confirm")
"""Stages that do the work asked for (confirmation is once per tune, shown on its own line);
the rest of the wall time is the harness's overhead per trial."""


@dataclass
class TimeBreakdown:
    """Seconds per stage of one tune run, and the unique evaluations it made."""

    stages: dict[str, float] = field(default_factory=lambda: dict.fromkeys(STAGES, 0.0))
    trials: int = 0
    _start: float = field(default_factory=time.monotonic)

    def add(self, stage: str, seconds: float) -> None:
        if stage not in self.stages:
            raise ValueError(f"unknown stage {stage!r} (known: {', '.join(STAGES)})")
        self.stages[stage] += max(0.0, seconds)

    def add_all(self, stages: Mapping[str, float]) -> None:
        for stage, seconds in stages.items():
            self.add(stage if stage in self.stages else "other", float(seconds))

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        began = time.perf_counter()
        try:
            yield
        finally:
            self.add(name, time.perf_counter() - began)

    def wall_s(self) -> float:
        return time.monotonic() - self._start

    def as_attr(self, wall_s: float | None = None) -> dict[str, Any]:
        """The stored form: ``{"wall_s", "trials", "stages"}``; ``other`` takes what is unclaimed."""
        wall = self.wall_s() if wall_s is None else wall_s
        stages = dict(self.stages)
        claimed = sum(v for k, v in stages.items() if k != "other")
        stages["other"] = max(stages["other"], wall - claimed)
        return {"wall_s": max(wall, sum(stages.values())), "trials": self.trials, "stages": stages}


def overhead_s(attr: Mapping[str, Any]) -> float:
    """Harness seconds: wall time outside static check, compile and timed samples."""
    stages = attr.get("stages", {})
    return float(attr.get("wall_s", 0.0)) - sum(float(stages.get(k, 0.0)) for k in MEASURED)


def describe(attr: Mapping[str, Any]) -> list[str]:
    """Lines for the terminal: each stage's seconds, in all and per trial, then the overhead."""
    trials = int(attr.get("trials", 0))
    per = max(trials, 1)
    wall = float(attr.get("wall_s", 0.0))
    lines = [f"where the time went: {wall:.1f} s for {trials} unique evaluations"]
    for stage, seconds in attr.get("stages", {}).items():
        if seconds >= 0.0005:
            lines.append(
                f"  {stage:<13}{seconds:9.2f} s {seconds / per:9.3f} s/trial "
                f"{seconds / wall if wall else 0:6.1%}"
            )
    warmup = float(attr.get("stages", {}).get("warmup", 0.0))
    lines.append(
        f"  harness overhead (outside static check, compile, samples, confirm): "
        f"{overhead_s(attr) / per:.3f} s/trial, of which warm-up {warmup / per:.3f} s/trial"
    )
    return lines
