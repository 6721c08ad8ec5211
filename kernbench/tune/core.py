"""The tuning loop shared by ``tune``, replays and ``tune-eval``.

It runs through ``study.optimize`` (not ask/tell) because Optuna's heartbeats, which fail a
dead worker's trial and retry it, only work there. Budgets are callbacks that stop the
study. Every trial suggests every parameter; the evaluator then decides what happens:

* statically rejected: never launched, told as infeasible, no budget used;
* served from the cache (proposed before, or measured by another worker): no budget used;
* measured: one unique evaluation; failures are told as bad (a finite penalty above the
  worst time seen, plus a violated constraint), never as good.

The objective is ln(median seconds): timings are multiplicative, TPE only ranks values,
and GP fits a log scale far better.
"""

from __future__ import annotations

import math
import random
import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field

import optuna
from optuna.trial import FrozenTrial

from ..measure.outcome import Status
from ..space import Config, config_key
from .searchspace import SearchSpace
from .timing import TimeBreakdown

DUPLICATE_STREAK = 3
"""After this many proposals in a row that were all seen before, an unseen config is queued:
model-based samplers re-propose their incumbent in discrete spaces (optuna #2021, #5440)."""

PENALTY_FACTOR = 4.0
"""A failure is told as this many times slower than the slowest correct config seen."""


@dataclass(frozen=True)
class Evaluation:
    """What a config gave: status, median and CI half-width (seconds), and whether it was new."""

    status: str
    median_s: float | None = None
    ci_halfwidth_s: float = 0.0
    fresh: bool = False
    record_id: int | None = None
    message: str = ""

    @property
    def ok(self) -> bool:
        return self.status == Status.OK and self.median_s is not None and self.median_s > 0


class BudgetSpent(Exception):
    """Raised instead of measuring once the study's unique evaluations reach ``--trials``."""


class Evaluator(ABC):
    """Gives the outcome of configs: measured, replayed or cached."""

    @abstractmethod
    def rejected(self, config: Config) -> str | None:
        """Why the static check rejects ``config`` (never launched), or None."""

    @abstractmethod
    def cached(self, config: Config) -> Evaluation | None:
        """The known outcome of ``config`` without measuring, or None."""

    @abstractmethod
    def evaluate(self, config: Config, trial: optuna.Trial) -> Evaluation:
        """Measure ``config`` (or wait for another worker measuring it)."""

    @abstractmethod
    def unique_count(self) -> int:
        """Unique evaluations of the study so far, finished or under way (all workers, all runs)."""

    def done_count(self) -> int:
        """Unique evaluations finished."""
        return self.unique_count()

    def idle(self) -> None:  # noqa: B027 - optional hook
        """Pause before giving up a trial: other workers' evaluations may finish or die."""


@dataclass
class Budget:
    """When to stop: unique evaluations, wall time, patience, or an extra condition."""

    trials: int | None = None
    timeout_s: float | None = None
    patience: int | None = None
    """Stop after this many unique evaluations without beating the best by more than its CI."""
    valid_size: int | None = None
    stop_when: Callable[[list[Evaluation]], str | None] | None = None


def set_constraints(trial: optuna.Trial, rejected: bool, failed: bool) -> None:
    """Tell Optuna's constraint mechanism (``set_constraint`` since Optuna 5)."""
    setter = getattr(trial, "set_constraint", None)
    if setter is not None:
        setter("static_check", 1.0 if rejected else 0.0)
        setter("runs_correctly", 1.0 if failed else 0.0)
    trial.set_user_attr("feasible", not (rejected or failed))


@dataclass
class Loop:
    """One process's part of a study: the objective, the budget callback and what it saw."""

    search: SearchSpace
    evaluator: Evaluator
    budget: Budget
    on_fresh: Callable[[Evaluation, Config], None] | None = None
    fresh: list[Evaluation] = field(default_factory=list)
    rejected: dict[str, str] = field(default_factory=dict)
    known: set[str] = field(default_factory=set)
    worst_log: float | None = None
    stop_reason: str = ""
    trials_run: int = 0
    seed: int = 0
    streak: int = 0
    timing: TimeBreakdown = field(default_factory=TimeBreakdown)
    before_measure: Callable[[optuna.Study], None] | None = None
    """Called when a config is about to be measured (compile-ahead proposes the next ones)."""
    _start: float = field(default_factory=time.monotonic)
    _idle_since: float = field(default_factory=time.perf_counter)

    def _unseen(self, study: optuna.Study) -> None:
        """Queue a random valid config this process has not seen yet (if one is found)."""
        rng = random.Random(self.seed * 1_000_003 + self.trials_run)
        space = self.search.space
        for _ in range(1000):
            config = {p.name: rng.choice(p.values) for p in space.params}
            key = config_key(config)
            if key not in self.known and key not in self.rejected and space.is_valid(config):
                study.enqueue_trial(self.search.to_params(config), user_attrs={"queued": "unseen"})
                return

    def _penalty(self) -> float:
        return (self.worst_log if self.worst_log is not None else 0.0) + math.log(PENALTY_FACTOR)

    def _note(self, ev: Evaluation) -> float:
        if not ev.ok:
            return self._penalty()
        value = math.log(ev.median_s)  # type: ignore[arg-type]
        self.worst_log = value if self.worst_log is None else max(self.worst_log, value)
        return value

    def _saw(self, config: Config, key: str) -> None:
        if self.search.space.is_valid(config):  # product points outside the space don't count
            self.known.add(key)

    def objective(self, trial: optuna.Trial) -> float:
        config = self.search.suggest(trial)
        # from the end of the last trial to here: Optuna asks the sampler and writes the trial
        self.timing.add("sampler", time.perf_counter() - self._idle_since)
        key = config_key(config)
        trial.set_user_attr("config", config)
        with self.timing.stage("static_check"):
            reason = self.rejected.get(key) or self.evaluator.rejected(config)
        if reason:
            self.rejected[key] = reason
            self._saw(config, key)
            set_constraints(trial, rejected=True, failed=False)
            trial.set_user_attr("status", Status.REJECTED)
            trial.set_user_attr("reason", reason[:300])
            return self._penalty()
        ev = self.evaluator.cached(config)
        if ev is None:
            if (
                self.budget.trials is not None
                and self.evaluator.unique_count() >= self.budget.trials
            ):
                trial.set_user_attr("status", "budget_spent")
                self.evaluator.idle()
                raise BudgetSpent(f"{self.budget.trials} unique evaluations reached")
            if self.before_measure is not None:
                with self.timing.stage("sampler"):
                    self.before_measure(trial.study)
            ev = self.evaluator.evaluate(config, trial)
        self._saw(config, key)
        self.streak = 0 if ev.fresh else self.streak + 1
        if self.streak >= DUPLICATE_STREAK:
            self.streak = 0
            self._unseen(trial.study)
        if ev.fresh:
            self.fresh.append(ev)
            self.timing.trials += 1
            if self.on_fresh is not None:
                self.on_fresh(ev, config)
        set_constraints(trial, rejected=False, failed=not ev.ok)
        trial.set_user_attr("status", ev.status)
        trial.set_user_attr("fresh", ev.fresh)
        if ev.median_s is not None:
            trial.set_user_attr("median_s", ev.median_s)
            trial.set_user_attr("ci_halfwidth_s", ev.ci_halfwidth_s)
        if ev.record_id is not None:
            trial.set_user_attr("record_id", ev.record_id)
        return self._note(ev)

    def callback(self, study: optuna.Study, trial: FrozenTrial) -> None:
        self.trials_run += 1
        reason = self.should_stop()
        if reason:
            self.stop_reason = self.stop_reason or reason
            study.stop()
        self._idle_since = time.perf_counter()

    def should_stop(self) -> str | None:
        b = self.budget
        if b.trials is not None and self.evaluator.done_count() >= b.trials:
            return f"{b.trials} unique evaluations done"
        if b.timeout_s is not None and time.monotonic() - self._start >= b.timeout_s:
            return f"time budget of {b.timeout_s:g}s spent"
        if b.valid_size is not None and len(self.known) >= b.valid_size:
            return f"all {b.valid_size} configs of the space seen"
        if b.patience is not None and stalled(self.fresh, b.patience):
            return f"no improvement beyond the noise in {b.patience} unique evaluations"
        if b.stop_when is not None:
            why = b.stop_when(self.fresh)
            if why:
                return why
        cap = 50 * max(b.trials or 0, len(self.fresh), 1) + 200
        if self.trials_run >= cap:
            return "the sampler keeps proposing configs already seen"
        return None

    def run(self, study: optuna.Study) -> str:
        """Optimize until a budget stops the study; returns why it stopped."""
        self._start = time.monotonic()
        self._idle_since = time.perf_counter()
        if self.should_stop() is None:
            study.optimize(
                self.objective,
                timeout=self.budget.timeout_s,
                callbacks=[self.callback],
                catch=(BudgetSpent,),
                gc_after_trial=False,
                show_progress_bar=False,
            )
        return self.stop_reason or self.should_stop() or "the sampler stopped (space exhausted)"


def stalled(fresh: list[Evaluation], patience: int) -> bool:
    """True when the last ``patience`` evaluations never beat the best by more than its CI."""
    best: Evaluation | None = None
    since = 0
    for ev in fresh:
        since += 1
        if not ev.ok:
            continue
        if best is None or ev.median_s < best.median_s - best.ci_halfwidth_s:  # type: ignore[operator]
            best, since = ev, 0
        elif ev.median_s < best.median_s:  # type: ignore[operator]
            best = ev  # better, but within the noise: the clock keeps running
    return since >= patience
