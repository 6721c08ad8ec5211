"""Tuning one variant on one problem: a study, a warm start, the loop, the best record.

``--storage`` picks the Optuna storage (and the records' database); many processes may run
the same study on PostgreSQL. Running the same command again resumes the study: trials a
killed process left running are failed and their configs re-queued, and unique evaluations
already made count toward the same ``--trials``, which is the study's total: a rerun of
a finished study reports and measures nothing new.
"""

from __future__ import annotations

import re
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import Any

import optuna

from .. import provenance
from ..family import Family
from ..measure.outcome import Outcome, Status
from ..measure.run import Candidate
from ..measure.runner import Runner
from ..measure.settings import MeasureSettings
from ..pipeline import Session
from ..problem import Problem
from ..space import config_key
from ..store.records import Record
from ..variant import Variant
from . import confirm, timing
from .ahead import CompileAhead, start_pool
from .claims import DONE, Claims
from .core import Budget, Loop
from .measuring import MeasuringEvaluator
from .samplers import make_sampler
from .searchspace import SearchSpace
from .studies import is_sqlite, open_storage, recover_orphans
from .warmstart import warm_configs


def device_slug(device_name: str) -> str:
    """A device name as a study name writes it: lower case, runs of anything but letters,
    digits, ``.`` and ``_`` as one ``-`` (``CPU (x86_64, 2 cores)`` is ``cpu-x86_64-2-cores``,
    ``NVIDIA H100 80GB HBM3`` is ``nvidia-h100-80gb-hbm3``)."""
    return re.sub(r"[^a-z0-9_.]+", "-", device_name.lower()).strip("-") or "device"


def study_name(variant: Variant, problem: Problem, dtype: str, device_name: str) -> str:
    """The default study of one variant, problem, dtype and device: stable, because a rerun
    of the same command must find it (``family/variant/problem key/dtype/device slug``)."""
    return f"{variant.family}/{variant.name}/{problem.key}/{dtype}/{device_slug(device_name)}"


def legacy_study_name(variant: Variant, problem: Problem, dtype: str, device_name: str) -> str:
    """The name studies had before :func:`device_slug` (``.../fp16/CPU__x86_64,_2_cores_``):
    a study started under it is still found and continued (see :func:`studies.existing`)."""
    raw = f"{variant.family}/{variant.name}/{problem.key}/{dtype}/{device_name}"
    return re.sub(r"[^A-Za-z0-9_.,=/:+-]", "_", raw)


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
    by_status: dict[str, int] = field(default_factory=dict)
    """The study's unique evaluations by status (every run; confirmation rounds left out)."""
    verdict: confirm.Verdict | None = None
    confirmation: dict[str, Any] | None = None
    """The stored verdict (this run's, or an earlier run's when nothing new was measured)."""
    time_breakdown: dict[str, Any] | None = None
    why: list[str] = field(default_factory=list)
    """When no config came out correct: each distinct reason the study's configs failed or
    were rejected, counted (``wrong_result (4x): ...``), most frequent first."""


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
    confirm_top: int = 0
    """Confirm this many of the best configs at the end (0: no confirmation)."""
    baselines: Sequence[Variant] = ()
    fresh_runner: Callable[[MeasureSettings], Runner] | None = None
    jobs: int = 0
    """Processes that statically check (compile) the next proposals ahead; 0: none."""
    """Makes the runner of each confirmation round (a fresh worker process); default the session's."""

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
        clock = timing.TimeBreakdown()
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
        # ``budget.trials`` is the study's total of unique evaluations (every run, every
        # worker): a rerun of a finished study stops at once, an interrupted one completes.
        finished = budget.trials is not None and claims.count(DONE) >= budget.trials
        warm = 0 if finished else self.warm_start(study, search)
        evaluator.timing = clock
        loop = Loop(search, evaluator, budget, seed=self.seed, timing=clock)
        if self.on_progress is not None:
            progress = self.on_progress
            evaluator.on_record = lambda rec: progress(claims.count(), rec)
        with self._compile_ahead(evaluator, loop, search, budget):
            reason = loop.run(study)
        best = evaluator.cache.best()
        verdict = None
        if (
            self.confirm_top > 0
            and best is not None
            and (loop.fresh or confirm.ATTR not in study.user_attrs)
        ):
            with clock.stage("confirm"):
                verdict = self.confirm_winner(study, evaluator.cache.records.values())
            best = self._winner_record(verdict) or best
        elif best is not None:
            best = self._stored_winner() or best
        breakdown = clock.as_attr()
        if loop.fresh or timing.ATTR not in study.user_attrs:  # a no-op rerun keeps the last one
            study.set_user_attr(timing.ATTR, breakdown)
        return TuneResult(
            study=self.study,
            best=best,
            unique_evaluations=len(loop.fresh),
            study_evaluations=claims.count(),
            rejected=len(loop.rejected),
            stop_reason=reason,
            sampler=self.sampler,
            seed=self.seed,
            orphans=orphans,
            warm_started=warm,
            by_status=self.by_status(),
            verdict=verdict,
            confirmation=study.user_attrs.get(confirm.ATTR),
            time_breakdown=breakdown,
            why=self.why_failed(study) if best is None else [],
        )

    @contextmanager
    def _compile_ahead(
        self, evaluator: MeasuringEvaluator, loop: Loop, search: SearchSpace, budget: Budget
    ) -> Iterator[None]:
        """With ``jobs``: a pool statically checks the next proposals while one is measured."""
        if self.jobs < 1 or self.variant.static_check is None:
            yield
            return
        pool = start_pool(self.jobs, self.session.registry.references)
        names = (self.family.name, self.variant.name, self.problem.key, self.dtype)
        ahead = CompileAhead(
            pool, self.jobs, names, self.session.target, search, self.sampler, self.seed
        )
        evaluator.ahead = ahead

        def seen(key: str) -> bool:
            return key in loop.known or key in loop.rejected or evaluator.cache.get(key) is not None

        def before_measure(study: optuna.Study) -> None:
            # the config about to be measured counts: propose only what the budget can use
            if (
                budget.trials is None
                or evaluator.unique_count() + 1 + len(ahead.pending) < budget.trials
            ):
                ahead.fill(study, seen)

        loop.before_measure = before_measure
        try:
            yield
        finally:
            evaluator.ahead = None
            pool.shutdown(wait=True, cancel_futures=True)

    def by_status(self) -> dict[str, int]:
        """The study's launched unique evaluations counted by status."""
        counts: dict[str, int] = {}
        for rec in self.session.store.query(study=self.study):
            if confirm.KEY not in rec.method and rec.status not in Status.NOT_LAUNCHED:
                counts[rec.status] = counts.get(rec.status, 0) + 1
        return dict(sorted(counts.items(), key=lambda kv: (kv[0] != Status.OK, -kv[1], kv[0])))

    def why_failed(self, study: optuna.Study) -> list[str]:
        """The distinct reasons of the study's failed evaluations and static rejections, each
        with its count, most frequent first (every run of the study)."""
        reasons: Counter[str] = Counter()
        for rec in self.session.store.query(study=self.study):
            if rec.status != Status.OK and confirm.KEY not in rec.method:
                first = (rec.message or "no message").strip().splitlines() or ["no message"]
                reasons[f"{rec.status}: {first[0]}"] += 1
        rejected: set[str] = set()  # a config proposed again is rejected again: count it once
        for t in study.get_trials(deepcopy=False):
            key = config_key(t.user_attrs.get("config", t.params))
            if t.user_attrs.get("status") == Status.REJECTED and key not in rejected:
                rejected.add(key)
                reasons[f"rejected statically: {t.user_attrs.get('reason', 'no reason')}"] += 1
        lines = []
        for reason, n in reasons.most_common():
            status, _, message = reason.partition(": ")
            lines.append(f"{status}{f' ({n}x)' if n > 1 else ''}: {message}")
        return lines

    def confirm_winner(self, study: optuna.Study, records: Iterable[Record]) -> confirm.Verdict:
        """Measure the top configs and the baselines again, interleaved, in fresh workers."""
        ok = sorted(
            (
                r
                for r in records
                if r.status == Status.OK and r.median_s and confirm.KEY not in r.method
            ),
            key=lambda r: r.median_s or 0.0,
        )
        contenders = [
            confirm.Contender(self.variant.name, dict(r.config)) for r in ok[: self.confirm_top]
        ]
        contenders += [confirm.Contender(b.name, {}, baseline=True) for b in self.baselines]
        variants = {v.name: v for v in (self.variant, *self.baselines)}

        # each round samples a share of a normal measurement, so all rounds cost about one
        rounds = confirm.ROUNDS
        base = self.session.settings
        settings = replace(
            base,
            min_time_s=base.min_time_s / rounds,
            max_time_s=base.max_time_s / rounds,
            min_samples=max(3, base.min_samples // rounds),
        )

        def measure(runner: Runner, c: confirm.Contender) -> Record:
            session = replace(self.session, runner=runner, settings=settings)
            return session.evaluate(
                self.family,
                variants[c.variant],
                self.problem,
                self.dtype,
                c.config,
                study=self.study,
            )

        make = self.fresh_runner

        def fresh() -> Runner:
            return make(settings) if make is not None else _Borrowed(self.session.runner)

        verdict = confirm.run_rounds(contenders, fresh, measure, rounds, base.confidence)
        study.set_user_attr(confirm.ATTR, verdict.as_attr())
        return verdict

    def _stored_winner(self) -> Record | None:
        """The latest confirmed winner of this study, when an earlier run confirmed one."""
        verdicts = [
            r
            for r in self.session.store.query(study=self.study, status=Status.OK)
            if r.method.get(confirm.KEY, {}).get("kind") == "verdict"
        ]
        return verdicts[-1] if verdicts else None

    def _winner_record(self, verdict: confirm.Verdict) -> Record | None:
        """Store the winner's pooled samples as one record: the one export and best_config() give."""
        win = verdict.winner
        if win is None or win.summary is None:
            return None
        last = [r for r in win.records if r.status == Status.OK][-1]
        tag = {
            "kind": "verdict",
            "rounds": verdict.rounds,
            "tie": verdict.tie,
            "tie_within": verdict.tie_within,
            "records": [r.id for r in win.records],
        }
        record = replace(
            last,
            id=None,
            created="",
            message=verdict.sentence(),
            samples=list(win.samples),
            throttled=[],
            stats=win.summary.as_dict(),
            method={**last.method, confirm.KEY: tag},
        )
        return self.session.store.add(record)


class _Borrowed(Runner):
    """The session's runner, lent to a confirmation round without being closed after it."""

    def __init__(self, inner: Runner) -> None:
        self.inner = inner

    def measure(self, cand: Candidate) -> Outcome:
        return self.inner.measure(cand)
