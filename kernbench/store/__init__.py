"""The results store: one record per measurement, in SQLite by default (PostgreSQL too)."""

from .records import Record
from .sqlstore import ResultsStore, default_url, open_store

__all__ = ["Record", "ResultsStore", "default_url", "open_store"]
