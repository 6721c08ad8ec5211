"""Measure variants at their default configs on given problems, next to the family's baselines."""

from __future__ import annotations

import argparse

from ..measure.outcome import Status, describe
from ..present import records_table
from .common import (
    activate_device,
    add_measure_options,
    add_problem_options,
    add_wide,
    console,
    dtype_for,
    load_registry,
    open_session,
    print_table,
    problems_for,
    progress_bar,
)
from .counted import add_counted_options, print_counted

EPILOG = """\
exit status:
  0  every candidate ran correctly, or was skipped, unsupported or rejected statically
  1  a candidate failed: wrong_result, compile_error, launch_error, crash, timeout or
     out_of_memory (each failure's message is listed under the table)
  2  bad usage or input, e.g. a GPU-sized --shape with no GPU and no --device cpu
"""

PASSING = (Status.OK, *Status.NOT_LAUNCHED)
"""Statuses that do not fail a bench: ran correctly, or decided before any launch."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_problem_options(parser)
    add_measure_options(parser)
    parser.add_argument(
        "--no-baselines", action="store_true", help="leave the family's baselines out"
    )
    add_counted_options(parser)
    add_wide(parser)


def run(args: argparse.Namespace) -> int:
    device = activate_device(args.device, fallback_note=True)
    registry = load_registry()
    family = registry.family(args.family)
    dtype = dtype_for(family, args.dtype, device)
    variants = registry.select(family.name, args.variant)
    if not args.no_baselines:
        variants += [b for b in registry.baselines(family.name) if b not in variants]
    problems = problems_for(family, args.shape, device)
    jobs = [(p, v, c) for p in problems for v in variants for c in v.default_configs()]
    session = open_session(args, device, registry)
    records = []
    with (
        session.runner,
        progress_bar() as progress,
    ):
        task = progress.add_task("bench", total=len(jobs))
        for problem, variant, config in jobs:
            progress.update(task, description=f"{variant.name} {problem.key}")
            records.append(session.evaluate(family, variant, problem, dtype, config))
            progress.advance(task)
    print_table(
        records_table(
            records,
            f"{family.name} on {device.name}",
            {family.name: family.compute_precision(dtype)},
            [session.store],
            {v.name: v.order for v in variants},
            lambda rec: family.label(family.parse(rec.problem)),
            wide=args.wide,
        ),
        args.wide,
    )
    if device.is_emulated:
        print_counted(
            records, args, [session.store], lambda rec: family.label(family.parse(rec.problem))
        )
    console.print(
        f"[dim]{len(records)} records stored in {session.store.url} (run {session.run_id})[/]"
    )
    failed = [r.status for r in records if r.status not in PASSING]
    if failed:
        console.print(
            f"[red]{len(failed)} candidate(s) failed: {describe(failed, 'candidate')}; "
            "why is listed under the table[/]"
        )
        return 1
    return 0
