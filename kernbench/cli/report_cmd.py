"""Build a self-contained HTML report (roofline, ladder, tuning, records) from results stores."""

from __future__ import annotations

import argparse
from pathlib import Path

from .common import console, load_registry

DEFAULT_STORE = Path("results")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "results",
        nargs="*",
        help="results stores: directories (every store below one), .sqlite3 files or URLs "
        "(default: the --store directory)",
    )
    parser.add_argument(
        "--store",
        type=Path,
        default=DEFAULT_STORE,
        help="results store directory: reported when no store is named, and where "
        "baseline:NAME resolves (default: results/)",
    )
    parser.add_argument("--out", dest="store", type=Path, help=argparse.SUPPRESS)
    parser.add_argument(
        "-o",
        "--output",
        type=Path,
        default=Path("report-site"),
        help="directory to write the site into (default: report-site/)",
    )
    parser.add_argument(
        "--baseline",
        default=None,
        help="store (or baseline:NAME under --store) to compare against: adds the comparisons page",
    )
    parser.add_argument("--title", default="kernbench report", help="title shown on every page")
    parser.add_argument(
        "--allow-empty",
        action="store_true",
        help="build a site saying 'no results yet' when a results directory holds no store",
    )


def run(args: argparse.Namespace) -> int:
    from ..report import ReportData, build_site

    data = ReportData.load(
        args.results or [args.store],
        args.baseline,
        load_registry(),
        allow_empty=args.allow_empty,
        store_dir=args.store,
    )
    built = build_site(data, args.output, args.title)
    console.print(
        f"wrote {len(built.pages)} pages from {len(data.entries)} records to {built.directory}/"
    )
    for title, why in built.omitted.items():
        console.print(f"[dim]left out {title}: {why}[/]")
    console.print(f"open {(built.directory / 'index.html').resolve().as_uri()}")
    return 0
