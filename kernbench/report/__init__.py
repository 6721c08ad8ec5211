"""The published report: a static site built from results stores (``kernbench report``)."""

from .data import ReportData
from .site import build_site

__all__ = ["ReportData", "build_site"]
