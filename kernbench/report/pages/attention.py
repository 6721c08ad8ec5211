"""Paged attention: achieved bandwidth and % of roofline against context length and batch.

Decode is memory-bound (its intensity is about the GQA group size), so bandwidth is the
figure that matters; the HBM ceiling is drawn where the device has one.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable

import plotly.graph_objects as go

from ...analyse.roofline import source_of
from ...present import fmt_config, fmt_time
from ..data import Entry, ReportData, best
from ..figures import embed, styled
from ..page import Content, Page, Section, Table, num_cell, pct_cell, text, time_cell

FAMILY = "paged_attention"


def _axis(data: ReportData, e: Entry, name: str) -> float | None:
    value = data.problem_values(e.record).get(name)
    return float(value) if isinstance(value, (int, float)) else None


def chart(
    data: ReportData,
    entries: list[Entry],
    x: str,
    group: str,
    y_name: str,
    y_of: Callable[[Entry], float | None],
    div_id: str,
    roofs: dict[str, float],
) -> str | None:
    """One line per (variant, device, dtype, value of ``group``) over parameter ``x``; roofs dotted."""
    lines: dict[tuple[str, str, str, float], list[Entry]] = defaultdict(list)
    for e in entries:
        g = _axis(data, e, group)
        if _axis(data, e, x) is not None and g is not None and y_of(e) is not None:
            lines[(e.record.variant, e.record.device_name, e.record.dtype, g)].append(e)
    if not lines:
        return None
    fig = go.Figure()
    devices = {k[1] for k in lines}
    for (variant, device, dtype, g), es in sorted(lines.items()):
        es.sort(key=lambda e: _axis(data, e, x) or 0.0)
        baseline = es[0].record.baseline
        fig.add_trace(
            go.Scatter(
                x=[_axis(data, e, x) for e in es],
                y=[y_of(e) for e in es],
                mode="lines+markers",
                name=f"{variant}{' (baseline)' if baseline else ''} {group}={g:g} {dtype}"
                + (f" {device}" if len(devices) > 1 else ""),
                line={"dash": "dash" if baseline else "solid"},
                legendgroup=variant,
                customdata=[
                    [
                        fmt_config(e.record.config),
                        data.short_problem(e.record),
                        fmt_time(e.record.median_s),
                    ]
                    for e in es
                ],
                hovertemplate="%{customdata[1]}<br>config: %{customdata[0]}<br>time: %{customdata[2]}"
                "<br>%{y:.4g}<extra>" + variant + "</extra>",
            )
        )
    for label, value in roofs.items():
        fig.add_hline(
            y=value,
            line={"dash": "dot", "color": "#888"},
            annotation_text=label,
            annotation_position="top left",
        )
    styled(fig, f"{y_name} against {x}", x, y_name, log_x=True)
    return embed(fig, div_id)


def _bandwidth(e: Entry) -> float | None:
    return e.record.bytes / e.record.median_s if e.record.median_s else None


def _pct(e: Entry) -> float | None:
    return 100 * e.point.fraction if e.point else None


class Attention(Page):
    slug = "attention"
    title = "Paged attention"

    def build(self, data: ReportData) -> Content:
        fastest = best(
            (e for e in data.entries if e.record.family == FAMILY),
            lambda e: (e.record.device_name, e.record.dtype, e.record.variant, e.record.problem),
        )
        entries = list(fastest.values())
        if not entries:
            return Content(omitted="no ok paged_attention record")
        hbm = {}
        for device in sorted({e.record.device_name for e in entries if e.gpu}):
            ceilings = data.rooflines.ceilings(device)
            if ceilings and "hbm" in ceilings.memory:
                value = ceilings.memory["hbm"]
                hbm[f"{device} HBM {value / 1e12:.2f} TB/s ({source_of(ceilings, 'hbm')})"] = value
        bw = "achieved bandwidth (bytes/s)"
        figures = [
            chart(data, entries, "context", "batch", bw, _bandwidth, "attention-bw-context", hbm),
            chart(data, entries, "batch", "context", bw, _bandwidth, "attention-bw-batch", hbm),
            chart(
                data,
                entries,
                "context",
                "batch",
                "% of roofline",
                _pct,
                "attention-roof-context",
                {"roofline": 100.0} if hbm else {},
            ),
        ]
        table = Table(
            "attention",
            (
                "variant",
                "problem",
                "dtype",
                "device",
                "config",
                "median",
                "GB/s",
                "% roofline",
                "% of best baseline",
            ),
        )
        baselines = best(
            (e for e in entries if e.record.baseline),
            lambda e: (e.record.device_name, e.record.dtype, e.record.problem),
        )
        for e in sorted(entries, key=lambda e: (e.record.variant, e.record.problem)):
            r = e.record
            base = baselines.get((r.device_name, r.dtype, r.problem))
            vs_base = (
                base.record.median_s / r.median_s
                if base and base.record.median_s and r.median_s
                else None
            )
            table.rows.append(
                [
                    text(r.variant + (" (baseline)" if r.baseline else "")),
                    text(data.short_problem(r)),
                    text(r.dtype),
                    text(r.device_name),
                    text(fmt_config(r.config)),
                    time_cell(r.median_s),
                    num_cell(_bandwidth(e), 1e9),
                    pct_cell(e.point.fraction if e.point else None),
                    pct_cell(vs_base),
                ]
            )
        notes = (
            []
            if any(e.point for e in entries)
            else ["No record has a roofline (no GPU ceilings): no % of roofline chart."]
        )
        if any(e.point and e.point.l2_resident for e in entries):
            notes.append(
                "Points above the HBM ceiling were served from L2 (the working set fits in it): "
                "measure them with a cold cache to see HBM bandwidth."
            )
        return Content(
            [
                Section(
                    "Decode bandwidth",
                    figures=[f for f in figures if f],
                    table=table,
                    notes=notes,
                    text="Each variant's fastest config per problem. Bytes are the family's minimum traffic "
                    "(K and V pages, queries, outputs, block tables).",
                )
            ]
        )
