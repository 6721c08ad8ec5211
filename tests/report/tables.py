"""Read the report's tables back from HTML: each cell's column, text and exact sort value."""

from __future__ import annotations

from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path


@dataclass
class Cell:
    col: str
    text: str
    sort: str
    title: str = ""


class _Tables(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, list[dict[str, Cell]]] = {}
        self._table: str | None = None
        self._cell: Cell | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "table":
            self._table = a.get("id", "")
            self.tables[self._table] = []
        elif tag == "tr" and self._table is not None:
            self.tables[self._table].append({})
        elif tag == "td" and self._table is not None:
            self._cell = Cell(a.get("data-col", ""), "", a.get("data-sort", ""), a.get("title", ""))

    def handle_endtag(self, tag: str) -> None:
        if tag == "td" and self._cell is not None and self._table is not None:
            self.tables[self._table][-1][self._cell.col] = self._cell
            self._cell = None
        elif tag == "table":
            self._table = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.text += data


def read_tables(path: Path) -> dict[str, list[dict[str, Cell]]]:
    """Table id -> body rows (column name -> cell); the header row is dropped."""
    parser = _Tables()
    parser.feed(path.read_text(encoding="utf-8"))
    return {tid: [row for row in rows if row] for tid, rows in parser.tables.items()}
