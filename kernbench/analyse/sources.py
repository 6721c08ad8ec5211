"""Where compared records come from: a results store, a named baseline file, or pytest-benchmark JSON.

A baseline file is a results store's records frozen as JSON, so a CI job can keep the main
branch's run as an artifact and gate a pull request's run against it. Its format::

    {"format": "kernbench-baseline", "version": 1, "name": "main", "created": "...",
     "source": "sqlite:///results/kernbench.sqlite3", "provenance": {...},
     "records": [<Record.as_dict(): identity, status, raw samples, stats, device, provenance>]}
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from .. import provenance
from ..errors import UsageError
from ..store import open_store
from ..store.records import Record
from .compare import select

BASELINE_FORMAT = "kernbench-baseline"
BASELINE_VERSION = 1
BASELINE_PREFIX = "baseline:"
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
_RECORD_FIELDS = {f.name for f in fields(Record)}


@dataclass
class Source:
    """Records read from one side of a comparison, and how to name that side."""

    label: str
    kind: str
    records: list[Record]


def baseline_dir(out_dir: Path | str) -> Path:
    """Baselines are JSON files beside a store folder; a database URL has no folder."""
    if isinstance(out_dir, str):
        raise UsageError(f"baselines are files: give --store a folder, not {out_dir}")
    return out_dir / "baselines"


def baseline_path(name: str, out_dir: Path | str) -> Path:
    if not _NAME.match(name):
        raise UsageError(f"baseline name {name!r}: use letters, digits, '.', '_' and '-'")
    return baseline_dir(out_dir) / f"{name}.json"


def latest_ok(records: Iterable[Record]) -> list[Record]:
    """The latest record of each (family, variant, problem, dtype, config), where it is ok."""
    return list(select(records, "config")[0].values())


def save_baseline(name: str, records: list[Record], out_dir: Path | str, source: str) -> Path:
    """Write records as ``OUT/baselines/NAME.json`` (replacing an older one of that name)."""
    path = baseline_path(name, out_dir)
    doc = {
        "format": BASELINE_FORMAT,
        "version": BASELINE_VERSION,
        "name": name,
        "created": provenance.now(),
        "source": source,
        "provenance": provenance.collect(),
        "records": [r.as_dict() for r in records],
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(doc, indent=1, default=str), encoding="utf-8")
    tmp.replace(path)  # a crash mid-write never leaves a half baseline under the name
    return path


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise UsageError(f"cannot read {path}: {exc}") from None


def read_baseline(path: Path, doc: dict[str, Any] | None = None) -> list[Record]:
    doc = doc if doc is not None else _read_json(path)
    if not isinstance(doc, dict) or doc.get("format") != BASELINE_FORMAT:
        raise UsageError(f"{path} is not a kernbench baseline file")
    if doc.get("version") != BASELINE_VERSION:
        raise UsageError(f"{path}: baseline format version {doc.get('version')!r} is not supported")
    try:
        return [
            Record(**{k: v for k, v in r.items() if k in _RECORD_FIELDS}) for r in doc["records"]
        ]
    except (KeyError, TypeError, AttributeError) as exc:
        raise UsageError(f"{path}: malformed baseline record ({exc})") from None


def list_baselines(out_dir: Path | str) -> list[tuple[Path, dict[str, Any]]]:
    """Each baseline file with its header (records counted, not loaded as Records)."""
    out = []
    for path in sorted(baseline_dir(out_dir).glob("*.json")):
        doc = _read_json(path)
        if isinstance(doc, dict) and doc.get("format") == BASELINE_FORMAT:
            out.append((path, doc))
    return out


def load(spec: str, out_dir: Path | str) -> Source:
    """``baseline:NAME``, a baseline or pytest-benchmark ``.json`` file, or a results store (dir, file, URL)."""
    if spec.startswith(BASELINE_PREFIX):
        name = spec.removeprefix(BASELINE_PREFIX)
        path = baseline_path(name, out_dir)
        if not path.is_file():
            raise UsageError(f"no baseline named {name!r} (no {path}; see kernbench baseline list)")
        return Source(spec, "baseline", read_baseline(path))
    if "://" not in spec:
        path = Path(spec)
        if not path.exists():
            raise UsageError(f"no such file or directory: {spec}")
        if path.suffix == ".json":
            return _load_json(path)
    store = open_store(spec, create=False)
    try:
        return Source(spec, "store", store.query())
    finally:
        store.close()


def _load_json(path: Path) -> Source:
    from .pytest_json import is_pytest_benchmark, read_pytest_benchmark

    doc = _read_json(path)
    if isinstance(doc, dict) and doc.get("format") == BASELINE_FORMAT:
        return Source(str(path), "baseline", read_baseline(path, doc))
    if is_pytest_benchmark(doc):
        return Source(str(path), "pytest-benchmark", read_pytest_benchmark(path, doc))
    raise UsageError(
        f"{path}: unknown JSON format (expected a kernbench baseline or pytest-benchmark output)"
    )
