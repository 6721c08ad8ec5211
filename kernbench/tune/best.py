"""Tuned configs as a product: the stored best per (variant, device, problem, dtype).

``kernbench export`` writes them to JSON; :func:`best_config` answers inside a user's own
code, falling back to the nearest tuned problem (log-shape distance) when this one was
never tuned. Replayed records are copies of recorded ones and are left out.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..errors import UsageError
from ..measure.outcome import Status
from ..problem import Problem
from ..space import Config
from ..store import ResultsStore, open_store
from ..store.records import Record
from .confirm import KEY as CONFIRM_KEY
from .warmstart import distance, parse_key

Key = tuple[str, str, str, str]


def best_records(
    store: ResultsStore, family: str | None = None, variant: str | None = None
) -> dict[Key, Record]:
    """The best correct record of each (variant, device, problem, dtype).

    That is the latest confirmed winner where a tune confirmed one (see
    :mod:`kernbench.tune.confirm`), else the fastest record. Confirmation rounds, short
    re-measurements whose pooled verdict is what counts, never win on their own.
    """
    best: dict[Key, Record] = {}
    confirmed: dict[Key, Record] = {}
    for r in store.query(family=family, variant=variant, status=Status.OK):
        if not r.median_s or r.timing_kind == "replay" or not r.config:
            continue
        key = (r.variant, r.device_name, r.problem, r.dtype)
        kind = r.method.get(CONFIRM_KEY, {}).get("kind")
        if kind == "verdict":
            confirmed[key] = r  # records come in id order: the latest verdict stays
        elif kind is None and (key not in best or r.median_s < (best[key].median_s or math.inf)):
            best[key] = r
    return {**best, **confirmed}


def export_rows(records: Mapping[Key, Record]) -> list[dict[str, Any]]:
    return [
        {
            "family": r.family,
            "variant": r.variant,
            "device": r.device_name,
            "problem": r.problem,
            "dtype": r.dtype,
            "config": r.config,
            "median_s": r.median_s,
            "timing_kind": r.timing_kind,
            "source_hash": r.source_hash,
            "record_id": r.id,
            "measured": r.created,
        }
        for _, r in sorted(records.items())
    ]


def _problem_key(variant: str, problem: Problem | Mapping[str, Any] | str) -> str:
    """The canonical key, defaults filled in by the variant's family."""
    if isinstance(problem, Problem):
        return problem.key
    from ..registry import Registry

    registry = Registry.discover()
    family = registry.family(registry.variant(variant).family)
    text = problem if isinstance(problem, str) else ",".join(f"{k}={v}" for k, v in problem.items())
    return family.parse(text).key


STORE_ENV = "KERNBENCH_STORE"


def default_store() -> Path:
    """The store :func:`best_config` reads when none is given.

    ``$KERNBENCH_STORE`` when set, else ``results/`` of the kernbench checkout this package
    runs from (the folder holding ``pyproject.toml``), where the commands store by default
    when run from the checkout. An installed (non-editable) kernbench has no such folder:
    then the store must be named.
    """
    if os.environ.get(STORE_ENV):
        return Path(os.environ[STORE_ENV]).expanduser()
    root = Path(__file__).resolve().parents[2]
    if (root / "pyproject.toml").is_file():
        return root / "results"
    raise UsageError(f"best_config: name the store (store=...) or set ${STORE_ENV}")


def best_config(
    variant: str,
    problem: Problem | Mapping[str, Any] | str,
    device: str | None = None,
    *,
    dtype: str | None = None,
    store: ResultsStore | str | Path | None = None,
) -> Config | None:
    """The stored best config of ``variant`` for ``problem``, else of the nearest tuned problem.

    ``device`` matches GPU names by substring (``"H100"``); without it GPU measurements are
    preferred to CPU-interpreter ones. None when the variant was never tuned comparably.
    A confirmed winner (``tune --confirm``) is preferred to the fastest single measurement.
    ``store`` defaults to :func:`default_store`, never to a path relative to the working
    directory.
    """
    db = (
        store
        if isinstance(store, ResultsStore)
        else open_store(store or default_store(), create=False)
    )
    want = parse_key(_problem_key(variant, problem))
    candidates = []
    for (_, dev, prob, dt), rec in best_records(db, variant=variant).items():
        if device is not None and device.lower() not in dev.lower():
            continue
        if dtype is not None and dt != dtype:
            continue
        d = distance(want, parse_key(prob))
        if d is not None:
            candidates.append((rec.timing_kind != "gpu", d, rec.median_s or math.inf, rec))
    if not candidates:
        return None
    return dict(min(candidates, key=lambda c: c[:3])[3].config)
