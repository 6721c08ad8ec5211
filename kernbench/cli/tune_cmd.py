"""Tune variants' config spaces with Optuna; resumable by running the same command again."""

from __future__ import annotations

import argparse

import optuna
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from ..errors import UsageError
from ..present import records_table
from ..store.sqlstore import default_url
from ..tune.tuner import Tuner, study_name
from .common import (
    activate_device,
    add_measure_options,
    add_problem_options,
    console,
    dtype_for,
    load_registry,
    open_session,
    problems_for,
)

SAMPLERS = ("tpe", "random")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_problem_options(parser)
    add_measure_options(parser)
    parser.add_argument("--trials", type=int, default=None,
                        help="unique evaluations per study (default: 30 on a GPU, 8 on the CPU device)")
    parser.add_argument("--timeout", type=float, default=None, help="wall-time budget per study, seconds")
    parser.add_argument("--storage", default=None,
                        help="RDB URL for studies and records (default: sqlite file in --out)")
    parser.add_argument("--study", default=None, help="study name (default: derived from variant/problem/device)")
    parser.add_argument("--sampler", default="tpe", help=f"search strategy: {', '.join(SAMPLERS)}")
    parser.add_argument("--seed", type=int, default=0, help="sampler seed (recorded with the study)")


def make_sampler(name: str, seed: int) -> optuna.samplers.BaseSampler:
    if name == "tpe":
        return optuna.samplers.TPESampler(seed=seed, multivariate=True, constant_liar=True, n_startup_trials=5)
    if name == "random":
        return optuna.samplers.RandomSampler(seed=seed)
    raise UsageError(f"unknown sampler {name!r} (known: {', '.join(SAMPLERS)})")


def run(args: argparse.Namespace) -> int:
    device = activate_device(args.device, fallback_note=True)
    if args.trials is not None and args.trials < 1:
        raise UsageError("--trials must be at least 1")
    trials = args.trials or (30 if device.is_gpu else 8)
    make_sampler(args.sampler, args.seed)  # fail on a bad name before any work
    registry = load_registry()
    family = registry.family(args.family)
    dtype = dtype_for(family, args.dtype, device)
    chosen = registry.select(family.name, args.variant)
    tunable = [v for v in chosen if v.space.params and not v.unavailable(device)]
    skipped = [v for v in chosen if v.space.params and v.unavailable(device)]
    baselines = [b for b in registry.baselines(family.name) if not b.space.params]
    problems = problems_for(family, args.shape, device)
    if args.study and (len(tunable) != 1 or len(problems) != 1):
        raise UsageError("--study names one study: give exactly one --variant and one --shape")
    session = open_session(args, device, registry, args.storage)
    storage = args.storage or default_url(args.out)
    shown = []
    with session.runner, Progress(
        TextColumn("[progress.description]{task.description}"), BarColumn(),
        TextColumn("{task.completed}/{task.total}"), TimeElapsedColumn(), console=console, transient=True,
    ) as progress:
        for problem in problems:
            for base in baselines:
                shown.append(session.evaluate(family, base, problem, dtype, {}))
            for variant in skipped:
                shown.append(session.evaluate(family, variant, problem, dtype, variant.default_configs()[0]))
            for variant in tunable:
                name = args.study or study_name(variant, problem, dtype, device.name)
                task = progress.add_task(f"tune {variant.name} {problem.key}", total=trials)
                tuner = Tuner(
                    session, family, variant, problem, dtype, storage, name,
                    make_sampler(args.sampler, args.seed),
                    on_progress=lambda n, _rec, t=task: progress.update(t, completed=n),
                )
                result = tuner.run(trials, args.timeout)
                progress.remove_task(task)
                console.print(
                    f"[bold]{variant.name}[/] {problem.key}: {result.unique_evaluations} new evaluations, "
                    f"{result.rejected} rejected statically; {result.stop_reason}; study {name!r}"
                )
                if result.best is not None:
                    shown.append(result.best)
                else:
                    console.print(f"[red]{variant.name} {problem.key}: no config passed the correctness gate[/]")
    console.print(records_table(shown, f"best configs, {family.name} on {device.name}",
                                {family.name: family.compute_precision(dtype)}))
    console.print(f"[dim]studies and records in {storage}[/]")
    return 0
