"""What a report calls a baseline: the library that ran it, read from the variant's declaration.

A variant declares ``label`` for what runs it on a GPU (``cuBLAS`` for torch.matmul). The same
variant timed on the CPU ran something else entirely, so it is called by its language there
("torch (CPU)"): a CPU record is never called cuBLAS.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Iterable

from markupsafe import Markup, escape

from ..store import Record
from ..variant import HOST_LANGUAGES
from .data import ReportData
from .page import Cell, Section, Table, text

LITERAL = re.compile(r"``(.+?)``|(?<![`\w])`([^`\n]+)`(?![`\w])")


def reference_label(data: ReportData, record: Record) -> str:
    """``cuBLAS`` for a GPU torch_matmul record, ``torch (CPU)`` for a CPU one, else the name."""
    variant = data.variant(record.variant)
    language = record.language or (variant.language if variant else "")
    if record.timing_kind != "gpu":
        # torch on the emulated device ran on the host CPU, beside the emulated kernels
        emulated = record.timing_kind == "emulated" and language not in HOST_LANGUAGES
        kind = "emulated" if emulated else "CPU"
        return f"{language or record.variant} ({kind})"
    return (variant.label if variant and variant.label else "") or record.variant


def docstring_html(text: str) -> Markup:
    """A docstring with its inline literals (````tl.dot````, ```x```) as ``<code>``, the rest escaped."""
    text = re.sub(r"(?<!\n)\n(?!\n)", " ", inspect.cleandoc(text))  # paragraphs, not lines
    out: list[str] = []
    last = 0
    for m in LITERAL.finditer(text):
        out += [
            str(escape(text[last : m.start()])),
            f"<code>{escape(m.group(1) or m.group(2))}</code>",
        ]
        last = m.end()
    out.append(str(escape(text[last:])))
    return Markup("".join(out))


def steps_section(
    table_id: str, data: ReportData, steps: Iterable[tuple[str, int, str]]
) -> Section:
    """ "What each step changes": a row for each ``(language, order, variant name)`` of a
    ladder page, in step order, with the variant's description."""
    explain = Table(table_id, ("step", "variant", "what it changes"))
    for lang, order, name in sorted(set(steps)):
        v = data.variant(name)
        explain.rows.append(
            [
                Cell(f"{lang} {order}", f"{lang} {order:03d}"),
                text(name),
                Cell(
                    v.description if v else "",
                    html=docstring_html(v.description) if v else None,
                ),
            ]
        )
    return Section("What each step changes", table=explain)
