"""Search efficiency of samplers, measured by replaying recorded spaces (``tune-eval``).

For each space, sampler and seed the tuning loop runs exactly as ``tune`` does, with the
space file as the objective. Reported per sampler and space:

* the median (over seeds) unique evaluations needed to reach within 2% of the optimum;
* the score at a budget of M unique evaluations, (best found - R) / (optimum - R), where R
  is the expected best of M random draws without replacement, computed exactly from order
  statistics (AutoTuningAssociation/autotuning_methodology): 1 = found the optimum, 0 = no
  better than random search, below 0 = worse.

Failed configs count as the slowest correct time (a search that finds only failures after
M draws found nothing useful).
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import optuna

from ..space import Config, config_key
from ..variant import Variant
from .core import Budget, Evaluation, Evaluator, Loop
from .samplers import make_sampler
from .searchspace import SearchSpace
from .spacefile import SpaceFile

WITHIN = 0.02


class SpaceEvaluator(Evaluator):
    """A space file as an in-memory objective; counts unique evaluations."""

    def __init__(self, space: SpaceFile, variant: Variant) -> None:
        self.space = space
        self.variant = variant
        self.seen: dict[str, Evaluation] = {}

    def rejected(self, config: Config) -> str | None:
        return self.variant.space.violated(config) or self.space.rejection(config)

    def cached(self, config: Config) -> Evaluation | None:
        return self.seen.get(config_key(config))

    def evaluate(self, config: Config, trial: optuna.Trial) -> Evaluation:
        entry = self.space.entry(config)
        if entry is None:
            ev = Evaluation("skipped", fresh=True, message="not in the recorded space")
        else:
            st = entry.stats
            half = (
                (float(st["ci_high"]) - float(st["ci_low"])) / 2
                if "ci_high" in st and "ci_low" in st
                else 0.0
            )
            ev = Evaluation(entry.status, entry.median_s, half, fresh=True)
        self.seen[config_key(config)] = Evaluation(ev.status, ev.median_s, ev.ci_halfwidth_s, False)
        return ev

    def unique_count(self) -> int:
        return len(self.seen)


def valid_values(space: SpaceFile) -> list[float]:
    """Every launched config's time (failures as the slowest correct time), sorted."""
    times = space.ok_times()
    worst = max(times)
    return sorted(e.median_s if e.median_s is not None else worst for e in space.entries)


def expected_random_best(sorted_values: Sequence[float], m: int) -> float:
    """E[min of m draws without replacement] = sum_i v_i C(n-i, m-1) / C(n, m) (1-based i)."""
    n = len(sorted_values)
    if not 1 <= m <= n:
        raise ValueError(f"cannot draw {m} of {n}")
    total = math.comb(n, m)
    return sum(
        v * (math.comb(n - i, m - 1) / total)
        for i, v in enumerate(sorted_values, start=1)
        if n - i >= m - 1
    )


def score(best: float, optimum: float, random_best: float) -> float:
    if random_best <= optimum:
        return 1.0 if best <= optimum else 0.0
    return (random_best - best) / (random_best - optimum)


@dataclass
class RunTrace:
    """One sampler run: the best time after each unique evaluation."""

    seed: int
    best_after: list[float]

    def evals_to_reach(self, target: float) -> float:
        for i, b in enumerate(self.best_after, start=1):
            if b <= target:
                return float(i)
        return math.inf

    def best_at(self, m: int) -> float:
        return self.best_after[min(m, len(self.best_after)) - 1] if self.best_after else math.inf


def run_once(
    space: SpaceFile,
    variant: Variant,
    sampler: str,
    seed: int,
    max_evals: int,
    target: float | None = None,
    budget: int = 0,
) -> RunTrace:
    """Tune over the replayed space until ``max_evals`` (or the target reached after ``budget``)."""
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    search = SearchSpace(variant.space)
    evaluator = SpaceEvaluator(space, variant)
    worst = max(space.ok_times())
    trace: list[float] = []

    def on_fresh(ev: Evaluation, _config: Config) -> None:
        t = ev.median_s if ev.ok and ev.median_s is not None else worst
        trace.append(min(t, trace[-1]) if trace else t)

    def reached(_fresh: list[Evaluation]) -> str | None:
        if target is not None and trace and trace[-1] <= target and len(trace) >= budget:
            return "target reached"
        return None

    loop = Loop(
        search,
        evaluator,
        Budget(trials=max_evals, valid_size=variant.space.size(), stop_when=reached),
        on_fresh=on_fresh,
        seed=seed,
    )
    study = optuna.create_study(direction="minimize", sampler=make_sampler(sampler, seed))
    loop.run(study)
    return RunTrace(seed, trace)


@dataclass
class SamplerResult:
    space: str
    sampler: str
    seeds: int
    valid_configs: int
    budget: int
    median_evals_to_within: float
    median_fraction_to_within: float
    reached: int
    mean_score: float
    median_score: float
    scores: list[float] = field(default_factory=list)
    evals_to_within: list[float] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        for k in ("median_evals_to_within", "median_fraction_to_within"):
            out[k] = None if math.isinf(out[k]) else out[k]
        out["evals_to_within"] = [None if math.isinf(v) else v for v in self.evals_to_within]
        return out


def evaluate_sampler(
    space: SpaceFile,
    variant: Variant,
    sampler: str,
    seeds: int,
    budget_fraction: float,
    max_fraction: float,
) -> SamplerResult:
    values = valid_values(space)
    n = len(values)
    opt = values[0]
    budget = max(1, math.ceil(budget_fraction * n))
    cap = max(budget, math.ceil(max_fraction * n))
    rnd = expected_random_best(values, budget)
    target = opt * (1 + WITHIN)
    traces = [run_once(space, variant, sampler, s, cap, target, budget) for s in range(seeds)]
    reach = [t.evals_to_reach(target) for t in traces]
    scores = [score(t.best_at(budget), opt, rnd) for t in traces]
    med = statistics.median(reach)
    return SamplerResult(
        space=f"{space.variant} {space.problem} {space.dtype} on {space.device_name}",
        sampler=sampler,
        seeds=seeds,
        valid_configs=n,
        budget=budget,
        median_evals_to_within=med,
        median_fraction_to_within=med / n,
        reached=sum(1 for r in reach if math.isfinite(r)),
        mean_score=statistics.fmean(scores),
        median_score=statistics.median(scores),
        scores=scores,
        evals_to_within=reach,
    )
