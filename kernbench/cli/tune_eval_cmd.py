"""Measure how well each sampler searches, by replaying recorded spaces over many seeds."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from rich.table import Table

from .. import provenance
from ..errors import UsageError
from ..tune.efficiency import WITHIN, evaluate_sampler
from ..tune.samplers import SAMPLERS
from ..tune.spacefile import SpaceFile
from .common import add_store, console, load_registry


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--space",
        action="append",
        type=Path,
        required=True,
        help="a space file from `kernbench sweep` (repeatable)",
    )
    parser.add_argument(
        "--sampler",
        action="append",
        default=[],
        choices=sorted(SAMPLERS),
        help="sampler to evaluate (repeatable; default: tpe and random)",
    )
    parser.add_argument(
        "--seeds", type=int, default=20, help="runs per sampler and space (default 20)"
    )
    parser.add_argument(
        "--budget-fraction",
        type=float,
        default=0.1,
        help="budget of the score, as a fraction of the valid space (default 0.1)",
    )
    parser.add_argument(
        "--max-fraction",
        type=float,
        default=0.5,
        help="stop a run unsuccessful after this fraction of the space (default 0.5)",
    )
    add_store(parser)


def run(args: argparse.Namespace) -> int:
    if args.seeds < 1:
        raise UsageError("--seeds must be at least 1")
    for name in ("budget_fraction", "max_fraction"):
        if not 0 < getattr(args, name) <= 1:
            raise UsageError(f"--{name.replace('_', '-')} must be in (0, 1]")
    samplers = args.sampler or ["tpe", "random"]
    spaces = [SpaceFile.load(p) for p in args.space]
    registry = load_registry()
    results = []
    table = Table(
        title=f"search efficiency over {args.seeds} seeds (replayed spaces)", title_justify="left"
    )
    for col in (
        "space",
        "sampler",
        "valid",
        f"median evals to within {WITHIN:.0%}",
        "reached",
        "budget",
        "mean score",
        "median score",
    ):
        table.add_column(col)
    for path, space in zip(args.space, spaces, strict=False):
        variant = registry.variant(space.variant)
        for sampler in samplers:
            r = evaluate_sampler(
                space, variant, sampler, args.seeds, args.budget_fraction, args.max_fraction
            )
            results.append({"file": str(path), **r.as_dict()})
            evals = (
                "not reached"
                if r.median_evals_to_within == float("inf")
                else (f"{r.median_evals_to_within:g} ({r.median_fraction_to_within:.1%})")
            )
            table.add_row(
                r.space,
                sampler,
                str(r.valid_configs),
                evals,
                f"{r.reached}/{r.seeds}",
                str(r.budget),
                f"{r.mean_score:.2f}",
                f"{r.median_score:.2f}",
            )
    console.print(table)
    out_dir = Path(args.out) / "tune_eval"
    out_dir.mkdir(parents=True, exist_ok=True)
    stamp = provenance.now().replace(":", "").replace("+0000", "Z")
    path = out_dir / f"search_efficiency_{stamp}.json"
    payload = {
        "kind": "kernbench-search-efficiency/1",
        "within": WITHIN,
        "seeds": args.seeds,
        "budget_fraction": args.budget_fraction,
        "max_fraction": args.max_fraction,
        "provenance": provenance.collect(),
        "results": results,
    }
    path.write_text(json.dumps(payload, indent=1) + "\n")
    console.print(f"[dim]wrote {path}[/]")
    return 0
