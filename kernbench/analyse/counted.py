"""Counted metrics of emulated records: which to show, which way is better, and their gate.

The PTX emulator counts exactly (:mod:`kernbench.emulator.counters`), so two runs of the
same PTX, config, problem and seed agree to the last digit: a counted metric can be gated
exactly, or within a declared relative tolerance, with no statistics. Each metric knows
which direction is better; moving the other way beyond its tolerance is a regression.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..errors import UsageError
from ..store.records import Record


@dataclass(frozen=True)
class Metric:
    """One counted metric: its key in the record, a short column title, and which way is
    better (``lower`` or ``higher``; ``none``: it depends, e.g. sectors per request rise
    when loads widen)."""

    key: str
    title: str
    better: str
    digits: int = 3
    per_output: bool = False


GATED: tuple[Metric, ...] = (
    Metric("global_load_efficiency", "ld eff", "higher"),
    Metric("global_store_efficiency", "st eff", "higher"),
    Metric("shared_wavefronts_per_ideal", "smem ways", "lower"),
    Metric("shared_conflicts_per_request", "conf/req", "lower"),
    Metric("shared_bank_conflicts", "bank conflicts", "lower"),
    Metric("lane_efficiency", "lanes", "higher"),
    Metric("warp_instructions", "warp inst", "lower"),
    Metric("thread_instructions", "thread inst", "lower"),
    Metric("global_load_sectors", "ld sectors", "lower"),
    Metric("global_store_sectors", "st sectors", "lower"),
    Metric("shared_load_wavefronts", "ld wavefronts", "lower"),
    Metric("shared_store_wavefronts", "st wavefronts", "lower"),
    Metric("dram_read_bytes_lower_bound", "DRAM rd B", "lower"),
    Metric("dram_write_bytes_lower_bound", "DRAM wr B", "lower"),
)
"""What ``kernbench compare`` gates on emulated records (each exact unless told otherwise)."""

BY_KEY = {m.key: m for m in GATED}

SHOWN: tuple[Metric, ...] = (
    Metric("global_load_sectors_per_request", "sect/req", "none", 3),
    Metric("global_load_efficiency", "ld eff", "higher", 3),
    Metric("shared_conflicts_per_request", "conf/req", "lower", 3),
    Metric("tensor_macs", "MAC/out", "lower", 3, per_output=True),
    Metric("warp_instructions", "inst/out", "lower", 3, per_output=True),
    Metric("lane_efficiency", "lanes", "higher", 3),
)
"""The columns ``bench --device emu`` prints first (per output: per output element)."""


def emulated(rec: Record) -> dict[str, Any] | None:
    """A record's stored emulator counters, or None (not emulated, or counted before them)."""
    emu = rec.method.get("emulator") if isinstance(rec.method, Mapping) else None
    if not isinstance(emu, Mapping) or "counters" not in emu:
        return None
    return dict(emu)


def value(rec: Record, metric: Metric) -> float | None:
    emu = emulated(rec)
    if emu is None:
        return None
    source = emu.get("per_output", {}) if metric.per_output else emu["counters"]
    v = source.get(metric.key)
    return None if v is None else float(v)


@dataclass(frozen=True)
class Change:
    """One gated metric that moved: baseline and candidate values, and whether it is worse."""

    metric: Metric
    base: float
    cand: float
    tolerance: float

    @property
    def worse(self) -> bool:
        limit = abs(self.base) * self.tolerance
        if self.metric.better == "lower":
            return self.cand > self.base + limit
        return self.cand < self.base - limit

    @property
    def better(self) -> bool:
        limit = abs(self.base) * self.tolerance
        if self.metric.better == "lower":
            return self.cand < self.base - limit
        return self.cand > self.base + limit

    def text(self) -> str:
        rel = f" ({self.cand / self.base - 1:+.1%})" if self.base else ""
        return f"{self.metric.key} {self.base:g} -> {self.cand:g}{rel}"


def parse_tolerances(items: list[str] | None) -> dict[str, float]:
    """``--counter-tolerance`` values: ``5%`` for every metric, ``NAME=5%`` for one."""
    out: dict[str, float] = {}
    for item in items or []:
        name, _, pct = item.rpartition("=")
        name = name or "*"
        if name != "*" and name not in BY_KEY:
            raise UsageError(
                f"--counter-tolerance {item!r}: unknown metric {name!r} "
                f"(gated: {', '.join(BY_KEY)})"
            )
        try:
            frac = float(pct.rstrip("%")) / (100 if pct.endswith("%") else 1)
        except ValueError:
            raise UsageError(f"--counter-tolerance {item!r}: expected e.g. 5% or NAME=5%") from None
        if frac < 0:
            raise UsageError(f"--counter-tolerance {item!r} must not be negative")
        out[name] = frac
    return out


def changes(base: Record, cand: Record, tolerances: Mapping[str, float]) -> list[Change]:
    """Gated metrics that differ between two emulated records (exact unless tolerated)."""
    out = []
    for m in GATED:
        b, c = value(base, m), value(cand, m)
        if b is None or c is None or b == c:
            continue
        out.append(Change(m, b, c, tolerances.get(m.key, tolerances.get("*", 0.0))))
    return out
