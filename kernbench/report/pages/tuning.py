"""Tuning: how each study converged (best so far against unique evaluations), what mattered, who won.

Records name their study and trial; the Optuna studies live in the same database, which
says which sampler each run used and holds what parameter importance is computed from.
"""

from __future__ import annotations

import math
from collections import defaultdict
from typing import Any

import optuna
import plotly.graph_objects as go
import sqlalchemy as sa

from ...measure.outcome import Status
from ...present import fmt_config
from ...tune.timing import ATTR as BREAKDOWN
from ...tune.timing import STAGES
from ..data import Entry, ReportData, Source
from ..figures import embed, series_styles, styled
from ..page import Cell, Content, Page, Section, Table, pct_cell, short_config, text, time_cell


def load_studies(source: Source) -> dict[str, optuna.Study]:
    """The store's Optuna studies by name; none when the database holds no Optuna tables."""
    with source.store.engine.connect() as conn:
        if not sa.inspect(conn).has_table("studies"):
            return {}
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    storage = optuna.storages.RDBStorage(
        source.store.url, skip_compatibility_check=True, skip_table_creation=True
    )
    return {
        s.study_name: optuna.load_study(
            study_name=s.study_name, storage=storage, sampler=optuna.samplers.RandomSampler()
        )
        for s in optuna.get_all_study_summaries(storage, include_best_trial=False)
    }


def _named(run: dict[str, Any]) -> str:
    name, seed = run.get("sampler"), run.get("seed")
    return f"{name} (seed {seed})" if name and seed is not None else str(name or "")


def sampler_of(study: optuna.Study | None, run_id: str) -> str:
    """The sampler (and seed) the tuner noted in the study for this run, or for every run."""
    if study is None:
        return "sampler not recorded"
    attrs = study.user_attrs
    run = attrs.get(f"run:{run_id}")
    if isinstance(run, dict) and _named(run):
        return _named(run)
    names = sorted(
        {_named(v) for k, v in attrs.items() if k.startswith("run:") and isinstance(v, dict)} - {""}
    )
    if not names and isinstance(attrs.get("sampler"), str):
        names = [_named(attrs)]
    return " / ".join(names) or "sampler not recorded"


def importance(data: ReportData, study: optuna.Study) -> str:
    """Parameter importance from kernbench.analyse.importance, as text; why not, when it has none."""
    try:
        from ...analyse.importance import param_importances
    except ImportError:
        return "not available (kernbench.analyse.importance missing)"
    variant = data.variant(str(study.user_attrs.get("variant", "")))
    if variant is None:
        return "-"
    try:
        found = param_importances(study, variant.space)
    except Exception as exc:  # e.g. an evaluator's optional dependency: say so, keep the page
        return f"not computed ({type(exc).__name__})"
    if found is None:
        return "too few correct trials"
    return (
        ", ".join(f"{k} {v:.2f}" for k, v in sorted(found.items(), key=lambda kv: -kv[1]))
        or "no parameter varies"
    )


def _curve(entries: list[Entry]) -> list[float | None]:
    """Best ok median after each unique evaluation (None until the first ok one)."""
    out: list[float | None] = []
    low = math.inf
    for e in entries:
        if e.ok:
            low = min(low, e.record.median_s or math.inf)
        out.append(low if math.isfinite(low) else None)
    return out


def time_breakdown(studies: dict[str, dict[str, optuna.Study]]) -> Section | None:
    """Where each study's wall time went, from the tuner's ``kernbench_time_breakdown``."""
    found: list[tuple[str, dict[str, Any]]] = []
    for by_name in studies.values():
        for name, study in sorted(by_name.items()):
            value = study.user_attrs.get(BREAKDOWN)
            if isinstance(value, dict) and isinstance(value.get("stages"), dict):
                found.append((name, value))
    if not found:
        return None
    names = [_short_study(name) for name, _ in found]
    stages = [s for s in STAGES if any(b["stages"].get(s) for _, b in found)]
    stages += sorted({s for _, b in found for s in b["stages"]} - set(STAGES))
    styles = series_styles(stages)
    fig = go.Figure()
    for stage in stages:
        fig.add_trace(
            go.Bar(
                y=names,
                x=[float(b["stages"].get(stage) or 0.0) for _, b in found],
                name=stage,
                orientation="h",
                marker={"color": styles[stage]["color"]},
                hovertemplate=f"{stage}: %{{x:.3g}} s<extra>%{{y}}</extra>",
            )
        )
    styled(
        fig, "Where the tuning time went", "wall time (s)", "study", height=160 + 40 * len(found)
    )
    fig.update_layout(barmode="stack")
    table = Table("tuning-time", ("study", "wall time", "trials", "per trial", "largest stage"))
    for (name, b), short in zip(found, names, strict=True):
        wall = float(b.get("wall_s") or 0.0)
        trials = int(b.get("trials") or 0)
        top = max(b["stages"].items(), key=lambda kv: float(kv[1] or 0.0), default=("-", 0.0))
        table.rows.append(
            [
                Cell(short, name, name),
                time_cell(wall),
                text(trials),
                time_cell(wall / trials if trials else None),
                Cell(
                    f"{top[0]} ({float(top[1] or 0.0) / wall:.0%})" if wall else str(top[0]),
                    float(top[1] or 0.0),
                ),
            ]
        )
    return Section(
        "Tuning time",
        figures=[embed(fig, "tuning-time")],
        table=table,
        text="Wall time of each study by stage, as the tuner recorded it.",
    )


def _short_study(name: str) -> str:
    """``gemm/triton_naive/m=64,...`` without parameters at their usual defaults: fits a label."""
    return name if len(name) <= 48 else name[:47] + "…"


def _label(data: ReportData, sampler: str, es: list[Entry]) -> str:
    r0 = es[0].record
    replay = " (replay)" if es[0].replay else ""
    return f"{r0.variant} {data.short_problem(r0)} {r0.dtype} [{sampler}]{replay}"


def _convergence(
    data: ReportData,
    device: str,
    runs: dict[tuple[str, str, str], list[Entry]],
    styles: dict[str, dict[str, str]],
    index: int,
) -> Section:
    """One device's studies: best so far against unique evaluations, and each study's winner."""
    fig = go.Figure()
    winners = Table(
        f"tuning-winners-{index}",
        (
            "study",
            "sampler",
            "unique evaluations",
            "ok",
            "best config",
            "best median",
            "% roofline",
            "store",
        ),
    )
    for (source, name, sampler), es in runs.items():
        es.sort(
            key=lambda e: (
                e.record.trial if e.record.trial is not None else -1,
                e.record.id or 0,
            )
        )
        label = _label(data, sampler, es)
        fig.add_trace(
            go.Scatter(
                x=list(range(1, len(es) + 1)),
                y=_curve(es),
                mode="lines+markers",
                name=label,
                line={"shape": "hv", "color": styles[label]["color"]},
                marker={"symbol": styles[label]["symbol"], "size": 8},
                customdata=[fmt_config(e.record.config) for e in es],
                hovertemplate="evaluation %{x}: best %{y:.4s}s<br>this config: %{customdata}<extra></extra>",
            )
        )
        ok = [e for e in es if e.ok]
        top = min(ok, key=lambda e: e.record.median_s or math.inf) if ok else None
        winners.rows.append(
            [
                Cell(label, name, title=name),
                text(sampler),
                text(len(es)),
                text(len(ok)),
                short_config(top.record.config) if top else text("none passed the gate"),
                time_cell(top.record.median_s if top else None),
                pct_cell(top.point.fraction if top and top.point else None),
                text(source),
            ]
        )
    styled(
        fig,
        f"{device}: best so far",
        "unique evaluations",
        "best median time (s)",
        log_y=True,
    )
    if max(len(es) for es in runs.values()) <= 20:
        fig.update_xaxes(dtick=1)
    replays = any(es[0].replay for es in runs.values())
    notes = (
        [
            "Studies marked (replay) re-read a recorded space (tune --device replay:): they "
            "test the search, their times were measured when the space was recorded."
        ]
        if replays
        else []
    )
    return Section(
        f"Convergence on {device}",
        figures=[embed(fig, f"tuning-convergence-{index}")],
        table=winners,
        notes=notes,
        text="Only unique evaluations count: a config the sampler proposes again is served from the store.",
        device=device,
    )


class Tuning(Page):
    slug = "tuning"
    title = "Tuning"

    def build(self, data: ReportData) -> Content:
        runs: dict[tuple[str, str, str], list[Entry]] = defaultdict(list)
        studies = {s.label: load_studies(s) for s in data.sources}
        for e in [*data.entries, *data.replays]:
            if e.record.study and e.record.status not in Status.NOT_LAUNCHED:
                study = studies.get(e.source, {}).get(e.record.study)
                runs[(e.source, e.record.study, sampler_of(study, e.record.run_id))].append(e)
        if not runs:
            return Content(omitted="no record belongs to a tuning study (kernbench tune)")
        styles = series_styles(
            _label(data, sampler, es) for (_, _, sampler), es in sorted(runs.items())
        )
        by_device: dict[str, dict[tuple[str, str, str], list[Entry]]] = defaultdict(dict)
        for key, es in sorted(runs.items()):
            by_device[es[0].record.device_name][key] = es
        sections = [
            _convergence(data, device, mine, styles, i)
            for i, (device, mine) in enumerate(sorted(by_device.items()))
        ]
        breakdown = time_breakdown(studies)
        if breakdown is not None:
            sections.append(breakdown)
        sections.append(self._optuna(data, studies))
        return Content(sections)

    @staticmethod
    def _optuna(data: ReportData, studies: dict[str, dict[str, optuna.Study]]) -> Section:
        table = Table(
            "tuning-studies",
            (
                "study",
                "trials",
                "complete",
                "pruned",
                "failed",
                "rejected statically",
                "parameter importance",
                "store",
            ),
        )
        notes: list[str] = []
        for source, by_name in studies.items():
            for name, study in sorted(by_name.items()):
                trials = study.get_trials(deepcopy=False)
                states = [t.state for t in trials]
                table.rows.append(
                    [
                        Cell(name, name, name),
                        text(len(trials)),
                        text(states.count(optuna.trial.TrialState.COMPLETE)),
                        text(states.count(optuna.trial.TrialState.PRUNED)),
                        text(states.count(optuna.trial.TrialState.FAIL)),
                        text(sum(t.user_attrs.get("status") == "static_rejected" for t in trials)),
                        Cell(importance(data, study)),
                        text(source),
                    ]
                )
        if not any(studies.values()):
            notes.append(
                "The stores hold no Optuna studies (records name a study, the study tables are missing)."
            )
        return Section(
            "Optuna studies",
            table=table,
            notes=notes,
            text="Rejected configs were never launched: the static check refused them.",
        )
