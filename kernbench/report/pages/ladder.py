"""The GEMM ladder: how far each optimisation step moved the kernel, as % of cuBLAS and of CUTLASS.

cuBLAS is the fastest ``torch_matmul`` record of the same problem, dtype and device; CUTLASS
the fastest record of any ``cutlass_*`` variant. Both were measured in the same stores.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass

import plotly.graph_objects as go

from ...present import fmt_config
from ..data import Entry, ReportData, best
from ..figures import embed, styled
from ..page import Cell, Content, Page, Section, Table, num_cell, pct_cell, text, time_cell

FAMILY = "gemm"
CUBLAS = "torch_matmul"
CUTLASS_PREFIX = "cutlass_"

Shape = tuple[str, str, str]
"""(device, problem, dtype)."""


@dataclass(frozen=True)
class Rung:
    """One step's fastest record on one shape, against the references of that shape."""

    language: str
    order: int
    entry: Entry
    cublas: float | None
    cutlass: float | None

    @property
    def label(self) -> str:
        return f"{self.language} {self.order}: {self.entry.record.variant}"


def _shape(e: Entry) -> Shape:
    return (e.record.device_name, e.record.problem, e.record.dtype)


def _ratio(ref: Entry | None, e: Entry) -> float | None:
    """Reference time over step time: 1.0 means as fast as the reference."""
    if ref is None or not ref.record.median_s or not e.record.median_s:
        return None
    return ref.record.median_s / e.record.median_s


def rungs(data: ReportData) -> list[Rung]:
    fastest = best(
        (e for e in data.entries if e.record.family == FAMILY),
        lambda e: (*_shape(e), e.record.variant),
    )
    refs: dict[Shape, dict[str, Entry]] = defaultdict(dict)
    for e in fastest.values():
        name = e.record.variant
        kind = "cublas" if name == CUBLAS else "cutlass" if name.startswith(CUTLASS_PREFIX) else ""
        held = refs[_shape(e)].get(kind)
        if kind and (held is None or (e.record.median_s or 0.0) < (held.record.median_s or 0.0)):
            refs[_shape(e)][kind] = e
    out = []
    for e in fastest.values():
        v = data.variant(e.record.variant)
        if v is not None and v.order > 0:
            ref = refs[_shape(e)]
            out.append(
                Rung(
                    v.language,
                    v.order,
                    e,
                    _ratio(ref.get("cublas"), e),
                    _ratio(ref.get("cutlass"), e),
                )
            )
    return sorted(out, key=lambda r: (r.entry.gpu is False, _shape(r.entry), r.language, r.order))


def figure(data: ReportData, device: str, group: list[Rung]) -> str:
    """Bars of % of cuBLAS per step, one colour per shape; CUTLASS as diamonds where measured."""
    fig = go.Figure()
    with_cublas = any(r.cublas is not None for r in group)
    by_shape: dict[Shape, list[Rung]] = defaultdict(list)
    for r in group:
        by_shape[_shape(r.entry)].append(r)
    for shape, rs in by_shape.items():
        name = f"{data.short_problem(rs[0].entry.record)} {shape[2]}"
        hover = [fmt_config(r.entry.record.config) for r in rs]
        if with_cublas:
            fig.add_trace(
                go.Bar(
                    x=[r.label for r in rs],
                    y=[100 * r.cublas if r.cublas else None for r in rs],
                    name=f"{name}: % of cuBLAS",
                    customdata=hover,
                    hovertemplate="%{x}<br>%{y:.1f}% of cuBLAS<br>config: %{customdata}<extra></extra>",
                )
            )
        else:
            fig.add_trace(
                go.Bar(
                    x=[r.label for r in rs],
                    y=[r.entry.record.flops / (r.entry.record.median_s or 1.0) for r in rs],
                    name=name,
                    customdata=hover,
                    hovertemplate="%{x}<br>%{y:.3s}FLOP/s<br>config: %{customdata}<extra></extra>",
                )
            )
        if any(r.cutlass is not None for r in rs):
            fig.add_trace(
                go.Scatter(
                    x=[r.label for r in rs],
                    y=[100 * r.cutlass if r.cutlass else None for r in rs],
                    mode="markers",
                    marker={"symbol": "diamond", "size": 12, "line": {"width": 1, "color": "#222"}},
                    name=f"{name}: % of CUTLASS",
                    hovertemplate="%{x}<br>%{y:.1f}% of CUTLASS<extra></extra>",
                )
            )
    if with_cublas:
        fig.add_hline(
            y=100,
            line={"dash": "dot", "color": "#888"},
            annotation_text="cuBLAS",
            annotation_position="top left",
        )
    title = (
        f"{device}: % of cuBLAS per step"
        if with_cublas
        else f"{device}: achieved FLOP/s per step (no cuBLAS record)"
    )
    styled(fig, title, "step", "% of reference" if with_cublas else "FLOP/s")
    fig.update_layout(barmode="group")
    return embed(
        fig, "ladder-" + (re.sub(r"[^a-z0-9]+", "-", device.lower()).strip("-") or "device")
    )


class Ladder(Page):
    slug = "ladder"
    title = "GEMM ladder"

    def build(self, data: ReportData) -> Content:
        found = rungs(data)
        if not found:
            return Content(omitted="no GEMM ladder step (a variant with an order) has an ok record")
        table = Table(
            "ladder",
            (
                "language",
                "step",
                "variant",
                "problem",
                "dtype",
                "device",
                "config",
                "median",
                "TFLOP/s",
                "% cuBLAS",
                "% CUTLASS",
                "% roofline",
            ),
        )
        by_device: dict[str, list[Rung]] = defaultdict(list)
        for r in found:
            e = r.entry
            rec = e.record
            by_device[rec.device_name].append(r)
            table.rows.append(
                [
                    text(r.language),
                    Cell(str(r.order), float(r.order)),
                    text(rec.variant),
                    text(data.short_problem(rec)),
                    text(rec.dtype),
                    text(rec.device_name),
                    text(fmt_config(rec.config)),
                    time_cell(rec.median_s),
                    num_cell(rec.flops / (rec.median_s or 1.0), 1e12),
                    pct_cell(r.cublas),
                    pct_cell(r.cutlass),
                    pct_cell(e.point.fraction if e.point else None),
                ]
            )
        explain = Table("ladder-steps", ("language", "step", "variant", "what it changes"))
        for lang, order, name in sorted(
            {(r.language, r.order, r.entry.record.variant) for r in found}
        ):
            v = data.variant(name)
            explain.rows.append(
                [
                    text(lang),
                    Cell(str(order), float(order)),
                    text(name),
                    Cell(v.description if v else ""),
                ]
            )
        notes = (
            []
            if any(r.cublas is not None for r in found)
            else ["No torch_matmul (cuBLAS) record of the same problems: no percentages."]
        )
        return Content(
            [
                Section(
                    "Steps against cuBLAS and CUTLASS",
                    table=table,
                    notes=notes,
                    figures=[figure(data, device, group) for device, group in by_device.items()],
                    text="Each step's fastest config per problem; % = reference time / step time (higher is better).",
                ),
                Section("What each step changes", table=explain),
            ]
        )
