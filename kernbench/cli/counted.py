"""What ``bench`` and ``results`` print of emulated records: the counters, the model's bound,
and (``--hot-lines N``) the hot PTX lines with their CUDA source lines."""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from typing import Any

from ..store.records import Record
from .common import console, print_table


def add_counted_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--hot-lines",
        type=int,
        default=0,
        metavar="N",
        help="emulated records: also print each one's N most executed PTX lines with their "
        "CUDA source lines (emulator counts)",
    )
    parser.add_argument(
        "--model-gpu",
        default=None,
        metavar="NAME",
        help="emulated records: the GPU of the speed-of-light model (default: an A100 for "
        "sm_80, an H100 for sm_90a; calibrated ceilings from the store where it holds them)",
    )


def print_counted(
    records: Sequence[Record],
    args: argparse.Namespace,
    stores: Sequence[Any],
    label: Callable[[Record], str] | None = None,
) -> None:
    """The emulator's counters of the records (nothing when none has them), the model's
    bound and the hot lines."""
    from ..analyse.counted import emulated
    from ..emulator.costs import ceilings_for, default_gpu
    from ..present_counted import counted_table, hot_lines_table

    counted = [r for r in records if emulated(r) is not None]
    if not counted:
        return
    arch = next(
        (x["arch"] for r in counted for x in (emulated(r) or {}).get("launches", [])), "sm_80"
    )
    ceilings = ceilings_for(args.model_gpu or default_gpu(arch), stores)
    table = counted_table(counted, ceilings, label, wide=args.wide)
    if table is not None:
        print_table(table, args.wide)
    for rec in counted if args.hot_lines > 0 else []:
        hot = hot_lines_table(rec, args.hot_lines)
        if hot is not None:
            console.print(hot)
