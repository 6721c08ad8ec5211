"""Rich tables of records, with the roofline and baseline columns users read first.

The default table fits a 100-column terminal: variant names whole, a variant with one row
shows its whole config, one with several rows only the keys that tell its rows apart (the keys
they share are named under the table), empty columns dropped, skipped and unsupported variants
folded to one line each, and every failure's message under the table. ``wide`` shows all.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from rich import box
from rich.console import Console, ConsoleOptions, RenderResult
from rich.table import Table
from rich.text import Text

from .analyse.roofline import Rooflines
from .device import timing_note
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


PLAIN_FROM = 1e-3
"""A column of rates is written in plain decimals when every non-zero value is at least this;
otherwise the whole column is in scientific notation, so one column never mixes the two."""


def fmt_column(values: Sequence[float | None], digits: int) -> list[str]:
    """One format for a whole column of figures: ``digits`` significant digits in plain
    decimals (``350``, ``0.00351``), or, when a value is too small for that to read,
    scientific notation for every cell (``3.51e-03``, ``9.03e-06``). None is ``-``."""
    present = [v for v in values if v is not None]
    plain = all(v >= PLAIN_FROM for v in present if v > 0) and all(v >= 0 for v in present)

    def one(v: float | None) -> str:
        if v is None:
            return "-"
        if v == 0:
            return "0"
        if not plain:
            return f"{v:.{digits - 1}e}"
        decimals = max(0, digits - 1 - math.floor(math.log10(abs(v))))
        return f"{v:.{decimals}f}"

    return [one(v) for v in values]


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


FOLDED = ("skipped", "unsupported")
"""Statuses decided before anything ran: one line each under the table, not a row each."""
MAX_NOTES = 20
"""Failure lines under a table at most; the rest are counted."""
BASELINE_MARK = "*"
VS_BASELINE = "% base"
"""The compact table's one baseline column: % of the fastest baseline's speed."""
_EMPTY = ("", "-")


@dataclass
class _Rows:
    """Cells by column name, one dict per row, with the columns' order and alignment."""

    columns: list[tuple[str, str]]
    rows: list[dict[str, str]] = field(default_factory=list)

    def drop(self, name: str) -> None:
        self.columns = [c for c in self.columns if c[0] != name]

    def constant(self, name: str) -> str | None:
        """The one value every row has in this column (rows with nothing there aside)."""
        values = {row[name] for row in self.rows} - set(_EMPTY)
        return values.pop() if len(values) == 1 else None


def _metrics(
    rec: Record,
    records: Sequence[Record],
    roofs: Rooflines,
    bases: list[str],
    order_of: Mapping[str, int],
) -> dict[str, str]:
    """The measured cells of one row: time, rates, roofline, baselines, step gain."""
    cells = dict.fromkeys(("median", "±CI", "TFLOP/s", "GB/s", "% roofline", "bound"), "-")
    cells.update({f"% {name}": "-" for name in bases}, **{VS_BASELINE: "-", "step gain": "-"})
    median = rec.median_s
    if not median:
        return cells
    rel = rec.stats.get("rel_ci_halfwidth")
    cells.update(
        {
            "median": fmt_time(median),
            "±CI": f"{rel:.1%}" if rel is not None else "-",
        }
    )  # the rates are formatted per column (fmt_column), after every row is known
    if rec.timing_kind == "gpu":
        p = roofs.point(rec)
        if p is not None:
            cells["% roofline"] = f"{p.fraction:.1%}"
            cells["bound"] = p.bound + (" (L2)" if p.l2_resident else "")
    best = None
    for name in bases:
        base = fastest(records, rec, name)
        if base is not None and base.median_s:
            cells[f"% {name}"] = f"{base.median_s / median:.1%}"
            best = min(best or base.median_s, base.median_s)
    if best is not None:
        cells[VS_BASELINE] = f"{best / median:.1%}"
    prev = previous_step(records, rec, order_of)
    if prev is not None and prev.median_s:
        cells["step gain"] = f"{prev.median_s / median:.2f}x"
    return cells


RATES = (("TFLOP/s", "flops", 1e12, 3), ("GB/s", "bytes", 1e9, 4))
"""Rate columns: name, the record's work attribute, unit, significant digits."""


def _shown_keys(records: Sequence[Record]) -> tuple[dict[str, set[str]], list[str]]:
    """Per variant, the config keys its rows show, and the notes naming the keys folded away.

    A variant with one row shows its whole config: there is nothing to tell apart, and that
    config is the result (a tune's winner). A variant with several rows shows the keys whose
    values differ between them; the keys all its rows share are named once under the table.
    """
    shown: dict[str, set[str]] = {}
    notes: list[str] = []
    for variant in dict.fromkeys(r.variant for r in records):
        configs = [r.config for r in records if r.variant == variant]
        keys = list(dict.fromkeys(k for c in configs for k in c))
        if len(configs) == 1:
            shown[variant] = set(keys)
            continue
        shown[variant] = {k for k in keys if len({repr(c.get(k)) for c in configs}) > 1}
        same = {k: configs[0][k] for k in keys if k not in shown[variant] and k in configs[0]}
        if same:
            listed = ", ".join(f"{k}={v}" for k, v in same.items())
            notes.append(f"same in every {variant} row: {listed}")
    return shown, notes


def _failure_notes(records: Sequence[Record], label: Callable[[Record], str] | None) -> list[str]:
    """One line per distinct (variant, status, message) of what did not come out ok; where it
    happened too when the table has more than one problem (``label``)."""
    seen: Counter[tuple[str, str, str]] = Counter()
    where: dict[tuple[str, str, str], str] = {}
    for rec in records:
        if rec.status == "ok":
            continue
        key = (rec.variant, rec.status, (rec.message or "no message").strip().splitlines()[0])
        seen[key] += 1
        where.setdefault(key, label(rec) if label else "")
    lines = []
    for (variant, status, message), count in seen.items():
        at = f"{count}x" if count > 1 else where[(variant, status, message)]
        lines.append(f"{variant} {status}{f' ({at})' if at else ''}: {message}")
    if len(lines) > MAX_NOTES:
        lines = [*lines[:MAX_NOTES], f"... and {len(lines) - MAX_NOTES} more (kernbench results)"]
    return lines


def _fold(records: Sequence[Record]) -> tuple[list[Record], list[str]]:
    """Rows to show, and one line per reason something was skipped or unsupported: the
    variants it held back are named together (fourteen CUDA variants on a CPU machine are
    one line), each with how often where it was more than once."""
    folded = [r for r in records if r.status in FOLDED]
    grouped: dict[tuple[str, str], list[str]] = {}
    for variant in dict.fromkeys(r.variant for r in folded):
        mine = [r for r in folded if r.variant == variant]
        reasons = list(
            dict.fromkeys(
                (r.message or "no reason given").strip().removeprefix(f"{variant} ") for r in mine
            )
        )
        statuses = "/".join(dict.fromkeys(r.status for r in mine))
        times = f" ({len(mine)}x)" if len(mine) > 1 else ""
        grouped.setdefault((statuses, "; ".join(reasons)), []).append(variant + times)
    lines = [
        f"{reason} ({statuses}): {', '.join(variants)}"
        for (statuses, reason), variants in grouped.items()
    ]
    return [r for r in records if r.status not in FOLDED], lines


def records_table(
    records: Sequence[Record],
    title: str,
    precision_of: dict[str, str] | None = None,
    stores: Sequence[ResultsStore] = (),
    order_of: Mapping[str, int] | None = None,
    label: Callable[[Record], str] | None = None,
    *,
    wide: bool = False,
) -> RecordsView:
    """One row per record: time (median and CI), rates, % of roofline (measured ceilings from
    ``stores`` where calibrated, datasheet otherwise), % of each baseline's speed (100% = as
    fast; the fastest config of each baseline on the same problem) and, for ladder steps, the
    gain over the step below; then the reasons for what did not run or failed."""
    roofs = Rooflines(stores, precision_of=precision_of or {})
    order_of = order_of or {}
    label_of = label or (lambda rec: rec.problem)
    bases = baseline_names(records)
    shown, folded_lines = (list(records), []) if wide else _fold(records)
    table = _Rows(
        [
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
            *(((VS_BASELINE, "right"),) if bases else ()),
            *((("step gain", "right"),) if order_of else ()),
        ]
    )
    keys, same_notes = _shown_keys(shown)
    for rec in shown:
        config = (
            rec.config if wide else {k: v for k, v in rec.config.items() if k in keys[rec.variant]}
        )
        status = rec.status if rec.status == "ok" else f"[red]{rec.status}[/]"
        mark = " (baseline)" if wide else BASELINE_MARK
        table.rows.append(
            {
                "variant": rec.variant + (mark if rec.baseline else ""),
                "problem": label_of(rec),
                "dtype": rec.dtype,
                "config": fmt_config(config)
                if wide
                else ", ".join(f"{k}={v}" for k, v in config.items()) or "-",
                "status": status + (" [yellow](noisy)[/]" if rec.noisy else ""),
                **_metrics(rec, records, roofs, bases, order_of),
            }
        )
    for name, work, unit, digits in RATES:
        values = [
            getattr(rec, work) / rec.median_s / unit if rec.median_s else None for rec in shown
        ]
        for row, cell in zip(table.rows, fmt_column(values, digits), strict=True):
            row[name] = cell
    notes: list[str] = [] if wide else same_notes
    if wide:
        table.drop(VS_BASELINE)
    else:
        notes += _compact(table, title_parts := [title], bases)
        title = " · ".join(title_parts)
    idents = Counter((r.variant, r.problem, r.dtype, fmt_config(r.config)) for r in shown)
    if any(n > 1 for n in idents.values()):  # the same candidate measured more than once
        table.columns.insert(1, ("id", "right"))
        for rec, row in zip(shown, table.rows, strict=True):
            row["id"] = str(rec.id or "-")
    if not_gpu := {r.timing_kind for r in records if r.timing_kind != "gpu"}:
        notes.append(f"{timing_note(not_gpu)}: rates and percentages here check the pipeline only.")
    where = label_of if any(c[0] == "problem" for c in table.columns) else None
    failures = _failure_notes([r for r in shown if r.status not in FOLDED], where)
    notes = [*(f"why: {x}" for x in failures), *(f"not run: {x}" for x in folded_lines), *notes]
    one_each = len({r.variant for r in shown}) == len(shown)
    return RecordsView(title, table, notes, wide, whole_configs=one_each)


@dataclass
class RecordsView:
    """A records table and the lines under it, laid out for the terminal it is printed on."""

    title: str
    table: _Rows
    notes: list[str]
    wide: bool
    whole_configs: bool = False
    """One row per variant: a config too long for its column wraps inside its cell rather than
    becoming a short id, because each config is a result (a tune's winner) to read in place."""

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        rows = [dict(r) for r in self.table.rows]  # rendering twice must give the same
        widths = {
            name: max(
                [
                    *(len(Text.from_markup(r[name])) for r in rows),
                    *map(len, name.split()),
                ]
            )
            for name, _ in self.table.columns
        }
        notes = list(self.notes)
        fixed = sum(w + 1 for name, w in widths.items() if name not in ("problem", "config"))
        folding = [col for col in ("config", "problem") if col in widths]
        left = options.max_width - fixed - len(folding)
        for col in folding:
            if self.wide or sum(widths[n] for n in folding) <= left:
                break
            if col == "config" and self.whole_configs:
                left -= min(widths[col], max(len(col), left // 2))
                continue
            # Too long to show whole: a short id per distinct value, spelled out below.
            named = [c for c in dict.fromkeys(r[col] for r in rows) if c not in _EMPTY]
            ids = {c: f"{col[0]}{i}" for i, c in enumerate(named, 1)}
            for row in rows:
                row[col] = ids.get(row[col], "-")
            notes += [f"{ident}: {value}" for value, ident in ids.items()]
            widths[col] = max(len(col), *map(len, ids.values()))
        out = Table(
            title=self.title,
            title_justify="left",
            box=box.SIMPLE_HEAD,
            show_edge=False,
            pad_edge=False,
            padding=0,  # the box's blank column separator is the one space between columns
        )
        for name, justify in self.table.columns:
            folds = not self.wide and name in ("problem", "config")
            out.add_column(
                name,
                justify=justify,  # type: ignore[arg-type]
                # Every other column gets exactly its widest cell (headers wrap at spaces), so
                # variant names and figures stay whole; problem and config fold into the rest.
                width=None if folds else max(widths[name], len(name) if self.wide else 0),
                overflow="fold",
            )
        for row in rows:
            out.add_row(*(row[name] for name, _ in self.table.columns))
        yield out
        for line in notes:
            yield Text(line, style="yellow" if "not GPU performance" in line else "")


def _compact(table: _Rows, title: list[str], bases: list[str]) -> list[str]:
    """Fold a table to what tells its rows apart: returns the legend lines it needs."""
    notes = []
    for name in bases:
        table.drop(f"% {name}")
    if bases:
        notes.append(
            f"{VS_BASELINE}: % of the speed of the fastest of {', '.join(bases)} on the same "
            "problem (100% = as fast)"
        )
    for name in ("problem", "dtype", "bound"):
        value = table.constant(name) if len(table.rows) > 1 else None
        if value is not None:
            title.append(f"{value}-bound" if name == "bound" else value)
            table.drop(name)
    for name, _ in list(table.columns):
        if name != "variant" and all(row[name] in _EMPTY for row in table.rows):
            table.drop(name)
    if any(row["variant"].endswith(BASELINE_MARK) for row in table.rows):
        notes.append(f"{BASELINE_MARK} baseline")
    return notes
