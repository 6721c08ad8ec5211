"""Warm start: configs worth trying first, from the variant and from earlier tunes.

Order: the variant's default configs, then the best stored config of each nearby problem
(nearest first, by Euclidean distance between log-shapes), the same problem on other GPUs
coming right after this GPU's. Problems whose non-numeric parameters (layouts, ...)
differ are not neighbours.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping

from ..measure.outcome import Status
from ..space import Config, Space, config_key
from ..store import ResultsStore
from ..store.records import Record

NEIGHBOURS = 5


def parse_key(key: str) -> dict[str, str]:
    """``m=1,n=2`` -> ``{"m": "1", "n": "2"}``."""
    return dict(part.split("=", 1) for part in key.split(",") if "=" in part)


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def distance(a: Mapping[str, str], b: Mapping[str, str]) -> float | None:
    """Distance in log-shape space, or None when the problems are not comparable."""
    if set(a) != set(b):
        return None
    total = 0.0
    for name, text in a.items():
        x, y = _number(text), _number(b[name])
        if x is None or y is None:
            if text != b[name]:
                return None
        elif x > 0 and y > 0:
            total += (math.log2(x) - math.log2(y)) ** 2
        elif x != y:
            return None
    return math.sqrt(total)


def best_per_group(records: Iterable[Record]) -> dict[tuple[str, str, str], Record]:
    """The fastest correct record of each (problem, dtype, device)."""
    best: dict[tuple[str, str, str], Record] = {}
    for r in records:
        if r.status != Status.OK or not r.median_s or r.timing_kind == "replay":
            continue
        group = (r.problem, r.dtype, r.device_name)
        if group not in best or r.median_s < (best[group].median_s or math.inf):
            best[group] = r
    return best


def ranked(
    groups: Mapping[tuple[str, str, str], Record],
    problem: str,
    dtype: str,
    device_name: str | None,
) -> list[tuple[float, bool, Record]]:
    """Records of comparable problems with their distance, nearest first, this device first."""
    want = parse_key(problem)
    found: list[tuple[float, bool, Record]] = []
    for (prob, dt, dev), rec in groups.items():
        if dt != dtype:
            continue
        d = distance(want, parse_key(prob))
        if d is not None:
            found.append((d, device_name is not None and dev != device_name, rec))
    found.sort(key=lambda x: (x[0], x[1], x[2].median_s or math.inf))
    return found


def warm_configs(
    store: ResultsStore,
    family: str,
    variant: str,
    space: Space,
    defaults: Iterable[Config],
    problem: str,
    dtype: str,
    device_name: str,
    limit: int = NEIGHBOURS,
) -> list[Config]:
    """Defaults, then the best stored configs of the nearest problems (all GPUs)."""
    out: list[Config] = []
    seen: set[str] = set()

    def add(config: Config) -> None:
        key = config_key(config)
        if key not in seen and space.is_valid(config):
            seen.add(key)
            out.append(dict(config))

    for d in defaults:
        add(d)
    wanted = len(out) + limit
    groups = best_per_group(store.query(family=family, variant=variant, status=Status.OK))
    for _, _, rec in ranked(groups, problem, dtype, device_name):
        if len(out) >= wanted:
            break
        add(rec.config)
    return out
