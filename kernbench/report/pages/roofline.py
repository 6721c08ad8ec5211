"""The roofline per device: one point per variant and problem (its fastest config), ceilings drawn."""

from __future__ import annotations

import math
import re
from collections import defaultdict

import plotly.graph_objects as go

from ...ceilings import Ceilings
from ...device import CPU_TIMING_NOTE
from ...present import fmt_config, fmt_time
from ..data import Entry, ReportData, best
from ..figures import embed, series_styles, styled
from ..page import (
    Cell,
    Content,
    Page,
    Section,
    Table,
    num_cell,
    pct_cell,
    rate_cell,
    short_config,
    text,
)

HOVER = (
    "<b>%{customdata[0]}</b><br>config: %{customdata[1]}<br>problem: %{customdata[2]} (%{customdata[3]})"
    "<br>time: %{customdata[4]}<br>%{y:.3s}FLOP/s at %{x:.3g} FLOP/B<br>roofline: %{customdata[5]}<extra></extra>"
)


def _roof_label(e: Entry) -> str:
    p = e.point
    if p is None:
        return "no ceilings (not GPU performance)"
    extra = ", L2-resident: above the HBM roof" if p.l2_resident else ""
    return f"{p.fraction:.1%} of the {p.ceiling} roof ({p.source}){extra}"


def _roofs(fig: go.Figure, ceilings: Ceilings, used: set[str], x_lo: float, x_hi: float) -> None:
    """One roof per distinct compute peak the points use (bf16 and fp16 share one) under each memory ceiling."""
    peaks: dict[float, list[str]] = defaultdict(list)
    for name, value in ceilings.compute.items():
        if name in used or not used:
            peaks[value].append(name)
    for level, bandwidth in ceilings.memory.items():
        dash = "solid" if level == "hbm" else "dash"
        for peak, names in sorted(peaks.items(), reverse=True):
            ridge = peak / bandwidth
            xs = [x_lo, min(max(ridge, x_lo), x_hi), x_hi]
            fig.add_trace(
                go.Scatter(
                    x=xs,
                    y=[min(peak, x * bandwidth) for x in xs],
                    mode="lines",
                    hoverinfo="skip",
                    line={"color": "#888", "width": 1.5, "dash": dash},
                    name=f"{'/'.join(names)} {peak / 1e12:.0f} TFLOP/s, {level} {bandwidth / 1e12:.2f} TB/s",
                    legendgroup="ceilings",
                )
            )


def figure(
    device: str,
    entries: list[Entry],
    ceilings: Ceilings | None,
    div_id: str,
    styles: dict[str, dict[str, str]],
) -> str:
    fig = go.Figure()
    xs = [e.record.flops / e.record.bytes for e in entries]
    lo, hi = min(xs) / 4, max(xs) * 4
    if ceilings is not None:
        ridges = [p / b for p in ceilings.compute.values() for b in ceilings.memory.values()]
        if ridges:
            lo, hi = min(lo, min(ridges) / 2), max(hi, max(ridges) * 2)
        _roofs(fig, ceilings, {e.point.precision for e in entries if e.point}, lo, hi)
    by_variant: dict[str, list[Entry]] = defaultdict(list)
    for e in entries:
        by_variant[e.record.variant].append(e)
    for variant, group in sorted(by_variant.items()):
        r0 = group[0].record
        fig.add_trace(
            go.Scatter(
                x=[e.record.flops / e.record.bytes for e in group],
                y=[e.record.flops / (e.record.median_s or math.inf) for e in group],
                mode="markers",
                name=variant + (" (baseline)" if r0.baseline else ""),
                marker={
                    "size": 11,
                    "symbol": styles[variant]["symbol"],
                    "color": styles[variant]["color"],
                    "line": {"width": 1, "color": "#222"},
                },
                customdata=[
                    [
                        e.record.variant,
                        fmt_config(e.record.config),
                        e.record.problem,
                        e.record.dtype,
                        fmt_time(e.record.median_s),
                        _roof_label(e),
                    ]
                    for e in group
                ],
                hovertemplate=HOVER,
            )
        )
    title = f"{device}: roofline" if ceilings else f"{device}: achieved rates (no ceilings)"
    styled(fig, title, "arithmetic intensity (FLOP/byte)", "FLOP/s", log_x=True, log_y=True)
    # Decades only (1T, 10T, 100T): a roofline spans many, and minor digits crowd them.
    fig.update_xaxes(range=[math.log10(lo), math.log10(hi)], dtick=1)
    fig.update_yaxes(dtick=1)
    return embed(fig, div_id)


def roof_cell(e: Entry) -> Cell:
    """% of the attainable rate; the binding ceiling and the attainable rate on hover."""
    p = e.point
    if p is None:
        return pct_cell(None)
    title = f"{p.ceiling} ceiling ({p.source}); attainable {p.attainable / 1e12:.4g} TFLOP/s" + (
        "; L2-resident: above the HBM roof" if p.l2_resident else ""
    )
    return pct_cell(p.fraction, title)


def table(data: ReportData, entries: list[Entry], div_id: str) -> Table:
    t = Table(
        div_id,
        (
            "variant",
            "problem",
            "dtype",
            "config",
            "median",
            "FLOP/s",
            "B/s",
            "FLOP/B",
            "% roofline",
            "bound",
        ),
        filters=("variant",),
    )
    for e in entries:
        r, p = e.record, e.point
        median = r.median_s or math.inf
        t.rows.append(
            [
                text(r.variant),
                Cell(data.short_problem(r), r.problem, r.problem),
                text(r.dtype),
                short_config(r.config),
                Cell(fmt_time(r.median_s), r.median_s),
                rate_cell(r.flops / median, "FLOP/s"),
                rate_cell(r.bytes / median, "B/s"),
                num_cell(r.flops / r.bytes if r.bytes else None),
                roof_cell(e),
                text(p.bound if p else "-"),
            ]
        )
    return t


class Roofline(Page):
    slug = "roofline"
    title = "Roofline"

    def build(self, data: ReportData) -> Content:
        plotted = best(
            (
                e
                for e in data.entries
                if e.record.bytes > 0 and e.record.flops > 0 and e.record.family != "calibrate"
            ),
            lambda e: (
                e.record.device_name,
                e.record.family,
                e.record.variant,
                e.record.problem,
                e.record.dtype,
            ),
        )
        if not plotted:
            return Content(omitted="no timed record with FLOPs and bytes to place under a roofline")
        by_device: dict[str, list[Entry]] = defaultdict(list)
        for e in plotted.values():
            by_device[e.record.device_name].append(e)
        sections = []
        styles = series_styles(sorted({e.record.variant for e in plotted.values()}))
        order = data.devices()  # GPUs first
        ranked = sorted(
            by_device.items(),
            key=lambda kv: (order.index(kv[0]) if kv[0] in order else len(order), kv[0]),
        )
        for i, (device, entries) in enumerate(ranked):
            ceilings = data.rooflines.ceilings(device) if entries[0].gpu else None
            slug = re.sub(r"[^a-z0-9]+", "-", device.lower()).strip("-") or f"device-{i}"
            notes = []
            if ceilings is None and entries[0].gpu:
                notes.append("No ceilings known for this GPU: run kernbench calibrate on it.")
            sections.append(
                Section(
                    device,
                    text=("Ceilings: " + ceilings.source + ". " if ceilings else "")
                    + "Each point is the fastest config of one variant on one problem; hover for details.",
                    figures=[figure(device, entries, ceilings, f"roofline-{slug}", styles)],
                    table=table(data, entries, f"roofline-table-{slug}"),
                    notes=notes
                    + ([] if entries[0].gpu else [f"{CPU_TIMING_NOTE}: no ceilings apply."]),
                    device=device,
                )
            )
        return Content(sections)
