"""Tune variants' config spaces with Optuna; resumable by running the same command again."""

from __future__ import annotations

import argparse
import warnings
from collections.abc import Callable
from pathlib import Path

import optuna
from rich.progress import Progress, TaskID

from ..analyse.importance import MIN_TRIALS, importance_table, study_importances
from ..errors import UsageError
from ..family import Family
from ..measure.runner import Runner
from ..measure.settings import MeasureSettings
from ..pipeline import Session
from ..present import MAX_NOTES, records_table
from ..problem import Problem
from ..registry import Registry
from ..store import Record, open_store
from ..store.sqlstore import default_url, normalize_url
from ..tune.ahead import default_jobs
from ..tune.confirm import DEFAULT_TOP
from ..tune.core import Budget
from ..tune.replay import open_replay, replay_path
from ..tune.samplers import CHOICES, resolve
from ..tune.spacefile import SpaceFile
from ..tune.studies import GRACE_S, HEARTBEAT_S, existing, is_sqlite, prepare_database
from ..tune.timing import describe
from ..tune.tuner import Tuner, TuneResult, legacy_study_name, study_name
from ..variant import Variant
from .common import (
    activate_device,
    add_measure_options,
    add_problem_options,
    console,
    dtype_for,
    err_console,
    load_registry,
    open_session,
    problems_for,
    progress_bar,
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_problem_options(parser)
    add_measure_options(parser)
    parser.set_defaults(device="auto")
    parser.add_argument(
        "--trials",
        type=int,
        default=None,
        help="the study's total of unique evaluations (every run, all workers together): a rerun "
        "completes what an interrupted run left, and a rerun of a finished study measures nothing "
        "new (default: 30 on a GPU, 8 on the CPU device)",
    )
    parser.add_argument(
        "--timeout", type=float, default=None, help="wall-time budget of this run, seconds"
    )
    parser.add_argument(
        "--patience",
        type=int,
        default=None,
        help="stop after N unique evaluations that beat the best by no more than its noise",
    )
    parser.add_argument(
        "--storage", default=None, help=argparse.SUPPRESS
    )  # the old name of ``--store URL``: one option names the store everywhere
    parser.add_argument(
        "--study", default=None, help="study name (default: derived from variant/problem/device)"
    )
    parser.add_argument(
        "--sampler",
        default="auto",
        choices=CHOICES,
        help="tpe, gp, random, bruteforce; auto: tpe, or bruteforce when the space fits the budget",
    )
    parser.add_argument(
        "--seed", type=int, default=0, help="sampler seed (recorded with the study; one per worker)"
    )
    parser.add_argument(
        "--heartbeat",
        type=int,
        default=HEARTBEAT_S,
        help=f"seconds between worker heartbeats on PostgreSQL/MySQL (default {HEARTBEAT_S})",
    )
    parser.add_argument(
        "--grace",
        type=int,
        default=GRACE_S,
        help=f"seconds without a heartbeat before a trial is failed and retried (default {GRACE_S})",
    )
    parser.add_argument(
        "--confirm",
        type=int,
        default=None,
        metavar="K",
        help=f"measure the top K configs and the baselines again at the end, interleaved in fresh "
        f"workers, and rank them with confidence intervals (default {DEFAULT_TOP} on a GPU, 0 on "
        "the CPU device, whose timings are not performance; 0: off)",
    )
    parser.add_argument(
        "--jobs",
        type=int,
        default=default_jobs(),
        metavar="N",
        help="processes that compile (statically check) the next proposals while one config is "
        f"measured (default: the cores less one, here {default_jobs()}; 0: compile in turn)",
    )
    parser.add_argument(
        "--replay-delay",
        type=float,
        default=0.0,
        help="with --device replay:FILE, pause this long per evaluation (rehearses real runs)",
    )


def _check(args: argparse.Namespace) -> None:
    for name in ("trials", "patience", "heartbeat", "grace"):
        value = getattr(args, name)
        if value is not None and value < 1:
            raise UsageError(f"--{name} must be at least 1")
    if args.timeout is not None and args.timeout <= 0:
        raise UsageError("--timeout must be positive")
    if args.replay_delay < 0:
        raise UsageError("--replay-delay must not be negative")
    if args.jobs < 0:
        raise UsageError("--jobs must not be negative (0 turns compile-ahead off)")
    if args.confirm is not None and args.confirm < 0:
        raise UsageError("--confirm must not be negative (0 turns confirmation off)")


def _replay_plan(
    args: argparse.Namespace, path: Path
) -> tuple[Registry, Session, Family, list[Variant], list[Problem], str]:
    space = SpaceFile.load(path)
    registry = load_registry()
    family = registry.family(args.family)
    if space.family != family.name:
        raise UsageError(f"{path} records {space.family}, not {family.name}")
    if args.variant and args.variant != [space.variant]:
        raise UsageError(f"{path} records variant {space.variant} only")
    problem = family.parse(space.problem)
    if args.shape and [family.parse(s).key for s in args.shape] != [problem.key]:
        raise UsageError(f"{path} records problem {problem.key} only")
    if args.dtype and args.dtype != space.dtype:
        raise UsageError(f"{path} records dtype {space.dtype} only")
    variant = registry.variant(space.variant)
    if variant.source_hash() != space.source_hash:
        console.print(f"[yellow]note:[/] {variant.name}'s source changed since {path} was recorded")
    store = open_store(args.storage or args.out)
    session = open_replay(space, registry, store, args.replay_delay)
    return registry, session, family, [variant], [problem], space.dtype


CPU_DEMO_TRIALS = 4


def _live_plan(
    args: argparse.Namespace,
) -> tuple[Registry, Session, Family, list[Variant], list[Problem], str]:
    demo = args.device == "auto" and not args.shape
    device = activate_device(args.device, fallback_note=not demo)
    registry = load_registry()
    family = registry.family(args.family)
    dtype = dtype_for(family, args.dtype, device)
    chosen = registry.select(family.name, args.variant)
    problems = problems_for(family, args.shape, device)
    if demo and not device.is_gpu:
        # A newcomer without a GPU: show the whole flow quickly on one small problem.
        problems = problems[:1]
        args.trials = args.trials or CPU_DEMO_TRIALS
        err_console.print(
            f"[yellow]No CUDA GPU here: tuning on the CPU device (Triton interpreter) at "
            f"{problems[0].key}, {args.trials} configs per variant; its timings are not GPU performance.[/]"
        )
    session = open_session(args, device, registry, args.storage)
    return registry, session, family, chosen, problems, dtype


def _progress(progress: Progress, task: TaskID) -> Callable[[int, Record | None], None]:
    return lambda n, _rec: progress.update(task, completed=n)


def summary(result: TuneResult) -> str:
    """What happened, in words: the study's evaluations by status, then why this run stopped."""
    total = sum(result.by_status.values())
    counts = ", ".join(f"{n} {status}" for status, n in result.by_status.items()) or "none"
    new = (
        f"{result.unique_evaluations} measured by this run"
        if result.unique_evaluations
        else "nothing new measured (the study was complete)"
        if result.stop_reason.endswith("unique evaluations done")
        else "nothing new measured"
    )
    return (
        f"{total} trials: {counts}; {result.rejected} rejected statically; {new}; "
        f"{result.stop_reason}"
    )


def _fresh_runner(session: Session) -> Callable[[MeasureSettings], Runner]:
    """Each confirmation round gets a fresh worker process (in this process with --no-isolate)."""
    from ..measure.runner import InProcessRunner
    from ..measure.worker import ProcessRunner

    if session.settings.isolate:
        return lambda s: ProcessRunner(session.device, s, session.registry.references)
    return lambda s: InProcessRunner(session.registry, session.device, s)


def run(args: argparse.Namespace) -> int:
    _check(args)
    # Optuna flags samplers and options as experimental (brute force, constant liar): noise
    # for a user, who chose them through kernbench's options.
    warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)
    if args.storage is None and isinstance(args.out, str):  # --store postgresql://...
        args.storage = args.out
    if args.storage:
        args.storage = normalize_url(args.storage)
        if not is_sqlite(args.storage):
            prepare_database(args.storage)
    path = replay_path(args.device)
    registry, session, family, chosen, problems, dtype = (
        _replay_plan(args, path) if path is not None else _live_plan(args)
    )
    device = session.device
    trials = args.trials or (30 if device.is_gpu or path is not None else 8)
    tunable = [
        v for v in chosen if v.space.params and (path is not None or not v.unavailable(device))
    ]
    skipped = [v for v in chosen if v.space.params and v not in tunable]
    baselines = (
        []
        if path is not None
        else [b for b in registry.baselines(family.name) if not b.space.params]
    )
    if not tunable:
        raise UsageError(
            f"nothing to tune: no chosen {family.name} variant has a config space here"
        )
    if args.study and (len(tunable) != 1 or len(problems) != 1):
        raise UsageError("--study names one study: give exactly one --variant and one --shape")
    storage = args.storage or default_url(args.out)
    confirm_top = (
        0
        if path is not None  # a replay has no noise to confirm
        else args.confirm
        if args.confirm is not None
        else DEFAULT_TOP
        if device.is_gpu
        else 0
    )
    shown: list[Record] = []
    unsolved: list[str] = []
    with (
        session.runner,
        progress_bar() as progress,
    ):
        for problem in problems:
            for base in baselines:
                shown.append(session.evaluate(family, base, problem, dtype, {}))
            for variant in skipped:
                shown.append(
                    session.evaluate(family, variant, problem, dtype, variant.default_configs()[0])
                )
            for variant in tunable:
                valid = variant.space.size()
                sampler = resolve(args.sampler, valid, trials)
                name = args.study or existing(
                    storage,
                    [
                        study_name(variant, problem, dtype, device.name),
                        legacy_study_name(variant, problem, dtype, device.name),
                    ],
                )
                task = progress.add_task(
                    f"tune {variant.name} {problem.key}", total=min(trials, valid)
                )
                tuner = Tuner(
                    session,
                    family,
                    variant,
                    problem,
                    dtype,
                    storage,
                    name,
                    sampler,
                    args.seed,
                    heartbeat_s=args.heartbeat,
                    grace_s=args.grace,
                    on_progress=_progress(progress, task),
                    confirm_top=confirm_top,
                    baselines=baselines,
                    fresh_runner=_fresh_runner(session),
                    jobs=0 if path is not None else args.jobs,
                )
                result = tuner.run(
                    Budget(
                        trials=trials,
                        timeout_s=args.timeout,
                        patience=args.patience,
                        valid_size=valid,
                    )
                )
                progress.remove_task(task)
                label = family.label(problem)
                console.print(
                    f"[bold]{variant.name}[/] {label}: {summary(result)}; "
                    f"sampler {sampler} seed {args.seed}",
                    highlight=False,
                )
                # its own line, never folded by rich: a terminal wraps it, a copy gets it whole
                console.print(f"  study: {name}", highlight=False, soft_wrap=True)
                if result.confirmation:
                    console.print(f"  {result.confirmation['sentence']}", highlight=False)
                if result.time_breakdown and result.time_breakdown["trials"]:
                    for line in describe(result.time_breakdown):
                        console.print(f"  [dim]{line}[/]", highlight=False)
                if result.orphans:
                    console.print(
                        f"  resumed: trials {result.orphans} of a killed run failed and re-queued"
                    )
                scores = study_importances(storage, name, variant.space)
                if scores:
                    console.print(
                        importance_table(scores, f"parameter importance (fANOVA), {variant.name}")
                    )
                elif scores is None:
                    console.print(
                        f"  [dim]parameter importance needs {MIN_TRIALS}+ correct evaluations[/]"
                    )
                if result.best is not None:
                    shown.append(result.best)
                else:
                    unsolved.append(f"{variant.name} {label}")
                    console.print(
                        f"[red]{variant.name} {label}: no correct config found[/]",
                        highlight=False,
                    )
                    for line in result.why[:MAX_NOTES]:
                        console.print(f"  why: {line}", highlight=False)
                    if len(result.why) > MAX_NOTES:
                        console.print(
                            f"  ... and {len(result.why) - MAX_NOTES} more "
                            f"(kernbench results --variant {variant.name})",
                            highlight=False,
                        )
    console.print(
        records_table(
            shown,
            f"best configs, {family.name} on {device.name}",
            {family.name: family.compute_precision(dtype)},
            [session.store],
            {v.name: v.order for v in chosen},
            lambda rec: family.label(family.parse(rec.problem)),
        )
    )
    console.print(f"[dim]studies and records in {storage}[/]")
    if unsolved:
        err_console.print(f"no correct config found for: {', '.join(unsolved)}", highlight=False)
        return 1
    return 0
