"""Save the store's latest results as a named baseline file, or list the saved baselines."""

from __future__ import annotations

import argparse
from pathlib import Path

from rich.table import Table

from ..analyse.sources import baseline_path, latest_ok, list_baselines, save_baseline
from ..errors import UsageError
from ..store import open_store
from .common import add_store, console


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="action", metavar="ACTION", parser_class=type(parser))
    sub.required = True
    save = sub.add_parser(
        "save", help="write STORE/baselines/NAME.json from the latest results in --store"
    )
    save.add_argument("name", help="baseline name, e.g. main")
    save.add_argument(
        "--all",
        action="store_true",
        help="every record (failures and older runs too), not only the latest ok one per config",
    )
    save.add_argument("--family", default=None)
    save.add_argument("--variant", default=None)
    add_store(save)
    listing = sub.add_parser("list", help="the baselines saved under STORE/baselines/")
    add_store(listing)


def run(args: argparse.Namespace) -> int:
    return _save(args) if args.action == "save" else _list(args)


def _save(args: argparse.Namespace) -> int:
    baseline_path(args.name, args.out)  # a bad name fails before anything is read
    store = open_store(args.out, create=False)
    try:
        records = store.query(family=args.family, variant=args.variant)
    finally:
        store.close()
    chosen = records if args.all else latest_ok(records)
    if not chosen:
        raise UsageError(f"no {'' if args.all else 'ok '}records in {store.url} to save")
    path = save_baseline(args.name, chosen, args.out, store.url)
    console.print(f"saved {len(chosen)} records as baseline {args.name!r} in {path}")
    where = "" if args.out == Path("results") else f" --store {args.out}"
    console.print(
        f"[dim]gate a later run against it: kernbench compare baseline:{args.name}{where}[/]"
    )
    return 0


def _list(args: argparse.Namespace) -> int:
    found = list_baselines(args.out)
    if not found:
        console.print(f"no baselines under {args.out / 'baselines'} (kernbench baseline save NAME)")
        return 0
    tbl = Table(title=f"baselines in {args.out / 'baselines'}", title_justify="left")
    for col in ("name", "records", "created", "devices", "commit"):
        tbl.add_column(col)
    for path, doc in found:
        records = doc.get("records") or []
        devices = sorted({str((r.get("device") or {}).get("name", "?")) for r in records})
        tbl.add_row(
            str(doc.get("name", path.stem)),
            str(len(records)),
            str(doc.get("created", "")),
            ", ".join(devices),
            str((doc.get("provenance") or {}).get("commit", "")) or "-",
        )
    console.print(tbl)
    return 0
