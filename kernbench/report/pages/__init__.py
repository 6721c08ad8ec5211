"""The report's pages, in navigation order (the overview is index.html)."""

from __future__ import annotations

from ..page import Page
from .attention import Attention
from .compare import Compare
from .counters import Counters
from .history import History
from .ladder import Ladder
from .overview import Overview
from .records import Records
from .roofline import Roofline
from .tuning import Tuning

PAGES: tuple[type[Page], ...] = (
    Overview,
    Roofline,
    Ladder,
    Counters,
    Attention,
    Tuning,
    History,
    Compare,
    Records,
)

__all__ = ["PAGES"]
