"""Rich tables of records, with the roofline and baseline columns users read first."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from rich.table import Table

from .analyse.roofline import Rooflines
from .device import CPU_TIMING_NOTE
from .store.records import Record
from .store.sqlstore import ResultsStore


def fmt_time(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("us", 1e-6)):
        if seconds >= scale:
            return f"{seconds / scale:.3g} {unit}"
    return f"{seconds / 1e-9:.3g} ns"


def fmt_config(config: dict[str, object]) -> str:
    return ",".join(f"{k}={v}" for k, v in config.items()) or "-"


def _ok(rec: Record) -> bool:
    return rec.status == "ok" and bool(rec.median_s)


def baseline_names(records: Sequence[Record]) -> list[str]:
    """Baselines measured among ``records``, in first-seen order: one column each."""
    return list(dict.fromkeys(r.variant for r in records if r.baseline and _ok(r)))


def fastest(records: Sequence[Record], rec: Record, variant: str) -> Record | None:
    """The fastest ok record of ``variant`` on the same problem and dtype as ``rec``."""
    same = [
        r
        for r in records
        if r.variant == variant and _ok(r) and r.problem == rec.problem and r.dtype == rec.dtype
    ]
    return min(same, key=lambda r: r.median_s or 0.0, default=None)


def previous_step(
    records: Sequence[Record], rec: Record, order_of: Mapping[str, int]
) -> Record | None:
    """The fastest ok record of the ladder step just below ``rec``'s (same language)."""
    step = order_of.get(rec.variant, 0)
    if step <= 1:
        return None
    below = [
        r
        for r in records
        if _ok(r)
        and r.language == rec.language
        and r.problem == rec.problem
        and r.dtype == rec.dtype
        and 0 < order_of.get(r.variant, 0) < step
    ]
    if not below:
        return None
    top = max(order_of[r.variant] for r in below)
    return min((r for r in below if order_of[r.variant] == top), key=lambda r: r.median_s or 0.0)


def records_table(
    records: Sequence[Record],
    title: str,
    precision_of: dict[str, str] | None = None,
    stores: Sequence[ResultsStore] = (),
    order_of: Mapping[str, int] | None = None,
    label: Callable[[Record], str] | None = None,
) -> Table:
    """One row per record: time (median and CI), rates, % of roofline (measured ceilings from
    ``stores`` where calibrated, datasheet otherwise), % of each baseline's speed (100% = as
    fast; the fastest config of each baseline on the same problem) and, for ladder steps, the
    gain over the step below."""
    roofs = Rooflines(stores, precision_of=precision_of or {})
    order_of = order_of or {}
    bases = baseline_names(records)
    table = Table(title=title, title_justify="left")
    columns = [
        ("variant", "left"),
        ("problem", "left"),
        ("dtype", "left"),
        ("config", "left"),
        ("status", "left"),
        ("median", "right"),
        ("±CI", "right"),
        ("TFLOP/s", "right"),
        ("GB/s", "right"),
        ("% roofline", "right"),
        ("bound", "left"),
        *((f"% {name}", "right") for name in bases),
    ]
    if order_of:
        columns.append(("step gain", "right"))
    for col, justify in columns:
        table.add_column(col, justify=justify)  # type: ignore[arg-type]
    cpu = False
    for rec in records:
        median = rec.median_s
        gpu = rec.timing_kind == "gpu"
        cpu = cpu or not gpu
        tflops = gbps = pct_roof = bound = ci = gain = "-"
        vs = ["-"] * len(bases)
        if median:
            tflops = f"{rec.flops / median / 1e12:.3g}"
            gbps = f"{rec.bytes / median / 1e9:.4g}"
            rel = rec.stats.get("rel_ci_halfwidth")
            ci = f"{rel:.1%}" if rel is not None else "-"
            if gpu:
                p = roofs.point(rec)
                if p is not None:
                    pct_roof = f"{p.fraction:.1%}"
                    bound = p.bound + (" (L2)" if p.l2_resident else "")
            for i, name in enumerate(bases):
                base = fastest(records, rec, name)
                if base is not None and base.median_s:
                    vs[i] = f"{base.median_s / median:.1%}"
            prev = previous_step(records, rec, order_of)
            if prev is not None and prev.median_s:
                gain = f"{prev.median_s / median:.2f}x"
        status = rec.status if rec.status == "ok" else f"[red]{rec.status}[/]"
        if rec.noisy:
            status += " [yellow](noisy)[/]"
        row = [
            rec.variant + (" (baseline)" if rec.baseline else ""),
            label(rec) if label else rec.problem,
            rec.dtype,
            fmt_config(rec.config),
            status,
            fmt_time(median),
            ci,
            tflops,
            gbps,
            pct_roof,
            bound,
            *vs,
        ]
        if order_of:
            row.append(gain)
        table.add_row(*row)
    if cpu:
        table.caption = f"[bold yellow]{CPU_TIMING_NOTE}[/]: rates and percentages here check the pipeline only."
    return table
