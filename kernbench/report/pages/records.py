"""Every record in one sortable table, and the raw data to download (CSV, Parquet, JSON)."""

from __future__ import annotations

from pathlib import Path

from ...store.export import FORMATS, samples_path
from ..data import ReportData
from ..page import (
    Cell,
    Content,
    Page,
    Section,
    Table,
    pct_cell,
    rate_cell,
    short_config,
    text,
    time_cell,
)
from .roofline import roof_cell

DATA_DIR = "data"
DATA_STEM = "records"
PAGE_SIZE = 50
FILTERS = ("family", "variant", "status", "device")
COLUMNS = (
    "store",
    "id",
    "device",
    "family",
    "variant",
    "problem",
    "dtype",
    "config",
    "status",
    "median",
    "±CI",
    "FLOP/s",
    "B/s",
    "% roofline",
    "bound",
)


def downloads() -> list[tuple[str, str]]:
    found = [
        (f"{DATA_STEM}.{fmt} ({fmt.upper()})", f"{DATA_DIR}/{DATA_STEM}.{fmt}") for fmt in FORMATS
    ]
    samples = samples_path(Path(f"{DATA_STEM}.csv")).name  # the CSV's raw samples, one row each
    return [*found, ("raw samples (CSV)", f"{DATA_DIR}/{samples}")]


class Records(Page):
    slug = "records"
    title = "All records"

    def build(self, data: ReportData) -> Content:
        if not data.entries:
            return Content(omitted="the stores hold no records")
        table = Table("records", COLUMNS, filters=FILTERS, page_size=PAGE_SIZE)
        for e in data.entries:
            r, p = e.record, e.point
            median = r.median_s
            rel = r.stats.get("rel_ci_halfwidth") if median else None
            status = r.status + (" (noisy)" if r.noisy else "")
            table.rows.append(
                [
                    Cell(e.source, e.source, e.source),
                    Cell(str(r.id), float(r.id or 0), f"run {r.run_id}"),
                    Cell(r.device_name, r.device_name, f"{r.device_name} ({r.timing_kind})"),
                    text(r.family),
                    text(r.variant + (" (baseline)" if r.baseline else "")),
                    Cell(data.short_problem(r), r.problem, r.problem),
                    text(r.dtype),
                    short_config(r.config),
                    Cell(status, status, title=r.message),
                    time_cell(median),
                    pct_cell(rel),
                    rate_cell(r.flops / median if median else None, "FLOP/s"),
                    rate_cell(r.bytes / median if median else None, "B/s"),
                    roof_cell(e),
                    text(p.bound if p else "-"),
                ]
            )
        notes = (
            [
                f"{len(data.replays)} replayed records (tune --device replay:) are on the tuning page."
            ]
            if data.replays
            else []
        )
        return Content(
            [
                Section(
                    f"{len(data.entries)} records",
                    table=table,
                    links=downloads(),
                    notes=notes,
                    text=f"{PAGE_SIZE} rows a page. Click a column header to sort; filter by text or by column. "
                    "Hover a shortened cell for all of it. The downloads hold every column of the store, "
                    "raw samples included (the CSV's in a file of their own), plus the roofline columns.",
                )
            ]
        )
