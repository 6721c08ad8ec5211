"""Paged attention: achieved bandwidth against context length, one panel per batch and heads.

Decode is memory-bound (its intensity is about the GQA group size), so bandwidth is the figure
that matters; each panel draws one line per variant and the device's memory ceiling (a measured
copy where ``kernbench calibrate`` ran, the datasheet otherwise), so a reader sees how close
each variant comes to what the memory can give.
"""

from __future__ import annotations

import re
from collections import defaultdict

import plotly.graph_objects as go

from ...analyse.roofline import source_of
from ...present import fmt_time
from ..data import Entry, ReportData, best
from ..figures import embed, series_styles, si, spans_decades, styled
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

FAMILY = "paged_attention"
X = "context"


def bandwidth(e: Entry) -> float | None:
    return e.record.bytes / e.record.median_s if e.record.median_s else None


def memory_ceiling(data: ReportData, device: str) -> tuple[float, str] | None:
    """The device's HBM ceiling (bytes/s) and its label, or None (a CPU, an unknown GPU)."""
    ceilings = data.rooflines.ceilings(device)
    if ceilings is None or "hbm" not in ceilings.memory:
        return None
    value = ceilings.memory["hbm"]
    return value, f"HBM {si(value, 'B/s')} ({source_of(ceilings, 'hbm')})"


def series(e: Entry) -> str:
    return e.record.variant + (" (baseline)" if e.record.baseline else "")


def fastest(data: ReportData) -> list[Entry]:
    """Each variant's fastest config per problem, dtype and device."""
    found = best(
        (e for e in data.entries if e.record.family == FAMILY),
        lambda e: (e.record.device_name, e.record.dtype, e.record.variant, e.record.problem),
    )
    return sorted(found.values(), key=lambda e: (series(e), e.record.problem))


def _panel_key(data: ReportData, e: Entry) -> str:
    """The problem without its context length: what one panel holds fixed."""
    parts = data.short_problem(e.record).split(",")
    return ", ".join(p for p in parts if not p.startswith(f"{X}=")) or "defaults"


def panel(
    data: ReportData,
    title: str,
    entries: list[Entry],
    styles: dict[str, dict[str, str]],
    roof: tuple[float, str] | None,
    div: str,
) -> str:
    fig = go.Figure()
    lines: dict[str, list[Entry]] = defaultdict(list)
    for e in entries:
        lines[series(e)].append(e)
    xs: set[float] = set()
    ys: list[float | None] = []
    for name, es in lines.items():
        es.sort(key=lambda e: float(data.problem_values(e.record).get(X) or 0))
        x = [float(data.problem_values(e.record).get(X) or 0) for e in es]
        y = [bandwidth(e) for e in es]
        xs.update(x)
        ys += y
        style = styles[name]
        fig.add_trace(
            go.Scatter(
                x=x,
                y=y,
                mode="lines+markers",
                name=name,
                legendgroup=name,
                line={
                    "color": style["color"],
                    "dash": "dash" if es[0].record.baseline else "solid",
                },
                marker={"symbol": style["symbol"], "size": 9, "color": style["color"]},
                customdata=[
                    [short_config(e.record.config).title, fmt_time(e.record.median_s)] for e in es
                ],
                hovertemplate=f"<b>{name}</b><br>{X} %{{x}}<br>%{{y:.3s}}B/s<br>time %{{customdata[1]}}"
                "<br>config: %{customdata[0]}<extra></extra>",
            )
        )
    if roof is not None:
        ys.append(roof[0])
        fig.add_hline(
            y=roof[0],
            line={"dash": "dot", "color": "#555"},
            annotation_text=roof[1],
            annotation_position="bottom right",
        )
    log_y = spans_decades(ys)
    styled(
        fig,
        title,
        f"{X} length (tokens)",
        "bandwidth (B/s)" + (", log" if log_y else ""),
        log_x=len(xs) > 1 and spans_decades(xs, 0.5),
        log_y=log_y,
        height=420,
    )
    fig.update_xaxes(tickvals=sorted(xs), ticktext=[f"{v:g}" for v in sorted(xs)])
    return embed(fig, div)


class Attention(Page):
    slug = "attention"
    title = "Paged attention"

    def build(self, data: ReportData) -> Content:
        entries = fastest(data)
        if not entries:
            return Content(omitted="no ok paged_attention record")
        styles = series_styles(series(e) for e in entries)
        sections = []
        for device in data.devices():
            mine = [e for e in entries if e.record.device_name == device]
            if not mine:
                continue
            roof = memory_ceiling(data, device) if mine[0].gpu else None
            slug = re.sub(r"[^a-z0-9]+", "-", device.lower()).strip("-") or "device"
            panels: dict[tuple[str, str], list[Entry]] = defaultdict(list)
            for e in mine:
                panels[(e.record.dtype, _panel_key(data, e))].append(e)
            figures = [
                panel(data, f"{key} {dtype}", es, styles, roof, f"attention-{slug}-{i}")
                for i, ((dtype, key), es) in enumerate(sorted(panels.items()))
            ]
            sections.append(
                Section(
                    device,
                    text="Bandwidth against context length: each variant's fastest config per "
                    "problem, one panel per batch and head configuration. Bytes are the family's "
                    "minimum traffic (K and V pages, queries, outputs, block tables).",
                    figures=figures,
                    grid=True,
                    table=self._table(data, mine, slug),
                    notes=self._notes(mine, roof),
                    device=device,
                )
            )
        return Content(sections)

    @staticmethod
    def _notes(entries: list[Entry], roof: tuple[float, str] | None) -> list[str]:
        notes = []
        if roof is None and entries[0].gpu:
            notes.append("No memory ceiling known for this GPU: run kernbench calibrate on it.")
        if any(e.point and e.point.l2_resident for e in entries):
            notes.append(
                "Points above the HBM ceiling were served from L2 (the working set fits in it): "
                "measure them with a cold cache to see HBM bandwidth."
            )
        return notes

    @staticmethod
    def _table(data: ReportData, entries: list[Entry], slug: str) -> Table:
        table = Table(
            f"attention-{slug}",
            (
                "variant",
                "problem",
                "dtype",
                "config",
                "median",
                "B/s",
                "% roofline",
                "% of best baseline",
            ),
            filters=("variant",),
        )
        baselines = best(
            (e for e in entries if e.record.baseline),
            lambda e: (e.record.dtype, e.record.problem),
        )
        for e in entries:
            r = e.record
            base = baselines.get((r.dtype, r.problem))
            vs_base = (
                base.record.median_s / r.median_s
                if base and base.record.median_s and r.median_s
                else None
            )
            table.rows.append(
                [
                    text(series(e)),
                    Cell(data.short_problem(r), r.problem, r.problem),
                    text(r.dtype),
                    short_config(r.config),
                    time_cell(r.median_s),
                    rate_cell(bandwidth(e), "B/s"),
                    pct_cell(e.point.fraction if e.point else None),
                    pct_cell(vs_base),
                ]
            )
        return table
