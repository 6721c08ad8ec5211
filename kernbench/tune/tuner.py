"""Tuning one variant on one problem with Optuna, through the same pipeline as ``bench``.

The search space is static (every parameter suggested in every trial). Configs the static
check rejects are never launched: they are told to Optuna as infeasible and cost no budget.
Faults and wrong results are told as bad values, never good ones. A config proposed twice is
served from the store, and only unique evaluations count toward the budget.
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import optuna

from ..family import Family
from ..measure.outcome import Status
from ..pipeline import Session
from ..problem import Problem
from ..space import Config, config_key
from ..store.records import Record
from ..variant import Variant

PENALTY_S = 1e6
"""Objective value told for failures: far worse than any real time, still finite."""


def study_name(variant: Variant, problem: Problem, dtype: str, device_name: str) -> str:
    raw = f"{variant.family}/{variant.name}/{problem.key}/{dtype}/{device_name}"
    return re.sub(r"[^A-Za-z0-9_.,=/:+-]", "_", raw)


@dataclass
class TuneResult:
    study: str
    best: Record | None
    unique_evaluations: int
    rejected: int
    records: list[Record] = field(default_factory=list)
    stop_reason: str = ""


@dataclass
class Tuner:
    """Runs one study: ask a config, check and measure it (or reuse it), tell the result."""

    session: Session
    family: Family
    variant: Variant
    problem: Problem
    dtype: str
    storage: str
    study: str
    sampler: optuna.samplers.BaseSampler
    on_progress: Callable[[int, Record | None], None] | None = None

    def _study(self) -> optuna.Study:
        optuna.logging.set_verbosity(optuna.logging.WARNING)
        study = optuna.create_study(
            study_name=self.study, storage=self.storage, sampler=self.sampler,
            direction="minimize", load_if_exists=True,
        )
        for attr, value in (
            ("family", self.family.name), ("variant", self.variant.name),
            ("problem", self.problem.key), ("dtype", self.dtype), ("device", self.session.device.name),
        ):
            study.set_user_attr(attr, value)
        return study

    def _previous(self) -> dict[str, Record]:
        """Records of this variant/problem/dtype/device and source already in the store."""
        found: dict[str, Record] = {}
        for rec in self.session.store.query(
            family=self.family.name, variant=self.variant.name, problem=self.problem.key,
            dtype=self.dtype, device_name=self.session.device.name,
            source_hash=self.variant.source_hash(),
        ):
            if rec.status not in Status.NOT_LAUNCHED:
                found.setdefault(config_key(rec.config), rec)
        return found

    def _suggest(self, trial: optuna.Trial) -> Config:
        return {p.name: trial.suggest_categorical(p.name, list(p.values)) for p in self.variant.space.params}  # type: ignore[arg-type]

    def run(self, trials: int, timeout_s: float | None = None) -> TuneResult:
        study = self._study()
        seen = self._previous()
        evaluated_here: list[Record] = []
        rejected = 0
        known_configs = {config_key(t.params) for t in study.trials}
        for default in self.variant.default_configs():
            if self.variant.space.params and config_key(default) not in known_configs:
                study.enqueue_trial(default, skip_if_exists=True)
        valid = self.variant.space.size()
        start = time.monotonic()
        asks = 0
        stop_reason = f"{trials} unique evaluations done"
        while len(evaluated_here) < trials:
            if timeout_s is not None and time.monotonic() - start > timeout_s:
                stop_reason = f"time budget of {timeout_s:g}s spent"
                break
            if len(seen) >= valid:
                stop_reason = f"all {valid} valid configs evaluated"
                break
            asks += 1
            if asks > 50 * max(trials, 1) + 100:
                stop_reason = "the sampler keeps proposing evaluated configs"
                break
            trial = study.ask()
            config = self._suggest(trial)
            key = config_key(config)
            static = self.session.static_check(self.variant, self.problem, self.dtype, config)
            if not static.ok:
                rejected += 1
                trial.set_constraint("static_check", 1.0)
                trial.set_user_attr("status", Status.REJECTED)
                trial.set_user_attr("reason", static.reason)
                study.tell(trial, PENALTY_S)
                continue
            record = seen.get(key)
            fresh = record is None
            if record is None:
                record = self.session.evaluate(
                    self.family, self.variant, self.problem, self.dtype, config,
                    study=self.study, trial=trial.number,
                )
                seen[key] = record
                evaluated_here.append(record)
            ok = record.status == Status.OK and record.median_s is not None
            trial.set_constraint("runs_correctly", 0.0 if ok else 1.0)
            trial.set_user_attr("status", record.status)
            trial.set_user_attr("record_id", record.id)
            trial.set_user_attr("cached", not fresh)
            study.tell(trial, float(record.median_s) if ok else PENALTY_S)  # type: ignore[arg-type]
            if self.on_progress is not None and fresh:
                self.on_progress(len(evaluated_here), record)
        best = min(
            (r for r in seen.values() if r.status == Status.OK and r.median_s and math.isfinite(r.median_s)),
            key=lambda r: r.median_s or math.inf,
            default=None,
        )
        return TuneResult(self.study, best, len(evaluated_here), rejected, evaluated_here, stop_reason)
