"""Show or export stored records, for people (table) and scripts (csv, json, parquet)."""

from __future__ import annotations

import argparse
from pathlib import Path

from ..errors import UsageError
from ..present import records_table
from ..store import open_store
from ..store.export import FORMATS, csv_frame, samples_frame, samples_path, to_frame, write
from .common import add_store, add_wide, console, print_table
from .counted import add_counted_options, print_counted


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_store(parser)
    parser.add_argument("--family", default=None)
    parser.add_argument("--variant", default=None)
    parser.add_argument("--status", default=None, help="only records with this status (e.g. ok)")
    parser.add_argument("--format", default="table", choices=("table", *FORMATS))
    add_wide(parser)
    add_counted_options(parser)
    parser.add_argument(
        "-o",
        "--output",
        type=Path,
        default=None,
        help="write to this file (default: stdout); a CSV's raw samples go to FILE.samples.csv "
        "(CSV on stdout leaves them out; JSON and parquet hold them in a column)",
    )


def run(args: argparse.Namespace) -> int:
    store = open_store(args.out, create=False)
    records = store.query(family=args.family, variant=args.variant, status=args.status)
    if args.format == "table":
        if args.output:
            raise UsageError("-o needs --format csv, json or parquet")
        print_table(
            records_table(
                records, f"{len(records)} records in {store.url}", stores=[store], wide=args.wide
            ),
            args.wide,
        )
        print_counted(records, args, [store])
        return 0
    frame = to_frame(records)
    if args.output is None:
        if args.format == "parquet":
            raise UsageError("parquet is binary: give -o FILE")
        print(
            csv_frame(frame).to_csv(index=False)
            if args.format == "csv"
            else frame.to_json(orient="records", indent=1)
        )
        return 0
    write(frame, args.output, args.format, samples_frame(records))
    console.print(f"wrote {len(frame)} records to {args.output}")
    if args.format == "csv":
        console.print(f"[dim]raw samples, one row each: {samples_path(args.output)}[/]")
    return 0
