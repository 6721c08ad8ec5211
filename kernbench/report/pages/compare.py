"""Comparisons: the verdicts of ``kernbench compare`` between the baseline and the reported stores.

The judging is kernbench.analyse.compare's (bootstrap CI of the ratio of medians, Mann-Whitney
U, per-name thresholds from pyproject.toml); this page only shows it, best config against best
config.
"""

from __future__ import annotations

from ...device import CPU_TIMING_NOTE
from ...errors import UsageError
from ...present import fmt_config
from ..data import ReportData
from ..page import Cell, Content, Page, Section, Table, text, time_cell


class Compare(Page):
    slug = "compare"
    title = "Comparisons"

    def build(self, data: ReportData) -> Content:
        if data.baseline is None:
            return Content(omitted="no --baseline given")
        try:
            from ...analyse.compare import compare
            from ...analyse.compare_format import change_text, headline
            from ...config import load as load_gate
        except ImportError as exc:
            return Content(omitted=f"kernbench compare is not installed ({exc})")
        candidate = [e.record for e in data.entries]
        try:
            cmp = compare(data.baseline.records, candidate, load_gate(), mode="best")
        except UsageError as exc:
            return Content([Section("Not compared", text=str(exc))])
        table = Table(
            "compare",
            (
                "verdict",
                "variant",
                "problem",
                "dtype",
                "config",
                "baseline",
                "candidate",
                "change [CI]",
                "p",
                "threshold",
                "note",
            ),
        )
        for pair in sorted(
            cmp.pairs, key=lambda p: (p.verdict, p.candidate.variant, p.candidate.problem)
        ):
            r = pair.candidate
            table.rows.append(
                [
                    Cell(pair.verdict, pair.verdict),
                    text(r.variant),
                    text(data.short_problem(r)),
                    text(r.dtype),
                    text(fmt_config(r.config)),
                    time_cell(pair.baseline.median_s),
                    time_cell(r.median_s),
                    Cell(change_text(pair), pair.stats.ratio if pair.stats else None),
                    Cell(
                        f"{pair.stats.p_value:.2g}" if pair.stats else "-",
                        pair.stats.p_value if pair.stats else None,
                    ),
                    Cell(f"{pair.threshold:.0%}", pair.threshold),
                    Cell(
                        "; ".join(filter(None, [pair.note, "" if pair.gpu else "not GPU timing"]))
                    ),
                ]
            )
        notes = [
            f"only in the baseline: {u.record.variant} {u.record.problem} {u.record.dtype}"
            + (f" ({u.note})" if u.note else "")
            for u in cmp.only_baseline
        ]
        notes += [
            f"only in this report: {u.record.variant} {u.record.problem} {u.record.dtype}"
            + (f" ({u.note})" if u.note else "")
            for u in cmp.only_candidate
        ]
        not_gpu = sum(not p.gpu for p in cmp.pairs)
        if not_gpu:
            notes.insert(
                0,
                f"{not_gpu} of {len(cmp.pairs)} pairs are {CPU_TIMING_NOTE}: their verdicts check the pipeline only.",
            )
        return Content(
            [
                Section(
                    f"{data.baseline.label} → this report",
                    text=headline(cmp),
                    table=table,
                    notes=notes,
                )
            ]
        )
