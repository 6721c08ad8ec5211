"""The page contract: a page turns the report's data into sections of text, figures and tables.

Pages never write HTML by hand; the templates do. A page with nothing to show says why,
and the overview lists it as left out.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import ClassVar

from ..present import fmt_time
from .data import ReportData


@dataclass(frozen=True)
class Cell:
    """Displayed text, the exact value it sorts by (and that tests read), and a tooltip."""

    text: str
    sort: float | str | None = None
    title: str = ""

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


def pct_cell(fraction: float | None, title: str = "") -> Cell:
    return Cell("-" if fraction is None else f"{fraction:.1%}", fraction, title)


def num_cell(value: float | None, scale: float = 1.0, digits: int = 4) -> Cell:
    if value is None or value != value:  # None or NaN
        return Cell("-", None)
    return Cell(f"{value / scale:.{digits}g}", value)
