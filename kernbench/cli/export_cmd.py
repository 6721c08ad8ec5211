"""Write the best stored config per (variant, device, problem, dtype) to a JSON file."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from .. import provenance
from ..errors import UsageError
from ..store import open_store
from ..tune.best import best_records, export_rows
from .common import add_store, console


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_store(parser)
    parser.add_argument("--family", default=None)
    parser.add_argument("--variant", default=None)
    parser.add_argument("--gpu-only", action="store_true", help="leave out CPU-interpreter records")
    parser.add_argument("-o", "--output", type=Path, required=True, help="JSON file to write")


def run(args: argparse.Namespace) -> int:
    if args.output.exists() and args.output.is_dir():
        raise UsageError(f"{args.output} is a directory")
    store = open_store(args.out, create=False)
    rows = export_rows(best_records(store, args.family, args.variant))
    if args.gpu_only:
        rows = [r for r in rows if r["timing_kind"] == "gpu"]
    args.output.parent.mkdir(parents=True, exist_ok=True)
    payload = {
        "kind": "kernbench-best-configs/1",
        "exported": provenance.now(),
        "store": store.url,
        "configs": rows,
    }
    args.output.write_text(json.dumps(payload, indent=1) + "\n")
    console.print(f"wrote {len(rows)} best configs to {args.output}")
    return 0
