"""The record: one tidy row per measurement, with its raw samples and provenance."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class Record:
    """Identity, outcome, statistics and provenance of one measurement."""

    family: str
    variant: str
    problem: str
    dtype: str
    config: dict[str, Any]
    status: str
    language: str = ""
    baseline: bool = False
    message: str = ""
    error: float | None = None
    samples: list[float] = field(default_factory=list)
    throttled: list[int] = field(default_factory=list)
    stats: dict[str, Any] = field(default_factory=dict)
    noisy: bool = False
    method: dict[str, Any] = field(default_factory=dict)
    settings: dict[str, Any] = field(default_factory=dict)
    resources: list[dict[str, Any]] = field(default_factory=list)
    flops: float = 0.0
    bytes: float = 0.0
    device: dict[str, Any] = field(default_factory=dict)
    provenance: dict[str, Any] = field(default_factory=dict)
    source_hash: str = ""
    study: str = ""
    trial: int | None = None
    run_id: str = ""
    id: int | None = None
    created: str = ""

    @property
    def median_s(self) -> float | None:
        value = self.stats.get("median")
        return float(value) if value is not None else None

    @property
    def timing_kind(self) -> str:
        return str(self.device.get("timing_kind", "unknown"))

    @property
    def device_name(self) -> str:
        return str(self.device.get("name", ""))

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)
