"""Records as a tidy pandas table, and its export to CSV, JSON and Parquet."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import UsageError
from .records import Record

if TYPE_CHECKING:
    import pandas as pd

FORMATS = ("csv", "json", "parquet")


def to_frame(records: Iterable[Record]) -> pd.DataFrame:
    """One row per record: identity, status, statistics, derived rates and provenance."""
    rows: list[dict[str, Any]] = []
    for r in records:
        s = r.stats
        median = s.get("median")
        rows.append(
            {
                "id": r.id,
                "created": r.created,
                "family": r.family,
                "variant": r.variant,
                "language": r.language,
                "baseline": r.baseline,
                "problem": r.problem,
                "dtype": r.dtype,
                "config": r.config,
                "status": r.status,
                "message": r.message,
                "error": r.error,
                "median_s": median,
                "mean_s": s.get("mean"),
                "min_s": s.get("min"),
                "q1_s": s.get("q1"),
                "q3_s": s.get("q3"),
                "ci_low_s": s.get("ci_low"),
                "ci_high_s": s.get("ci_high"),
                "n_samples": s.get("n"),
                "noisy": r.noisy,
                "throttled_samples": len(r.throttled),
                "flops": r.flops,
                "bytes": r.bytes,
                "tflops": r.flops / median / 1e12 if median else None,
                "gbps": r.bytes / median / 1e9 if median else None,
                "device": r.device_name,
                "timing_kind": r.timing_kind,
                "cache": r.method.get("cache"),
                "commit": r.provenance.get("commit"),
                "command": r.provenance.get("command"),
                "source_hash": r.source_hash,
                "study": r.study,
                "trial": r.trial,
                "run_id": r.run_id,
                "samples": r.samples,
            }
        )
    import pandas as pd  # here, not at import: pandas costs every CLI command 0.2 s

    return pd.DataFrame(rows)


def samples_frame(records: Iterable[Record]) -> pd.DataFrame:
    """The raw samples, tidy: one row per (record, sample), throttled ones flagged."""
    rows = [
        {"id": r.id, "sample": i, "seconds": t, "throttled": i in set(r.throttled)}
        for r in records
        for i, t in enumerate(r.samples)
    ]
    import pandas as pd

    return pd.DataFrame(rows, columns=["id", "sample", "seconds", "throttled"])


def samples_path(path: Path) -> Path:
    """Where a CSV export's samples go: ``out.csv`` -> ``out.samples.csv``."""
    return path.with_name(f"{path.stem}.samples{path.suffix or '.csv'}")


def csv_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """The records for CSV: configs as JSON text, raw samples left out (hundreds of KB in one
    field break CSV readers); ``samples_frame`` holds them, one row each."""
    flat = frame.drop(columns=["samples"], errors="ignore")
    if "config" in flat:
        flat["config"] = flat["config"].map(json.dumps)
    return flat


def write(frame: pd.DataFrame, path: Path, fmt: str, samples: pd.DataFrame | None = None) -> None:
    """Write ``frame`` as ``fmt``; a CSV gets its ``samples`` in a second file beside it."""
    if fmt not in FORMATS:
        raise UsageError(f"unknown format {fmt!r} (use {', '.join(FORMATS)})")
    path.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "csv":
        csv_frame(frame).to_csv(path, index=False)
        if samples is not None:
            samples.to_csv(samples_path(path), index=False)
    elif fmt == "json":
        frame.to_json(path, orient="records", indent=1, double_precision=15)
    else:
        flat = frame.copy()
        if "config" in flat:
            flat["config"] = flat["config"].map(json.dumps)
        flat.to_parquet(path, index=False)
