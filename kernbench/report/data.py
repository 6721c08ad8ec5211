"""What a report is built from: the records of one or more stores, each with its roofline point.

Every page reads the same entries, so a number shown twice is computed once.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

import pandas as pd

from ..analyse.roofline import RooflinePoint, Rooflines
from ..errors import UsageError
from ..family import Family
from ..problem import ProblemValue
from ..registry import Registry
from ..store import Record, ResultsStore, open_store
from ..store.export import to_frame
from ..store.sqlstore import DB_NAME
from ..variant import Variant

K = TypeVar("K", bound=Hashable)
REPLAY = "replay"


@dataclass(frozen=True)
class Entry:
    """One stored record, where it came from, and its place under the roofline (None on a CPU)."""

    record: Record
    source: str
    point: RooflinePoint | None

    @property
    def ok(self) -> bool:
        return self.record.status == "ok" and bool(self.record.median_s)

    @property
    def gpu(self) -> bool:
        return self.record.timing_kind == "gpu"

    @property
    def replay(self) -> bool:
        """Replayed from a recorded space file (``--device replay:``): shown on the tuning page only."""
        return self.record.timing_kind == REPLAY


@dataclass
class Source:
    """One results store and its records."""

    label: str
    store: ResultsStore
    records: list[Record]


@dataclass
class Baseline:
    """The records a report's comparisons judge the stores against."""

    label: str
    records: list[Record]

    @classmethod
    def load(cls, spec: str, results_dir: Path) -> Baseline:
        """A store, or whatever ``kernbench compare`` reads (``baseline:NAME``, JSON files) where installed."""
        try:
            from ..analyse.sources import load
        except ImportError:
            store = open_store(spec, create=False)
            return cls(spec, store.query())
        found = load(spec, results_dir if results_dir.is_dir() else results_dir.parent)
        return cls(found.label, found.records)


@dataclass
class ReportData:
    sources: list[Source]
    registry: Registry
    rooflines: Rooflines
    entries: list[Entry]
    """Every record that ran (replays excluded: they re-read a recording, they measure nothing)."""
    baseline: Baseline | None = None
    replays: list[Entry] = field(default_factory=list)
    _variants: dict[str, Variant | None] = field(default_factory=dict, repr=False)

    @classmethod
    def load(
        cls,
        locations: Sequence[str | Path],
        baseline: str | Path | None = None,
        registry: Registry | None = None,
        allow_empty: bool = False,
        store_dir: Path | None = None,
    ) -> ReportData:
        """Open every store read-only; a missing store is a usage error unless ``allow_empty``.

        ``baseline:NAME`` resolves under ``store_dir`` (the ``--store`` directory), else under
        the first location.
        """
        registry = registry or Registry.discover()
        sources: list[Source] = []
        for i, location in enumerate(loc for given in locations for loc in expand(given)):
            try:
                store = open_store(location, create=False)
            except UsageError:
                if allow_empty and Path(location).is_dir():
                    continue
                raise
            label = (
                str(location)
                if str(location) not in {s.label for s in sources}
                else f"{location} ({i + 1})"
            )
            sources.append(Source(label, store, store.query()))
        home = store_dir or (Path(locations[0]) if locations else Path("results"))
        base = Baseline.load(str(baseline), home) if baseline else None
        roofs = Rooflines([s.store for s in sources], registry)
        every = [Entry(r, s.label, roofs.point(r)) for s in sources for r in s.records]
        entries = [e for e in every if not e.replay]
        return cls(sources, registry, roofs, entries, base, [e for e in every if e.replay])

    def family(self, name: str) -> Family | None:
        return self.registry.families.get(name)

    def variant(self, name: str) -> Variant | None:
        """The registered variant (for its ladder step and explanation), None if not installed."""
        if name not in self._variants:
            try:
                self._variants[name] = self.registry.variant(name)
            except Exception:  # not installed or fails to import: the record still shows
                self._variants[name] = None
        return self._variants[name]

    def problem_values(self, record: Record) -> dict[str, ProblemValue]:
        """The record's problem as values, parsed by its family where installed."""
        family = self.family(record.family)
        if family is not None:
            try:
                return dict(family.parse(record.problem))
            except UsageError:
                pass
        return dict(_pair(part) for part in record.problem.split(",") if "=" in part)

    def short_problem(self, record: Record) -> str:
        """The problem without parameters left at their defaults (``m=64,n=64,k=64``)."""
        family = self.family(record.family)
        values = self.problem_values(record)
        if family is None:
            return record.problem
        defaults = {p.name: p.default for p in family.params}
        kept = [
            f"{k}={v}" for k, v in values.items() if defaults.get(k) is None or defaults[k] != v
        ]
        return ",".join(kept) or record.problem

    def devices(self) -> list[str]:
        """Device names, GPUs first: the order of the device selector and of per-device sections."""
        seen = {e.record.device_name: e.gpu for e in self.entries}
        return sorted(seen, key=lambda d: (not seen[d], d))

    @property
    def cpu_records(self) -> int:
        return sum(not e.gpu for e in self.entries)

    def frame(self) -> pd.DataFrame:
        """The tidy export table plus the store and the roofline columns shown in the report."""
        frame = to_frame(e.record for e in self.entries)
        if frame.empty:
            return frame
        frame.insert(0, "store", [e.source for e in self.entries])
        points = [e.point for e in self.entries]
        frame["intensity"] = [p.intensity if p else None for p in points]
        frame["attainable_flops"] = [p.attainable if p else None for p in points]
        frame["pct_roofline"] = [100 * p.fraction if p else None for p in points]
        frame["bound"] = [p.bound if p else None for p in points]
        frame["ceiling"] = [p.ceiling if p else None for p in points]
        frame["ceiling_source"] = [p.source if p else None for p in points]
        frame["l2_resident"] = [p.l2_resident if p else None for p in points]
        return frame


def expand(location: str | Path) -> list[str | Path]:
    """A directory without a store of its own stands for every store below it (results/gpu-*/)."""
    path = Path(location)
    if "://" in str(location) or not path.is_dir() or (path / DB_NAME).exists():
        return [location]
    return [p.parent for p in sorted(path.rglob(DB_NAME))] or [location]


def _pair(text: str) -> tuple[str, ProblemValue]:
    key, _, raw = text.partition("=")
    for kind in (int, float):
        try:
            return key.strip(), kind(raw)
        except ValueError:
            continue
    return key.strip(), raw.strip()


def best(entries: Iterable[Entry], key: Callable[[Entry], K]) -> dict[K, Entry]:
    """The fastest ok entry per key: tuned variants have many configs, a chart shows the best."""
    out: dict[K, Entry] = {}
    for e in entries:
        if not e.ok:
            continue
        k = key(e)
        if k not in out or (e.record.median_s or math.inf) < (out[k].record.median_s or math.inf):
            out[k] = e
    return out
