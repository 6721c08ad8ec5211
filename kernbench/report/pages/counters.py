"""The GEMM ladder without a GPU: what each step's optimisation targets, counted by the emulator.

Built from emulated records (``--device emu``): per problem, one chart per counted metric
across the ladder's steps (the metric a step's description says it improves), the
speed-of-light model's bound for each step ("model, not a measurement"), the GPU time beside
it where a GPU store holds the same kernel, and each step's own explanation.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import plotly.graph_objects as go

from ...analyse.counted import emulated
from ...emulator.costs import LABEL, ceilings_for, default_gpu, speed_of_light
from ...present import fmt_config
from ..data import Entry, ReportData
from ..figures import COLOURS, embed, spans_decades, styled
from ..labels import steps_section
from ..page import Cell, Content, Page, Section, Table, num_cell, text, time_cell

FAMILY = "gemm"

Values = dict[str, Any]


@dataclass(frozen=True)
class Chart:
    """One counted metric across the steps, and the step whose description targets it."""

    key: str
    title: str
    axis: str
    value: Callable[[Values, Values], float | None]


def _ratio(a: float, b: float) -> float | None:
    return a / b if b else None


CHARTS: tuple[Chart, ...] = (
    Chart(
        "global-bytes",
        "Global bytes loaded per output (tiling)",
        "bytes / output",
        lambda c, p: _ratio(c.get("global_load_bytes", 0), c.get("outputs", 0)),
    ),
    Chart(
        "load-instructions",
        "Load instructions per KiB (vector loads)",
        "instructions / KiB",
        lambda c, p: _ratio(
            1024 * (c.get("warp.ld.global", 0) + c.get("warp.cp.async", 0)),
            c.get("global_load_bytes", 0),
        ),
    ),
    Chart(
        "shared-ways",
        "Shared wavefronts per ideal (1: no conflicts)",
        "wavefronts / ideal",
        lambda c, p: c.get("shared_wavefronts_per_ideal") or None,
    ),
    Chart(
        "staging",
        "Register staging per output (cp.async: 0)",
        "warp-instructions / output",
        lambda c, p: _ratio(
            c.get("warp.ld.global", 0) + c.get("warp.st.shared", 0), c.get("outputs", 0)
        ),
    ),
    Chart(
        "shared-loads",
        "Shared loads per output (ldmatrix)",
        "warp-instructions / output",
        lambda c, p: p.get("shared_load_instructions"),
    ),
    Chart(
        "store-efficiency",
        "Store sector efficiency (epilogue)",
        "bytes asked / bytes moved",
        lambda c, p: c.get("global_store_efficiency"),
    ),
    Chart(
        "simt",
        "FP32 thread-instructions per output",
        "thread-instructions / output",
        lambda c, p: p.get("fp32_thread_instructions"),
    ),
    Chart(
        "tensor-work",
        "Multiply-adds per tensor instruction",
        "multiply-adds / warp-instruction",
        lambda c, p: _ratio(
            sum(v for k, v in c.items() if k.startswith("tensor_macs.")), c.get("warp.tensor", 0)
        ),
    ),
    Chart(
        "instructions",
        "Warp-instructions per output",
        "warp-instructions / output",
        lambda c, p: p.get("warp_instructions"),
    ),
)


@dataclass(frozen=True)
class Step:
    language: str
    order: int
    entry: Entry
    counters: Values
    per_output: Values

    @property
    def name(self) -> str:
        return self.entry.record.variant


def steps(data: ReportData) -> dict[tuple[str, str], list[Step]]:
    """Per (problem, dtype), each ladder step's latest emulated record, in ladder order."""
    latest: dict[tuple[str, str, str], Entry] = {}
    for e in data.entries:
        rec = e.record
        if rec.family != FAMILY or not e.ok or emulated(rec) is None:
            continue
        latest[(rec.problem, rec.dtype, rec.variant)] = e
    out: dict[tuple[str, str], list[Step]] = defaultdict(list)
    for (problem, dtype, name), e in latest.items():
        v = data.variant(name)
        if v is None or v.order <= 0:
            continue
        emu = emulated(e.record) or {}
        counters = {**emu["counters"], "outputs": emu.get("outputs", 0)}
        out[(problem, dtype)].append(
            Step(v.language, v.order, e, counters, dict(emu.get("per_output", {})))
        )
    for group in out.values():
        group.sort(key=lambda s: (s.language, s.order))
    return dict(out)


def measured(data: ReportData, rec: Any) -> float | None:
    """The median of a GPU record of the same kernel, config, problem and dtype, if any."""
    times = [
        e.record.median_s
        for e in data.entries
        if e.gpu
        and e.ok
        and (e.record.variant, e.record.problem, e.record.dtype)
        == (rec.variant, rec.problem, rec.dtype)
        and fmt_config(e.record.config) == fmt_config(rec.config)
    ]
    return min((t for t in times if t), default=None)


def chart(chart: Chart, group: list[Step], div: str, title: str) -> str | None:
    ys = [chart.value(s.counters, s.per_output) for s in group]
    if all(y is None for y in ys):
        return None
    fig = go.Figure(
        go.Bar(
            x=[f"{s.order} {s.name}" for s in group],
            y=[y if y is not None else 0 for y in ys],
            marker={"color": COLOURS[0]},
            hovertemplate="%{x}<br>%{y:.4g}<extra></extra>",
            name=chart.axis,
        )
    )
    present = [y for y in ys if y]
    log = bool(present) and spans_decades(present)
    axis = chart.axis + (" (log)" if log else "")
    styled(fig, f"{chart.title}: {title}", "step", axis, log_y=log, height=380)
    fig.update_layout(showlegend=False, bargap=0.3)
    return embed(fig, div)


class Counters(Page):
    slug = "counters"
    title = "Ladder counters"

    def build(self, data: ReportData) -> Content:
        found = steps(data)
        if not found:
            return Content(
                omitted="no emulated GEMM ladder record with counters (kernbench bench gemm "
                "--device emu)"
            )
        sections = []
        for n, ((_problem, dtype), group) in enumerate(sorted(found.items())):
            label = f"{data.short_problem(group[0].entry.record)} {dtype}"
            stores = [src.store for src in data.sources]
            gpus = {s.name: ceilings_for(default_gpu(_arch(s.entry.record)), stores) for s in group}
            devices = ", ".join(sorted({f"{c.device} ({c.source})" for c in gpus.values()}))
            figures = [
                f
                for i, c in enumerate(CHARTS)
                if (f := chart(c, group, f"counters-{n}-{c.key}", label)) is not None
            ]
            table = Table(
                f"counters-{n}",
                (
                    "step",
                    "variant",
                    "config",
                    "sect/req",
                    "conflicts/req",
                    "MAC/out",
                    "inst/out",
                    "lanes",
                    "model",
                    "bound",
                    "measured",
                ),
                caption=f"model: {LABEL}; a lower bound on {devices} ceilings, the GPU "
                "of each step's architecture. measured: a GPU record of the same kernel, "
                "where a store holds one.",
            )
            for s in group:
                rec = s.entry.record
                bound = speed_of_light(s.counters, gpus[s.name], int(s.counters.get("ctas", 0)))
                table.rows.append(
                    [
                        Cell(f"{s.language} {s.order}", f"{s.language} {s.order:03d}"),
                        text(rec.variant),
                        Cell(fmt_config(rec.config), fmt_config(rec.config)),
                        num_cell(s.counters.get("global_load_sectors_per_request")),
                        num_cell(s.counters.get("shared_conflicts_per_request")),
                        num_cell(s.per_output.get("tensor_macs")),
                        num_cell(s.per_output.get("warp_instructions")),
                        num_cell(s.counters.get("lane_efficiency")),
                        time_cell(bound.time_s),
                        text(bound.dominant),
                        time_cell(measured(data, rec)),
                    ]
                )
            sections.append(
                Section(
                    label,
                    text="Counted by the PTX emulator: exact for this problem, the same in any "
                    "run. Each chart is the counter one step's optimisation targets, across "
                    "every step. Caches are not modelled.",
                    figures=figures,
                    grid=True,
                    table=table,
                    notes=[f"The model column is a {LABEL}."],
                )
            )
        sections.append(
            steps_section(
                "counters-steps",
                data,
                ((s.language, s.order, s.name) for group in found.values() for s in group),
            )
        )
        return Content(sections)


def _arch(rec: Any) -> str:
    launches = (emulated(rec) or {}).get("launches", [])
    return str(launches[0].get("arch", "sm_80")) if launches else "sm_80"
