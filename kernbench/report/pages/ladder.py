"""The GEMM ladder: each optimisation step's rate against the family's baselines, per problem.

The references are the family's baseline records of the same problem, dtype and device, called
by what ran them (:func:`kernbench.report.labels.reference_label`): cuBLAS for torch.matmul on
a GPU, "torch (CPU)" on the CPU. Nothing here names a particular kernel.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from dataclasses import dataclass, field

import plotly.graph_objects as go

from ..data import Entry, ReportData, best
from ..figures import COLOURS, embed, series_styles, si, spans_decades, styled
from ..labels import reference_label, steps_section
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

FAMILY = "gemm"
DASHES = ("dash", "dot", "dashdot", "longdash")

Shape = tuple[str, str, str]
"""(device, problem, dtype)."""


@dataclass(frozen=True)
class Rung:
    """One step's fastest record on one shape, and its speed relative to each reference there."""

    language: str
    order: int
    entry: Entry
    vs: dict[str, float] = field(default_factory=dict)
    """Reference label -> reference time / step time (1.0: as fast as the reference)."""

    @property
    def step(self) -> str:
        return f"{self.language} {self.order}"

    @property
    def rate(self) -> float:
        return self.entry.record.flops / (self.entry.record.median_s or 1.0)


def shape(e: Entry) -> Shape:
    return (e.record.device_name, e.record.problem, e.record.dtype)


def references(data: ReportData) -> dict[Shape, dict[str, Entry]]:
    """The fastest baseline record per shape and reference label."""
    fastest = best(
        (e for e in data.entries if e.record.family == FAMILY and e.record.baseline),
        lambda e: (*shape(e), reference_label(data, e.record)),
    )
    out: dict[Shape, dict[str, Entry]] = defaultdict(dict)
    for (*key, label), e in fastest.items():
        out[(key[0], key[1], key[2])][label] = e
    return out


def rungs(data: ReportData) -> list[Rung]:
    fastest = best(
        (e for e in data.entries if e.record.family == FAMILY and not e.record.baseline),
        lambda e: (*shape(e), e.record.variant),
    )
    refs = references(data)
    out = []
    for e in fastest.values():
        v = data.variant(e.record.variant)
        if v is None or v.order <= 0:
            continue
        vs = {
            label: (ref.record.median_s or 0.0) / (e.record.median_s or 1.0)
            for label, ref in refs.get(shape(e), {}).items()
        }
        out.append(Rung(v.language, v.order, e, vs))
    return sorted(out, key=lambda r: (not r.entry.gpu, shape(r.entry), r.language, r.order))


def figure(
    data: ReportData, group: list[Rung], refs: dict[str, Entry], colours: dict[str, str], div: str
) -> str:
    """One bar per step on one problem; each reference a labelled horizontal line."""
    fig = go.Figure()
    by_language: dict[str, list[Rung]] = defaultdict(list)
    for r in group:
        by_language[r.language].append(r)
    for language, rs in by_language.items():
        fig.add_trace(
            go.Bar(
                x=[r.entry.record.variant for r in rs],
                y=[r.rate for r in rs],
                name=f"{language} steps",
                marker={"color": colours[language]},
                customdata=[[r.step, short_config(r.entry.record.config).title] for r in rs],
                hovertemplate="%{customdata[0]}: %{x}<br>%{y:.3s}FLOP/s<br>config: %{customdata[1]}"
                "<extra></extra>",
            )
        )
    ref_rates = {
        label: ref.record.flops / (ref.record.median_s or 1.0)
        for label, ref in sorted(refs.items())
    }
    log = spans_decades([r.rate for r in group] + list(ref_rates.values()))
    for i, (label, rate) in enumerate(ref_rates.items()):
        fig.add_hline(y=rate, line={"dash": DASHES[i % len(DASHES)], "color": "#333", "width": 1.5})
        # plotly places annotations on a log axis by the exponent: give it one.
        fig.add_annotation(
            x=1 if i % 2 else 0,
            xref="paper",
            xanchor="right" if i % 2 else "left",
            y=math.log10(rate) if log else rate,
            yanchor="bottom",
            text=f"{label} {si(rate, 'FLOP/s')}",
            showarrow=False,
            font={"size": 12},
        )
    rec = group[0].entry.record
    title = f"{data.short_problem(rec)} {rec.dtype}"
    styled(
        fig, title, "step (variant)", "FLOP/s" + (" (log)" if log else ""), log_y=log, height=440
    )
    fig.update_layout(showlegend=len(by_language) > 1, bargap=0.3)
    if log:  # bars rise from well below the lowest one, so the shortest still shows
        values = [r.rate for r in group] + list(ref_rates.values())
        fig.update_yaxes(range=[math.log10(min(values)) - 0.6, math.log10(max(values)) + 0.3])
    return embed(fig, div)


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "x"


class Ladder(Page):
    slug = "ladder"
    title = "GEMM ladder"

    def build(self, data: ReportData) -> Content:
        found = rungs(data)
        if not found:
            return Content(omitted="no GEMM ladder step (a variant with an order) has an ok record")
        refs = references(data)
        colours = {
            lang: style["color"] for lang, style in series_styles(r.language for r in found).items()
        } or {"": COLOURS[0]}
        sections = []
        by_device: dict[str, list[Rung]] = defaultdict(list)
        for r in found:
            by_device[r.entry.record.device_name].append(r)
        for device, group in by_device.items():
            labels = sorted({label for r in group for label in r.vs})
            table = Table(
                f"ladder-{_slug(device)}",
                (
                    "step",
                    "variant",
                    "problem",
                    "dtype",
                    "config",
                    "median",
                    "FLOP/s",
                    *(f"% {label}" for label in labels),
                    "% roofline",
                ),
                filters=("problem",),
            )
            by_shape: dict[Shape, list[Rung]] = defaultdict(list)
            for r in group:
                by_shape[shape(r.entry)].append(r)
                rec = r.entry.record
                table.rows.append(
                    [
                        Cell(r.step, f"{r.language} {r.order:03d}"),
                        text(rec.variant),
                        Cell(data.short_problem(rec), rec.problem, rec.problem),
                        text(rec.dtype),
                        short_config(rec.config),
                        time_cell(rec.median_s),
                        rate_cell(r.rate, "FLOP/s"),
                        *(pct_cell(r.vs.get(label)) for label in labels),
                        pct_cell(r.entry.point.fraction if r.entry.point else None),
                    ]
                )
            figures = [
                figure(data, rs, refs.get(key, {}), colours, f"ladder-{_slug(device)}-{i}")
                for i, (key, rs) in enumerate(by_shape.items())
            ]
            notes = (
                []
                if any(r.vs for r in group)
                else ["No baseline record of the same problems on this device: no percentages."]
            )
            sections.append(
                Section(
                    device,
                    text="Each step's fastest config per problem; % = reference time / step time "
                    "(higher is better). References are named by what ran them.",
                    figures=figures,
                    grid=True,
                    table=table,
                    notes=notes,
                    device=device,
                )
            )
        sections.append(
            steps_section(
                "ladder-steps", data, ((r.language, r.order, r.entry.record.variant) for r in found)
            )
        )
        return Content(sections)
