"""Every record in one sortable table, and the raw data to download (CSV, Parquet, JSON)."""

from __future__ import annotations

from ...present import fmt_config
from ...store.export import FORMATS
from ..data import ReportData
from ..page import Cell, Content, Page, Section, Table, num_cell, pct_cell, text, time_cell

DATA_DIR = "data"
DATA_STEM = "records"
COLUMNS = (
    "store",
    "id",
    "device",
    "timing",
    "family",
    "variant",
    "problem",
    "dtype",
    "config",
    "status",
    "median",
    "±CI",
    "TFLOP/s",
    "GB/s",
    "FLOP/B",
    "% roofline",
    "bound",
    "ceiling",
    "L2-resident",
    "run",
)


def downloads() -> list[tuple[str, str]]:
    return [
        (f"{DATA_STEM}.{fmt} ({fmt.upper()})", f"{DATA_DIR}/{DATA_STEM}.{fmt}") for fmt in FORMATS
    ]


class Records(Page):
    slug = "records"
    title = "All records"

    def build(self, data: ReportData) -> Content:
        if not data.entries:
            return Content(omitted="the stores hold no records")
        table = Table("records", COLUMNS)
        for e in data.entries:
            r, p = e.record, e.point
            median = r.median_s
            rel = r.stats.get("rel_ci_halfwidth") if median else None
            status = r.status + (" (noisy)" if r.noisy else "")
            table.rows.append(
                [
                    text(e.source),
                    Cell(str(r.id), float(r.id or 0)),
                    text(r.device_name),
                    text(r.timing_kind),
                    text(r.family),
                    text(r.variant + (" (baseline)" if r.baseline else "")),
                    Cell(data.short_problem(r), r.problem, r.problem),
                    text(r.dtype),
                    text(fmt_config(r.config)),
                    Cell(status, status, title=r.message),
                    time_cell(median),
                    pct_cell(rel),
                    num_cell(r.flops / median if median else None, 1e12),
                    num_cell(r.bytes / median if median else None, 1e9),
                    num_cell(r.flops / r.bytes if r.bytes else None),
                    pct_cell(p.fraction if p else None),
                    text(p.bound if p else "-"),
                    text(f"{p.ceiling} ({p.source})" if p else "-"),
                    text(("yes" if p.l2_resident else "no") if p else "-"),
                    text(r.run_id),
                ]
            )
        return Content(
            [
                Section(
                    f"{len(data.entries)} records",
                    table=table,
                    links=downloads(),
                    text="Click a column header to sort; type in the filter box to narrow the rows. The downloads "
                    "hold every column of the store, raw samples included, plus the roofline columns.",
                )
            ]
        )
