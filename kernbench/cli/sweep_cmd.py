"""Measure a variant's whole valid config space into a space file (for replay and tune-eval)."""

from __future__ import annotations

import argparse
from pathlib import Path

from ..errors import UsageError
from ..tune.sweep import sweep
from .common import (
    activate_device,
    add_measure_options,
    add_problem_options,
    console,
    dtype_for,
    load_registry,
    open_session,
    problems_for,
    progress_bar,
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_problem_options(parser)
    add_measure_options(parser)
    parser.add_argument(
        "-o", "--output", type=Path, required=True, help="space file to write (JSON)"
    )
    parser.add_argument(
        "--jobs",
        type=int,
        default=1,
        help="processes compiling the static checks in parallel (default 1)",
    )


def run(args: argparse.Namespace) -> int:
    if args.jobs < 1:
        raise UsageError("--jobs must be at least 1")
    if len(args.variant) != 1 or len(args.shape) != 1:
        raise UsageError("sweep measures one space: give exactly one --variant and one --shape")
    device = activate_device(args.device, fallback_note=True)
    registry = load_registry()
    family = registry.family(args.family)
    dtype = dtype_for(family, args.dtype, device)
    variant = registry.select(family.name, args.variant)[0]
    if not variant.space.params:
        raise UsageError(f"{variant.name} has no config space to sweep")
    why = variant.unavailable(device)
    if why:
        raise UsageError(why)
    (problem,) = problems_for(family, args.shape, device)
    if args.output.exists() and args.output.is_dir():
        raise UsageError(f"{args.output} is a directory")
    session = open_session(args, device, registry)
    with (
        session.runner,
        progress_bar() as progress,
    ):
        task = progress.add_task(f"sweep {variant.name} {problem.key}", total=variant.space.size())
        space = sweep(
            session,
            family,
            variant,
            problem,
            dtype,
            on_config=lambda i, _n, _s: progress.update(task, completed=i),
            jobs=args.jobs,
        )
    space.save(args.output)
    ok = len(space.ok_times())
    console.print(
        f"wrote {args.output}: {len(space.entries)} configs measured ({ok} correct), "
        f"{len(space.rejected)} rejected statically, on {device.name}"
    )
    return 0
