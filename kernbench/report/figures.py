"""Plotly figures as HTML fragments that need only ``assets/plotly.min.js``: nothing from the network."""

from __future__ import annotations

import math
from collections.abc import Iterable
from pathlib import Path

import plotly.graph_objects as go
import plotly.io as pio
from plotly.offline import get_plotlyjs

PLOTLY_ASSET = "plotly.min.js"
COLOURS = (
    "#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd",
    "#8c564b", "#e377c2", "#17becf", "#7f7f7f", "#bcbd22", "#393b79",
)  # fmt: skip
SYMBOLS = ("circle", "square", "diamond", "triangle-up", "x", "cross", "triangle-down", "star")
"""11 colours and 8 markers: coprime lengths, so 88 series differ in colour or marker or both."""
CONFIG = {"displaylogo": False, "responsive": True, "toImageButtonOptions": {"format": "svg"}}


def series_styles(names: Iterable[str]) -> dict[str, dict[str, str]]:
    """A distinct colour and marker for every series name, the same on every chart of a page."""
    return {
        name: {"color": COLOURS[i % len(COLOURS)], "symbol": SYMBOLS[i % len(SYMBOLS)]}
        for i, name in enumerate(dict.fromkeys(names))
    }


def spans_decades(values: Iterable[float | None], decades: float = 1.0) -> bool:
    """True when the positive values span more than ``decades`` powers of ten: use a log axis."""
    pos = [v for v in values if v is not None and v > 0]
    return bool(pos) and math.log10(max(pos) / min(pos)) > decades


def wrap_title(title: str, width: int = 38) -> str:
    """Break a long title once, at a space near its middle: plotly never wraps, and a phone is narrow."""
    if len(title) <= width or " " not in title:
        return title
    middle = len(title) // 2
    cut = min((i for i, c in enumerate(title) if c == " "), key=lambda i: abs(i - middle))
    return f"{title[:cut]}<br>{title[cut + 1 :]}"


def write_plotly(assets: Path) -> None:
    """The plotly.js bundled with the Python package, written once for every page to share."""
    (assets / PLOTLY_ASSET).write_text(get_plotlyjs(), encoding="utf-8")


def styled(
    fig: go.Figure,
    title: str,
    x: str,
    y: str,
    *,
    log_x: bool = False,
    log_y: bool = False,
    height: int = 520,
) -> go.Figure:
    """The house style: white template, SI ticks (1T, 10T), legend on the right, titled axes."""
    title = wrap_title(title)
    fig.update_layout(
        template="plotly_white",
        title={"text": title, "x": 0.01},
        height=height,
        margin={"l": 70, "r": 20, "t": 80 if "<br>" in title else 60, "b": 60},
        hovermode="closest",
        legend={"title": {"text": ""}, "orientation": "h", "yanchor": "top", "y": -0.24},
    )
    fig.update_xaxes(title_text=x, exponentformat="SI", **({"type": "log"} if log_x else {}))
    fig.update_yaxes(title_text=y, exponentformat="SI", **({"type": "log"} if log_y else {}))
    return fig


def embed(fig: go.Figure, div_id: str) -> str:
    """A ``<div>`` plus the script that draws it; plotly.js itself is loaded by the page."""
    return str(
        pio.to_html(
            fig,
            full_html=False,
            include_plotlyjs=False,
            div_id=div_id,
            config=CONFIG,
            default_width="100%",
            validate=True,
        )
    )


def si(value: float, unit: str) -> str:
    """``3.61 GFLOP/s``: three significant digits and an SI prefix, as the axes print them."""
    prefixes = ((1e15, "P"), (1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k"), (1.0, ""))
    for scale, prefix in prefixes:
        if abs(value) >= scale:
            return f"{value / scale:.3g} {prefix}{unit}"
    return f"{value:.3g} {unit}"
