"""A comparison for people (rich table), for pull-request comments (markdown) and for scripts (JSON).

Every format says when timings are not GPU performance (CPU device, plain Python timers).
"""

from __future__ import annotations

import json
from typing import Any

from rich.console import Group
from rich.table import Table
from rich.text import Text

from ..device import CPU_TIMING_NOTE
from ..present import fmt_config, fmt_time
from .compare import ADVICE, Comparison, Pair, Unmatched, Verdict

FORMATS = ("table", "markdown", "json")
NOT_GPU = f"{CPU_TIMING_NOTE} (records measured on the CPU device or by a plain Python timer)"
_STYLE = {
    Verdict.SLOWER: "bold red",
    Verdict.FASTER: "green",
    Verdict.NOISY: "yellow",
    Verdict.UNDECIDED: "bold red",
    Verdict.UNCHANGED: "",
    Verdict.WORSE: "bold red",
    Verdict.BETTER: "green",
}


def change_text(pair: Pair) -> str:
    st = pair.stats
    if pair.counted:
        worst = next((c for c in pair.counted if c.worse), pair.counted[0])
        return f"{worst.metric.key}: {worst.base:g} -> {worst.cand:g} (counted)"
    if st is None:
        b, c = pair.baseline.median_s, pair.candidate.median_s
        return f"{c / b - 1:+.1%} (untested)" if b and c else "-"
    return f"{st.ratio - 1:+.1%} [{st.ci_low - 1:+.1%}, {st.ci_high - 1:+.1%}]"


MAX_UNMATCHED_LINES = 20
"""Records only on one side listed by name; the rest are counted."""
TOO_FEW = "undecided: too few samples for the test to ever reach significance; measure more samples"


def headline(cmp: Comparison) -> str:
    counts = cmp.counts()
    text = ", ".join(f"{n} {v}" for v, n in counts.items())
    why = [
        f"{n} {what}"
        for n, what in (
            (counts[Verdict.SLOWER], "regression(s)"),
            (counts.get(Verdict.WORSE, 0), "counted regression(s)"),
            (counts[Verdict.UNDECIDED], "undecided (too few samples)"),
        )
        if n
    ]
    gate = f"FAIL: {', '.join(why)}" if cmp.exit_code else "pass"
    return f"gate {gate} ({text}; {len(cmp.only_baseline)} only in baseline, {len(cmp.only_candidate)} only in candidate)"


def _row(pair: Pair, mixed: bool) -> list[str]:
    rec = pair.candidate
    p = f"{pair.stats.p_value:.2g}" if pair.stats else "-"
    note = (
        pair.note
        if pair.gpu or not mixed
        else "; ".join(filter(None, ["not GPU timing", pair.note]))
    )
    return [
        pair.verdict,
        rec.variant,
        rec.problem,
        rec.dtype,
        fmt_config(rec.config),
        fmt_time(pair.baseline.median_s),
        fmt_time(rec.median_s),
        change_text(pair),
        p,
        f"{pair.threshold:.0%}",
        note,
    ]


def _mixed(cmp: Comparison) -> bool:
    """GPU and non-GPU pairs side by side: each non-GPU row says so (otherwise one banner does)."""
    return len({p.gpu for p in cmp.pairs}) > 1


def _not_gpu(cmp: Comparison) -> bool:
    return not cmp.gpu_performance and bool(cmp.pairs or cmp.only_baseline or cmp.only_candidate)


HEADERS = (
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
)


def _unmatched_line(u: Unmatched) -> str:
    r = u.record
    text = f"{r.family} {r.variant} {r.problem} {r.dtype} {fmt_config(r.config)}"
    return f"{text} ({u.note})" if u.note else text


def _unmatched_lines(items: list[Unmatched]) -> tuple[list[str], str]:
    """At most ``MAX_UNMATCHED_LINES`` lines, and a last line saying how many more there are."""
    if len(items) <= MAX_UNMATCHED_LINES:
        return [_unmatched_line(u) for u in items], ""
    shown = MAX_UNMATCHED_LINES - 1
    more = f"... and {len(items) - shown} more (--format json lists them all)"
    return [_unmatched_line(u) for u in items[:shown]], more


def table(cmp: Comparison, base_label: str, cand_label: str) -> Group:
    tbl = Table(title=f"{base_label} -> {cand_label}", title_justify="left")
    for col in HEADERS:
        tbl.add_column(
            col, justify="right" if col in ("baseline", "candidate", "p", "threshold") else "left"
        )
    for pair in cmp.pairs:
        tbl.add_row(*_row(pair, _mixed(cmp)), style=_STYLE[pair.verdict])
    parts: list[Any] = [tbl, Text(headline(cmp), style="bold red" if cmp.exit_code else "bold")]
    for title, items in (
        ("only in baseline", cmp.only_baseline),
        ("only in candidate", cmp.only_candidate),
    ):
        if items:
            parts.append(Text(f"{title} ({len(items)}):"))
            shown, more = _unmatched_lines(items)
            parts.extend(Text(f"  {line}") for line in [*shown, more] if line)
    if any(p.verdict == Verdict.NOISY for p in cmp.pairs):
        parts.append(Text(f"noisy: {ADVICE}", style="yellow"))
    if cmp.undecided:
        parts.append(Text(TOO_FEW, style="bold red"))
    if _not_gpu(cmp):
        parts.append(Text(NOT_GPU, style="bold yellow"))
    return Group(*parts)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ") or " "


def markdown(
    cmp: Comparison, base_label: str, cand_label: str, report_url: str | None = None
) -> str:
    """A summary for a pull-request comment or a GitHub job summary."""
    lines = [
        f"### kernbench compare: {headline(cmp)}",
        "",
        f"Baseline `{base_label}`, candidate `{cand_label}`; a change counts when "
        f"Mann-Whitney p < {cmp.gate.alpha:g} and the {cmp.confidence:.0%} CI of the ratio "
        f"of medians lies beyond the threshold.",
        "",
    ]
    if _not_gpu(cmp):
        lines += [f"> **{NOT_GPU}**", ""]
    if cmp.pairs:
        lines.append("| " + " | ".join(HEADERS) + " |")
        lines.append("|" + "---|" * len(HEADERS))
        for pair in cmp.pairs:
            row = [_cell(c) for c in _row(pair, _mixed(cmp))]
            if pair.verdict in (Verdict.SLOWER, Verdict.UNDECIDED):
                row[0] = f"**{pair.verdict}**"
            lines.append("| " + " | ".join(row) + " |")
        lines.append("")
    if any(p.verdict == Verdict.NOISY for p in cmp.pairs):
        lines += [f"Noisy pairs are {ADVICE}.", ""]
    if cmp.undecided:
        lines += [f"{TOO_FEW}.", ""]
    for title, items in (
        ("Only in baseline", cmp.only_baseline),
        ("Only in candidate", cmp.only_candidate),
    ):
        if items:
            lines.append(f"**{title}** ({len(items)}):")
            shown, more = _unmatched_lines(items)
            lines.extend(f"- `{line}`" for line in shown)
            lines.extend([f"- {more}"] if more else [])
            lines.append("")
    if report_url:
        lines += [f"[Full report]({report_url})", ""]
    return "\n".join(lines)


def _pair_json(pair: Pair) -> dict[str, Any]:
    rec = pair.candidate
    st = pair.stats
    return {
        "verdict": pair.verdict,
        "family": rec.family,
        "variant": rec.variant,
        "problem": rec.problem,
        "dtype": rec.dtype,
        "config": rec.config,
        "threshold": pair.threshold,
        "baseline_median_s": pair.baseline.median_s,
        "candidate_median_s": rec.median_s,
        "ratio": st.ratio if st else None,
        "ci_low": st.ci_low if st else None,
        "ci_high": st.ci_high if st else None,
        "p_value": st.p_value if st else None,
        "n_baseline": st.n_base if st else 0,
        "n_candidate": st.n_cand if st else 0,
        "timing_kind": rec.timing_kind,
        "gpu_performance": pair.gpu,
        "note": pair.note,
        "counted": [
            {
                "metric": c.metric.key,
                "better": c.metric.better,
                "baseline": c.base,
                "candidate": c.cand,
                "tolerance": c.tolerance,
                "worse": c.worse,
            }
            for c in pair.counted
        ],
    }


def _unmatched_json(u: Unmatched) -> dict[str, Any]:
    r = u.record
    return {
        "family": r.family,
        "variant": r.variant,
        "problem": r.problem,
        "dtype": r.dtype,
        "config": r.config,
        "note": u.note,
    }


def to_json(
    cmp: Comparison, base_label: str, cand_label: str, report_url: str | None = None
) -> str:
    doc = {
        "baseline": base_label,
        "candidate": cand_label,
        "exit_code": cmp.exit_code,
        "gate": "fail" if cmp.exit_code else "pass",
        "counts": cmp.counts(),
        "alpha": cmp.gate.alpha,
        "confidence": cmp.confidence,
        "match": cmp.mode,
        "gpu_performance": cmp.gpu_performance,
        "note": NOT_GPU if _not_gpu(cmp) else "",
        "report_url": report_url,
        "pairs": [_pair_json(p) for p in cmp.pairs],
        "only_baseline": [_unmatched_json(u) for u in cmp.only_baseline],
        "only_candidate": [_unmatched_json(u) for u in cmp.only_candidate],
    }
    return json.dumps(doc, indent=1)
