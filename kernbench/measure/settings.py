"""Measurement settings: every knob is explicit and is stored with each result (like nvbench)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from typing import Any


@dataclass(frozen=True)
class MeasureSettings:
    """How one candidate is timed; ``cache`` is ``cold`` (flush L2), ``hot`` or ``auto``."""

    cache: str = "auto"
    target_rel_ci: float = 0.01
    """Stop once the confidence interval of the median is within ± this fraction of it."""
    confidence: float = 0.95
    min_samples: int = 10
    max_samples: int = 100_000
    min_time_s: float = 0.5
    max_time_s: float = 15.0
    warmup_min_s: float = 0.05
    warmup_max_s: float = 2.0
    warmup_settle: float = 0.02
    """Warm-up ends when the last few launches agree within this fraction."""
    graph_below_s: float = 50e-6
    """Kernels shorter than this are timed in CUDA-graph batches (per-launch time reported)."""
    graph_batch_s: float = 500e-6
    throttle_fraction: float = 0.75
    """Samples taken while the SM clock was under this fraction of its maximum are dropped."""
    timeout_s: float = 120.0
    """A candidate (gate plus timing) that runs longer than this is killed and recorded."""
    seed: int = 0
    isolate: bool = True
    """Run each candidate in a worker process, so a crash or hang costs only that candidate."""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def resolved(self, memory_bound: bool) -> MeasureSettings:
        """Settle ``cache=auto``: cold for memory-bound families, hot otherwise."""
        if self.cache != "auto":
            return self
        return replace(self, cache="cold" if memory_bound else "hot")


QUICK = MeasureSettings(min_samples=5, min_time_s=0.05, max_time_s=2.0, target_rel_ci=0.05)
"""For the CPU device and tests: its timings mean nothing, so spend little time on them."""
