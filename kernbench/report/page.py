"""The page contract: a page turns the report's data into sections of text, figures and tables.

Pages never write HTML by hand; the templates do. A page with nothing to show says why,
and the overview lists it as left out.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import ClassVar

from markupsafe import Markup

from ..present import fmt_config, fmt_time
from .data import ReportData


@dataclass(frozen=True)
class Cell:
    """Displayed text, the exact value it sorts by (and that tests read), and a tooltip."""

    text: str
    sort: float | str | None = None
    title: str = ""
    html: Markup | None = None
    """Shown instead of ``text`` where set (e.g. a docstring with its ``code`` rendered)."""

    @property
    def sort_attr(self) -> str:
        if self.sort is None:
            return ""
        return repr(self.sort) if isinstance(self.sort, float) else str(self.sort)


@dataclass
class Table:
    id: str
    columns: Sequence[str]
    rows: list[list[Cell]] = field(default_factory=list)
    caption: str = ""
    filters: Sequence[str] = ()
    """Columns offered as drop-down filters (each lists the column's distinct values)."""
    page_size: int = 0
    """Rows a page shows; 0 shows them all."""

    def choices(self, column: str) -> list[str]:
        i = list(self.columns).index(column)
        return sorted({row[i].text for row in self.rows})


@dataclass(frozen=True)
class Card:
    """One headline figure of the landing page: what it is, the value, and where it came from."""

    label: str
    value: str
    detail: str = ""


@dataclass
class Section:
    title: str
    text: str = ""
    figures: list[str] = field(default_factory=list)
    """Figure HTML from :func:`kernbench.report.figures.embed`."""
    table: Table | None = None
    notes: list[str] = field(default_factory=list)
    links: list[tuple[str, str]] = field(default_factory=list)
    """(label, relative href) pairs, e.g. the raw data downloads."""
    cards: list[Card] = field(default_factory=list)
    device: str = ""
    """The device the section shows, for the device selector; empty for every device."""
    grid: bool = False
    """Lay the figures out side by side (small panels) rather than one per row."""


@dataclass
class Content:
    sections: list[Section] = field(default_factory=list)
    omitted: str = ""
    """Why the page is left out of this report; empty when it is shown."""


class Page(ABC):
    slug: ClassVar[str]
    title: ClassVar[str]

    @abstractmethod
    def build(self, data: ReportData) -> Content:
        """The page's sections, or a Content whose ``omitted`` says why there are none."""


def text(value: object) -> Cell:
    return Cell(str(value), str(value))


def time_cell(seconds: float | None) -> Cell:
    return Cell(fmt_time(seconds), seconds)


def short_config(config: dict[str, object]) -> Cell:
    """The config's values only (``128/128/64``), the whole config on hover and for sorting."""
    full = fmt_config(config)
    short = "/".join(str(v) for v in config.values()) or "-"
    return Cell(short, full, full)


def rate_cell(value: float | None, unit: str) -> Cell:
    """A rate with an SI prefix (``17.4 MFLOP/s``), sorted by its exact value."""
    if value is None or value != value:
        return Cell("-", None)
    from .figures import si

    return Cell(si(value, unit), value)


def pct_cell(fraction: float | None, title: str = "") -> Cell:
    return Cell("-" if fraction is None else f"{fraction:.1%}", fraction, title)


def num_cell(value: float | None, scale: float = 1.0, digits: int = 4) -> Cell:
    if value is None or value != value:  # None or NaN
        return Cell("-", None)
    return Cell(f"{value / scale:.{digits}g}", value)
