"""Synthetic records for testing the comparison statistics (seeded sample streams, not results)."""

from __future__ import annotations

from typing import Any

import numpy as np

from kernbench.store.records import Record

H100 = {
    "kind": "cuda",
    "name": "NVIDIA H100 80GB HBM3",
    "driver": "550.54.15",
    "timing_kind": "gpu",
}
CPU = {"kind": "cpu", "name": "CPU (x86_64, 2 cores)", "timing_kind": "cpu-interpreter"}


def samples(
    median_s: float = 100e-6, rel_noise: float = 0.01, n: int = 300, seed: int = 0
) -> list[float]:
    """Right-skewed timings like a kernel's: a lognormal body around ``median_s`` plus rare slow outliers."""
    rng = np.random.default_rng(seed)
    x = median_s * rng.lognormal(0.0, rel_noise, n)
    slow = rng.random(n) < 0.02
    x[slow] *= 1 + rng.exponential(0.2, int(slow.sum()))
    return [float(v) for v in x]


def record(
    variant: str = "triton_naive",
    *,
    family: str = "gemm",
    problem: str = "m=4096,n=4096,k=4096",
    dtype: str = "fp16",
    config: dict[str, Any] | None = None,
    data: list[float] | None = None,
    device: dict[str, Any] | None = None,
    status: str = "ok",
) -> Record:
    data = samples() if data is None and status == "ok" else (data or [])
    stats = {"median": float(np.median(data)), "n": len(data)} if data else {}
    return Record(
        family=family,
        variant=variant,
        problem=problem,
        dtype=dtype,
        config=dict(config if config is not None else {"BLOCK_M": 64}),
        status=status,
        samples=data,
        stats=stats,
        device=dict(device or H100),
    )
