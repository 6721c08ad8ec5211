"""The evaluator of a real tune: the pipeline measures, the store caches, claims share work.

The cache key is (variant, source hash, problem, dtype, device, config): any record of it
already in the store (from ``bench``, an earlier tune or another worker) is served instead
of measuring again.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import optuna

from ..family import Family
from ..measure.outcome import Status
from ..measure.run import STAGES_KEY
from ..pipeline import Session
from ..problem import Problem
from ..space import Config, config_key
from ..store.records import Record
from ..variant import Variant
from .ahead import CompileAhead
from .claims import DONE, Claims
from .core import Evaluation, Evaluator
from .timing import TimeBreakdown

WAIT_POLL_S = 0.2
IDLE_S = 1.0


def evaluation_of(record: Record, fresh: bool) -> Evaluation:
    median = record.median_s
    half = 0.0
    stats = record.stats
    if median is not None and stats.get("ci_low") is not None and stats.get("ci_high") is not None:
        half = (float(stats["ci_high"]) - float(stats["ci_low"])) / 2
    return Evaluation(record.status, median, half, fresh, record.id, record.message)


class MeasurementCache:
    """Launched records of one (variant, source, problem, dtype, device), by config."""

    def __init__(self, session: Session, variant: Variant, problem: Problem, dtype: str) -> None:
        self.session = session
        self.where = dict(
            family=variant.family,
            variant=variant.name,
            problem=problem.key,
            dtype=dtype,
            device_name=session.device.name,
            source_hash=variant.source_hash(),
        )
        self.records: dict[str, Record] = {}
        self.refresh()

    def refresh(self) -> None:
        for rec in self.session.store.query(**self.where):
            if rec.status not in Status.NOT_LAUNCHED:
                self.records.setdefault(config_key(rec.config), rec)

    def get(self, key: str) -> Record | None:
        return self.records.get(key)

    def by_id(self, record_id: int) -> Record | None:
        found = self.session.store.query(id=record_id)
        if found:
            self.records.setdefault(config_key(found[0].config), found[0])
        return found[0] if found else None

    def best(self) -> Record | None:
        self.refresh()
        ok = [r for r in self.records.values() if r.status == Status.OK and r.median_s]
        return min(ok, key=lambda r: r.median_s or 0.0, default=None)


class MeasuringEvaluator(Evaluator):
    """Static check, cache, claim, then measure through the session (one record each)."""

    def __init__(
        self,
        session: Session,
        family: Family,
        variant: Variant,
        problem: Problem,
        dtype: str,
        study: optuna.Study,
        claims: Claims,
    ) -> None:
        self.session, self.family, self.variant = session, family, variant
        self.problem, self.dtype, self.study, self.claims = problem, dtype, study, claims
        self.cache = MeasurementCache(session, variant, problem, dtype)
        self.on_record: Callable[[Record], None] | None = None
        self.timing = TimeBreakdown()
        self.ahead: CompileAhead | None = None

    def rejected(self, config: Config) -> str | None:
        static = self.ahead.take(config) if self.ahead is not None else None
        if static is None:
            static = self.session.static_check(self.variant, self.problem, self.dtype, config)
        return None if static.ok else static.reason

    def cached(self, config: Config) -> Evaluation | None:
        rec = self.cache.get(config_key(config))
        return evaluation_of(rec, fresh=False) if rec is not None else None

    def unique_count(self) -> int:
        return self.claims.count()

    def done_count(self) -> int:
        return self.claims.count(DONE)

    def idle(self) -> None:
        time.sleep(IDLE_S)

    def _trial_dead(self, number: int) -> bool:
        for t in self.study.get_trials(deepcopy=False):
            if t.number == number:
                return t.state != optuna.trial.TrialState.RUNNING
        return True

    def evaluate(self, config: Config, trial: optuna.Trial) -> Evaluation:
        key = config_key(config)
        while True:
            claim = self.claims.claim(key, trial.number, self._trial_dead)
            if claim.mine:
                break
            if claim.record_id is not None:
                rec = self.cache.by_id(claim.record_id)
                if rec is not None:
                    return evaluation_of(rec, fresh=False)
            time.sleep(WAIT_POLL_S)  # another worker is measuring it: wait for its record
        if claim.taken_over_from is not None:
            trial.set_user_attr("retry_of_trial", claim.taken_over_from)
            # The dead owner may have stored its record just before it died.
            done = self.session.store.query(
                study=self.study.study_name, trial=claim.taken_over_from
            )
            done = [r for r in done if config_key(r.config) == key]
            if done:
                self.claims.finish(key, done[0].id)
                return evaluation_of(done[0], fresh=False)
        began = time.perf_counter()
        try:
            record = self.session.evaluate(
                self.family,
                self.variant,
                self.problem,
                self.dtype,
                config,
                study=self.study.study_name,
                trial=trial.number,
            )
        except BaseException:
            self.claims.release(key)
            raise
        stages = record.method.get(STAGES_KEY, {})
        self.timing.add_all(stages)
        # the rest of the pipeline's call: the (cached) static check, the record, the write
        self.timing.add("store", time.perf_counter() - began - sum(stages.values()))
        self.claims.finish(key, record.id)
        self.cache.records[key] = record
        if self.on_record is not None:
            self.on_record(record)
        return evaluation_of(record, fresh=True)
