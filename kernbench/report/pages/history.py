"""History: how each variant's time moved across stores of one device (asv-like, commit by commit).

Shown when several stores hold records of the same device: each store is one point on the x
axis, ordered by when it was measured and named by the commit it measured.
"""

from __future__ import annotations

import re
from collections import defaultdict

import plotly.graph_objects as go

from ..data import Entry, ReportData, best
from ..figures import embed, series_styles, styled
from ..page import Cell, Content, Page, Section, Table, pct_cell, text, time_cell

MAX_PANELS = 24
Key = tuple[str, str, str]
"""(family, problem, dtype): one panel."""


def _commit_label(entries: list[Entry]) -> str:
    """The commit and date a store measured: its x-axis label."""
    last = max(entries, key=lambda e: e.record.created).record
    commit = str(last.provenance.get("commit") or "")[:8] or "no commit"
    return f"{commit} {last.created[:16].replace('T', ' ')}"


def points(
    data: ReportData, device: str
) -> tuple[list[str], dict[Key, dict[str, dict[str, Entry]]]]:
    """The device's stores in measuring order (x labels), and per panel, variant -> x -> best."""
    mine = [e for e in data.entries if e.record.device_name == device]
    by_source: dict[str, list[Entry]] = defaultdict(list)
    for e in mine:
        by_source[e.source].append(e)
    order = sorted(by_source, key=lambda s: min(e.record.created for e in by_source[s]))
    labels: dict[str, str] = {}
    for source in order:
        label = _commit_label(by_source[source])
        labels[source] = label if label not in labels.values() else f"{label} ({source})"
    fastest = best(
        mine,
        lambda e: (e.record.family, e.record.problem, e.record.dtype, e.record.variant, e.source),
    )
    panels: dict[Key, dict[str, dict[str, Entry]]] = defaultdict(lambda: defaultdict(dict))
    for (family, problem, dtype, variant, source), e in fastest.items():
        panels[(family, problem, dtype)][variant][labels[source]] = e
    kept = {  # a variant measured in one store only has no history
        k: {variant: xs for variant, xs in v.items() if len(xs) > 1} for k, v in panels.items()
    }
    return [labels[s] for s in order], {k: v for k, v in kept.items() if v}


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "x"


class History(Page):
    slug = "history"
    title = "History"

    def build(self, data: ReportData) -> Content:
        sections = []
        for device in data.devices():
            xs, panels = points(data, device)
            if len(xs) < 2 or not panels:
                continue
            styles = series_styles(sorted({v for p in panels.values() for v in p}))
            figures = []
            table = Table(
                f"history-{_slug(device)}",
                ("family", "variant", "problem", "dtype", "first", "last", "change"),
                filters=("variant",),
            )
            for i, ((family, problem, dtype), lines) in enumerate(sorted(panels.items())):
                short = data.short_problem(next(iter(next(iter(lines.values())).values())).record)
                if i < MAX_PANELS:
                    fig = go.Figure()
                    for variant, by_x in sorted(lines.items()):
                        shown = [x for x in xs if x in by_x]
                        fig.add_trace(
                            go.Scatter(
                                x=shown,
                                y=[by_x[x].record.median_s for x in shown],
                                mode="lines+markers",
                                name=variant,
                                line={"color": styles[variant]["color"]},
                                marker={"symbol": styles[variant]["symbol"], "size": 9},
                                hovertemplate=f"{variant}<br>%{{x}}<br>%{{y:.3s}}s<extra></extra>",
                            )
                        )
                    styled(
                        fig,
                        f"{family} {short} {dtype}",
                        "commit (store)",
                        "median time (s, lower is better)",
                        log_y=True,
                        height=420,
                    )
                    fig.update_xaxes(type="category", categoryorder="array", categoryarray=xs)
                    figures.append(embed(fig, f"history-{_slug(device)}-{i}"))
                for variant, by_x in sorted(lines.items()):
                    seen = [by_x[x] for x in xs if x in by_x]
                    first, last = seen[0].record.median_s, seen[-1].record.median_s
                    table.rows.append(
                        [
                            text(family),
                            text(variant),
                            Cell(short, problem, problem),
                            text(dtype),
                            time_cell(first),
                            time_cell(last),
                            pct_cell(last / first - 1 if first and last else None),
                        ]
                    )
            notes = (
                [f"{len(panels) - MAX_PANELS} more problems are in the table only."]
                if len(panels) > MAX_PANELS
                else []
            )
            sections.append(
                Section(
                    device,
                    text=f"{len(xs)} stores of this device, oldest first; each point is a "
                    "variant's fastest config. Change is last over first (negative is faster).",
                    figures=figures,
                    grid=True,
                    table=table,
                    notes=notes,
                    device=device,
                )
            )
        if not sections:
            return Content(omitted="no device has records in more than one store")
        return Content(sections)
