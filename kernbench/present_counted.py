"""Terminal tables of what the PTX emulator counted: the metrics read first, and hot lines.

Both fit a 100-column terminal. The counters are exact for the emulated problem; the model
column is a speed-of-light lower bound computed from them and a GPU's ceilings (labelled
"model, not a measurement" wherever it appears).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from rich import box
from rich.console import JustifyMethod
from rich.table import Table

from .analyse.counted import SHOWN, emulated, value
from .emulator.costs import LABEL, Bound, speed_of_light
from .present import fmt_time
from .store.records import Record

WIDE_ONLY = {"global_load_efficiency"}
"""Columns only ``--wide`` shows (the default table reads at 100 columns)."""

COUNTED_NOTE = (
    "sect/req: 32-byte sectors per global load request; conf/req: shared bank conflicts per "
    "request; /out: per output element; lanes: active lanes per warp-instruction; caches are "
    "not modelled (--wide: sector efficiency, and DRAM bytes as a lower bound)"
)


def model_of(rec: Record, ceilings: Any) -> Bound | None:
    emu = emulated(rec)
    if emu is None or ceilings is None:
        return None
    counters = emu["counters"]
    return speed_of_light(counters, ceilings, int(counters.get("ctas", 0)))


def _fmt(v: float | None, digits: int = 3) -> str:
    if v is None:
        return "-"
    if v == 0:
        return "0"
    if abs(v) >= 10**digits:
        return f"{v:.0f}"
    return f"{v:.{digits}g}"


def counted_table(
    records: Sequence[Record],
    ceilings: Any = None,
    label: Callable[[Record], str] | None = None,
    *,
    wide: bool = False,
) -> Table | None:
    """One row per emulated record with counters, in the order given; None when there is
    none. The default fits 100 columns; ``wide`` adds sector efficiency and DRAM bytes."""
    rows = [r for r in records if emulated(r) is not None]
    if not rows:
        return None
    label_of = label or (lambda r: r.problem)
    many = len({label_of(r) for r in rows}) > 1
    device = getattr(ceilings, "device", "")
    title = "counted by the PTX emulator (exact; rows as in the table above)"
    t = Table(title=title, title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False)
    t.add_column("variant", no_wrap=True, overflow="ellipsis")
    if many:
        t.add_column("problem", no_wrap=True)
    shown = [m for m in SHOWN if wide or m.key not in WIDE_ONLY]
    for m in shown:
        t.add_column(m.title, justify="right")
    if wide:
        t.add_column("DRAM/out", justify="right")
    if ceilings is not None:
        t.add_column("model*", justify="right", no_wrap=True)
        t.add_column("bound", justify="left", no_wrap=True)
    for r in rows:
        emu = emulated(r) or {}
        cells = [r.variant, *([label_of(r)] if many else [])]
        cells += [_fmt(value(r, m)) for m in shown]
        if wide:
            cells.append(_fmt(emu.get("per_output", {}).get("dram_bytes_lower_bound")))
        if ceilings is not None:
            b = model_of(r, ceilings)
            cells += [fmt_time(b.time_s) if b else "-", b.dominant if b else "-"]
        t.add_row(*cells)
    caption = COUNTED_NOTE
    if ceilings is not None:
        caption += f". *{LABEL}: a lower bound on {device} ({ceilings.source} ceilings)"
    t.caption = caption
    t.caption_justify = "left"
    return t


def hot_lines_table(rec: Record, n: int = 10) -> Table | None:
    """The PTX lines where the record's launches spent the most warp-instructions, with
    their CUDA source lines, like Nsight Compute's source view."""
    emu = emulated(rec)
    if emu is None or not emu.get("hot_lines"):
        return None
    lines = emu["hot_lines"][:n]
    total = float(emu["counters"].get("warp_instructions", 0)) or 1.0
    t = Table(
        title=f"hot PTX lines of {rec.variant} ({rec.problem})",
        title_justify="left",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
    )
    columns: tuple[tuple[str, JustifyMethod], ...] = (
        ("ptx", "right"),
        ("source", "left"),
        ("warp inst", "right"),
        ("%", "right"),
        ("lanes", "right"),
        ("memory", "left"),
        ("instruction", "left"),
    )
    for col, just in columns:
        t.add_column(
            col,
            justify=just,
            no_wrap=True,
            overflow="ellipsis",
            max_width=30 if col == "instruction" else None,
            min_width=len(col),
        )
    for row in lines:
        src = str(row.get("source", "")).rsplit("/", 1)[-1]
        if src.endswith(":0"):
            src = ""
        warp, thread = int(row.get("warp", 0)), int(row.get("thread", 0))
        t.add_row(
            str(row["ptx_line"]),
            src or "-",
            str(warp),
            f"{100 * warp / total:.1f}",
            f"{thread / (32 * warp):.2f}" if warp else "-",
            memory_cell(row),
            " ".join(str(row.get("text", "")).split()),
        )
    return t


def memory_cell(row: dict[str, Any]) -> str:
    """A line's memory counters in a few characters: sectors or wavefronts per request."""
    parts = []
    for d in ("load", "store"):
        req = row.get(f"global_{d}_requests", 0)
        if req:
            parts.append(f"{row.get(f'global_{d}_sectors', 0) / req:.3g} sect/req")
        req = row.get(f"shared_{d}_requests", 0)
        if req:
            waves, ideal = row.get(f"shared_{d}_wavefronts", 0), row.get(f"shared_{d}_ideal", 0)
            conf = f" ({waves - ideal} conf)" if waves > ideal else ""
            parts.append(f"{waves / req:.3g} wf/req{conf}")
    return ", ".join(parts)
