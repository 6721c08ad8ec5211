"""Tuning one variant on one problem: a study, a warm start, the loop, the best record.

``--storage`` picks the Optuna storage (and the records' database); many processes may run
the same study on PostgreSQL. Running the same command again resumes the study: trials a
killed process left running are failed and their configs re-queued, and unique evaluations
already made count toward the same ``--trials``.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

import optuna

from .. import provenance
from ..family import Family
from ..pipeline import Session
from ..problem import Problem
from ..space import config_key
from ..store.records import Record
from ..variant import Variant
from .claims import Claims
from .core import Budget, Loop
from .measuring import MeasuringEvaluator
from .samplers import make_sampler
from .searchspace import SearchSpace
from .studies import is_sqlite, open_storage, recover_orphans
from .warmstart import warm_configs


def study_name(variant: Variant, problem: Problem, dtype: str, device_name: str) -> str:
    raw = f"{variant.family}/{variant.name}/{problem.key}/{dtype}/{device_name}"
    return re.sub(r"[^A-Za-z0-9_.,=/:+-]", "_", raw)


def next_step(done: int, step: int) -> int:
    """The study's unique-evaluation target for this run: studies grow in steps of ``--trials``.

    A run completes the current step (what an interrupted run left) or, when the step is
    complete, adds a whole new one: the same command run again resumes, then keeps going.
    """
    if done % step:
        return (done // step + 1) * step
    return done + step


@dataclass
class TuneResult:
    study: str
    best: Record | None
    unique_evaluations: int
    """Made by this process in this run."""
    study_evaluations: int
    """Made in the whole study (every run, every worker)."""
    rejected: int
    stop_reason: str
    sampler: str
    seed: int
    orphans: list[int] = field(default_factory=list)
    warm_started: int = 0


@dataclass
class Tuner:
    """Runs (or resumes) one study of one variant on one problem."""

    session: Session
    family: Family
    variant: Variant
    problem: Problem
    dtype: str
    storage_url: str
    study: str
    sampler: str
    seed: int = 0
    heartbeat_s: int = 10
    grace_s: int = 30
    on_progress: Callable[[int, Record | None], None] | None = None
    run_id: str = field(default_factory=lambda: uuid.uuid4().hex[:12])

    def open_study(self) -> tuple[optuna.Study, optuna.storages.RDBStorage]:
        optuna.logging.set_verbosity(optuna.logging.ERROR)
        storage = open_storage(self.storage_url, self.heartbeat_s, self.grace_s)
        study = optuna.create_study(
            study_name=self.study,
            storage=storage,
            sampler=make_sampler(self.sampler, self.seed),
            direction="minimize",
            load_if_exists=True,
        )
        attrs = study.user_attrs
        for attr, value in (
            ("family", self.family.name),
            ("variant", self.variant.name),
            ("problem", self.problem.key),
            ("dtype", self.dtype),
            ("device", self.session.device.name),
            ("source_hash", self.variant.source_hash()),
            ("objective", "ln(median seconds)"),
        ):
            if attrs.get(attr) != value:
                study.set_user_attr(attr, value)
        study.set_user_attr(
            f"run:{self.run_id}",
            {
                "sampler": self.sampler,
                "seed": self.seed,
                "owner_started": provenance.now(),
                "host": provenance.collect().get("host", ""),
            },
        )
        return study, storage

    def warm_start(self, study: optuna.Study, search: SearchSpace) -> int:
        """Enqueue defaults and the nearest problems' best configs the study has not tried."""
        trials = [t for t in study.get_trials(deepcopy=False) if search.covers(t.params)]
        tried = {config_key(search.to_config(t.params)) for t in trials}
        waiting = {
            config_key(search.to_config(t.params))
            for t in trials
            if t.state == optuna.trial.TrialState.WAITING
        }
        configs = warm_configs(
            self.session.store,
            self.family.name,
            self.variant.name,
            self.variant.space,
            self.variant.default_configs(),
            self.problem.key,
            self.dtype,
            self.session.device.name,
        )
        n = 0
        for config in configs:
            if config_key(config) not in tried | waiting:
                study.enqueue_trial(search.to_params(config), skip_if_exists=True)
                n += 1
        return n

    def run(self, budget: Budget) -> TuneResult:
        study, storage = self.open_study()
        search = SearchSpace(self.variant.space)
        orphans = recover_orphans(study, storage) if is_sqlite(self.storage_url) else []
        claims = Claims(self.session.store.engine, self.study)
        evaluator = MeasuringEvaluator(
            self.session,
            self.family,
            self.variant,
            self.problem,
            self.dtype,
            study,
            claims,
        )
        if budget.valid_size is None:
            budget.valid_size = self.variant.space.size()
        if budget.trials is not None:
            budget.trials = next_step(claims.count(), budget.trials)
        warm = self.warm_start(study, search)
        loop = Loop(search, evaluator, budget, seed=self.seed)
        if self.on_progress is not None:
            progress = self.on_progress
            evaluator.on_record = lambda rec: progress(claims.count(), rec)
        reason = loop.run(study)
        return TuneResult(
            study=self.study,
            best=evaluator.cache.best(),
            unique_evaluations=len(loop.fresh),
            study_evaluations=claims.count(),
            rejected=len(loop.rejected),
            stop_reason=reason,
            sampler=self.sampler,
            seed=self.seed,
            orphans=orphans,
            warm_started=warm,
        )
