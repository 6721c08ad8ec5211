"""Synthetic sample streams and a fake clock, so the sampling loop runs without sleeping."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np


class FakeClock:
    """Time advances only by what the samples say they took (plus a fixed overhead)."""

    def __init__(self, overhead_s: float = 0.0) -> None:
        self.now = 0.0
        self.overhead_s = overhead_s

    def __call__(self) -> float:
        return self.now


def stream(values: Callable[[int], float], clock: FakeClock) -> Callable[[], Sequence[float]]:
    """A sample function returning ``values(i)`` for the i-th call and advancing the clock."""
    state = {"i": 0}

    def sample() -> Sequence[float]:
        value = values(state["i"])
        state["i"] += 1
        clock.now += value + clock.overhead_s
        return [value]

    return sample


def stable(median: float = 1e-3, rel_noise: float = 0.002, seed: int = 0) -> Callable[[int], float]:
    rng = np.random.default_rng(seed)
    return lambda i: float(median * (1 + rel_noise * rng.standard_normal()))


def heavy_noise(median: float = 1e-3, seed: int = 0) -> Callable[[int], float]:
    """Log-normal with 60% spread: the median cannot be pinned down to 1% in the budget."""
    rng = np.random.default_rng(seed)
    return lambda i: float(median * rng.lognormal(0.0, 0.6))


def drifting(
    start: float = 1e-3, per_sample: float = 2e-4, seed: int = 0
) -> Callable[[int], float]:
    """Each sample 0.02% slower than the last (e.g. a GPU heating up), with tiny noise."""
    rng = np.random.default_rng(seed)
    return lambda i: float(start * (1 + per_sample * i) * (1 + 1e-4 * rng.standard_normal()))
