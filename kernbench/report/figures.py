"""Plotly figures as HTML fragments that need only ``assets/plotly.min.js``: nothing from the network."""

from __future__ import annotations

from pathlib import Path

import plotly.graph_objects as go
import plotly.io as pio
from plotly.offline import get_plotlyjs

PLOTLY_ASSET = "plotly.min.js"
CONFIG = {"displaylogo": False, "responsive": True, "toImageButtonOptions": {"format": "svg"}}


def write_plotly(assets: Path) -> None:
    """The plotly.js bundled with the Python package, written once for every page to share."""
    (assets / PLOTLY_ASSET).write_text(get_plotlyjs(), encoding="utf-8")


def styled(
    fig: go.Figure, title: str, x: str, y: str, *, log_x: bool = False, log_y: bool = False
) -> go.Figure:
    """The house style: white template, SI ticks (1T, 10T), legend on the right, titled axes."""
    fig.update_layout(
        template="plotly_white",
        title={"text": title, "x": 0.01},
        height=520,
        margin={"l": 70, "r": 20, "t": 60, "b": 60},
        hovermode="closest",
        legend={"title": {"text": ""}},
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
