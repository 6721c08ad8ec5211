"""Read pytest-benchmark JSON (``--benchmark-autosave`` / ``--benchmark-json``) as Records.

Raw samples are in ``stats.data`` only when pytest ran with ``--benchmark-save-data``;
without them a pair can show its medians but cannot be tested, so it is never a
regression. Benchmarks measured by kernbench's fixture carry the device and method in
``extra_info["kernbench"]``; plain pytest-benchmark timings are labelled as CPU timer ones.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..errors import UsageError
from ..store.records import Record

EXTRA_KEY = "kernbench"
"""The ``extra_info`` entry where kernbench's fixture stores device, method and labels."""
PLAIN_TIMING = "python-timer"


def is_pytest_benchmark(doc: object) -> bool:
    return (
        isinstance(doc, dict) and isinstance(doc.get("benchmarks"), list) and "machine_info" in doc
    )


def _plain_device(machine: dict[str, Any]) -> dict[str, Any]:
    cpu = machine.get("cpu") or {}
    name = cpu.get("brand_raw") or machine.get("processor") or machine.get("machine") or "cpu"
    return {
        "kind": "cpu",
        "name": f"{name} ({machine.get('node', '')})",
        "timing_kind": PLAIN_TIMING,
    }


def _record(bench: dict[str, Any], doc: dict[str, Any]) -> Record:
    stats = bench["stats"]
    extra = (bench.get("extra_info") or {}).get(EXTRA_KEY) or {}
    commit = doc.get("commit_info") or {}
    return Record(
        family=str(extra.get("family") or bench.get("group") or "pytest"),
        variant=str(bench["fullname"]).split("[")[0],
        problem=str(bench.get("param") or ""),
        dtype=str(extra.get("dtype") or ""),
        config={},
        status="ok",
        message="pytest-benchmark",
        samples=[float(s) for s in stats.get("data") or []],
        stats={
            "n": stats.get("rounds"),
            "median": stats["median"],
            "mean": stats.get("mean"),
            "min": stats.get("min"),
            "max": stats.get("max"),
            "q1": stats.get("q1"),
            "q3": stats.get("q3"),
        },
        noisy=bool(extra.get("noisy", False)),
        method=dict(
            extra.get("method") or {"timer": (bench.get("options") or {}).get("timer", "")}
        ),
        device=dict(extra.get("device") or _plain_device(doc.get("machine_info") or {})),
        provenance={
            "commit": commit.get("id", ""),
            "time": doc.get("datetime", ""),
            "command": "pytest",
        },
    )


def read_pytest_benchmark(path: Path, doc: dict[str, Any]) -> list[Record]:
    try:
        return [_record(b, doc) for b in doc["benchmarks"]]
    except (KeyError, TypeError, ValueError) as exc:
        raise UsageError(f"{path}: malformed pytest-benchmark entry ({exc})") from None
