"""Sweep: measure every valid config of one variant on one problem into a space file.

Each config goes through the session's pipeline (static check, gate, timing, store), so a
sweep interrupted by a crash or Ctrl-C resumes from the store when run again: configs with
a stored record of the same source are not measured twice.
"""

from __future__ import annotations

import multiprocessing as mp
import os
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor

from .. import staticcheck
from ..family import Family
from ..measure.outcome import Outcome, Status
from ..pipeline import Session
from ..problem import Problem
from ..registry import Registry
from ..space import Config, config_key
from ..staticcheck import StaticResult, Target
from ..store.records import Record
from ..variant import Variant
from .measuring import MeasurementCache
from .spacefile import SpaceEntry, SpaceFile


def _outcome(rec: Record) -> Outcome:
    return Outcome(
        rec.status,
        rec.message,
        rec.error,
        samples=list(rec.samples),
        stats=dict(rec.stats),
        noisy=rec.noisy,
        method=dict(rec.method),
    )


_worker_registry: Registry | None = None


def _init_worker(references: list[str]) -> None:
    global _worker_registry
    # Compile natively: under the interpreter Triton would need a fresh process per kernel.
    os.environ.pop("TRITON_INTERPRET", None)
    _worker_registry = Registry.discover()
    for ref in references:
        _worker_registry.add_reference(ref)


def _check_one(job: tuple[str, str, str, Config, str, Target]) -> StaticResult:
    family, variant, problem, config, dtype, target = job
    assert _worker_registry is not None
    fam = _worker_registry.family(family)
    return staticcheck.check(
        _worker_registry.variant(variant), fam.parse(problem), config, dtype, target
    )


def static_checks(
    session: Session,
    variant: Variant,
    problem: Problem,
    dtype: str,
    configs: list[Config],
    jobs: int,
) -> list[StaticResult]:
    """The static check of every config, compiled in ``jobs`` processes when above one."""
    if jobs <= 1:
        return [session.static_check(variant, problem, dtype, c) for c in configs]
    work = [(variant.family, variant.name, problem.key, c, dtype, session.target) for c in configs]
    ctx = mp.get_context("spawn")
    with ProcessPoolExecutor(
        jobs, mp_context=ctx, initializer=_init_worker, initargs=(session.registry.references,)
    ) as pool:
        return list(pool.map(_check_one, work, chunksize=4))


def sweep(
    session: Session,
    family: Family,
    variant: Variant,
    problem: Problem,
    dtype: str,
    on_config: Callable[[int, int, str], None] | None = None,
    jobs: int = 1,
) -> SpaceFile:
    """Every config of the variant's space: statically rejected, or measured (or reused)."""
    cache = MeasurementCache(session, variant, problem, dtype)
    configs = list(variant.space)
    checks = static_checks(session, variant, problem, dtype, configs, jobs)
    entries: list[SpaceEntry] = []
    rejected: list[dict[str, object]] = []
    for i, (config, static) in enumerate(zip(configs, checks, strict=False)):
        if not static.ok:
            rejected.append({"config": config, "reason": static.reason})
            status = Status.REJECTED
        else:
            rec = cache.get(config_key(config))
            if rec is None:
                rec = session.evaluate(
                    family, variant, problem, dtype, config, study=f"sweep:{session.run_id}"
                )
            entries.append(SpaceEntry.from_outcome(config, _outcome(rec)))
            status = rec.status
        if on_config is not None:
            on_config(i + 1, len(configs), status)
    return SpaceFile(
        family=family.name,
        variant=variant.name,
        problem=problem.key,
        dtype=dtype,
        device=session.device.as_dict(),
        source_hash=variant.source_hash(),
        settings=session.settings.resolved(family.memory_bound).as_dict(),
        provenance=session.provenance,
        entries=entries,
        rejected=rejected,
    )
