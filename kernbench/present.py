"""Rich tables of records, with the roofline and baseline columns users read first."""

from __future__ import annotations

from collections.abc import Sequence

from rich.table import Table

from .analyse.roofline import point
from .ceilings import datasheet_for
from .device import CPU_TIMING_NOTE
from .store.records import Record


def fmt_time(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("us", 1e-6)):
        if seconds >= scale:
            return f"{seconds / scale:.3g} {unit}"
    return f"{seconds / 1e-9:.3g} ns"


def fmt_config(config: dict[str, object]) -> str:
    return ",".join(f"{k}={v}" for k, v in config.items()) or "-"


def best_baseline(records: Sequence[Record], rec: Record) -> Record | None:
    """The fastest ok baseline record of the same problem and dtype."""
    same = [
        r for r in records
        if r.baseline and r.status == "ok" and r.problem == rec.problem and r.dtype == rec.dtype and r.median_s
    ]
    return min(same, key=lambda r: r.median_s or 0.0, default=None)


def records_table(records: Sequence[Record], title: str, precision_of: dict[str, str] | None = None) -> Table:
    """One row per record: time (median and CI), rates, % of roofline and of the best baseline."""
    table = Table(title=title, title_justify="left")
    for col, justify in (
        ("variant", "left"), ("problem", "left"), ("dtype", "left"), ("config", "left"), ("status", "left"),
        ("median", "right"), ("±CI", "right"), ("TFLOP/s", "right"), ("GB/s", "right"),
        ("% roofline", "right"), ("bound", "left"), ("% baseline", "right"),
    ):
        table.add_column(col, justify=justify)  # type: ignore[arg-type]
    cpu = False
    for rec in records:
        median = rec.median_s
        gpu = rec.timing_kind == "gpu"
        cpu = cpu or not gpu
        tflops = gbps = pct_roof = bound = pct_base = ci = "-"
        if median:
            tflops = f"{rec.flops / median / 1e12:.3g}"
            gbps = f"{rec.bytes / median / 1e9:.4g}"
            rel = rec.stats.get("rel_ci_halfwidth")
            ci = f"{rel:.1%}" if rel is not None else "-"
            if gpu:
                sheet = datasheet_for(rec.device_name)
                precision = (precision_of or {}).get(rec.family, rec.dtype)
                p = point(rec, sheet, precision) if sheet else None
                if p is not None:
                    pct_roof = f"{p.fraction:.1%}"
                    bound = p.bound
            base = best_baseline(records, rec)
            if base is not None and base.median_s:
                pct_base = f"{base.median_s / median:.1%}"
        status = rec.status if rec.status == "ok" else f"[red]{rec.status}[/]"
        if rec.noisy:
            status += " [yellow](noisy)[/]"
        table.add_row(
            rec.variant + (" (baseline)" if rec.baseline else ""), rec.problem, rec.dtype,
            fmt_config(rec.config), status, fmt_time(median), ci, tflops, gbps, pct_roof, bound, pct_base,
        )
    if cpu:
        table.caption = f"[bold yellow]{CPU_TIMING_NOTE}[/]: rates and percentages here check the pipeline only."
    return table
