"""Winner confirmation: the top configs and the baselines measured again, interleaved.

A tune ranks configs measured minutes apart, each once; noise and drift can crown the wrong
one. So at the end the top K configs and the baselines are measured again, in rounds, each
round in a fresh worker process, round-robin with the start rotated (A B C, B C A, C A B)
so that drift and a place in the round hit every contender alike. Each contender's samples of every round are pooled and summarised with the
median's confidence interval (:mod:`kernbench.measure.stats`), widened to take in every
round's median, since rounds vary more than samples within one. The fastest tuned config is
the confirmed winner; when its interval overlaps the runner-up's, or their medians are
closer than ``RESOLUTION`` (2%), the two tie within X%, X being the largest difference the
intervals allow.

Each round's measurement is stored as a record whose ``method["confirm"]`` keeps its round,
its slot in the round and when it started; the winner's pooled samples are stored as one
more record (``kind: verdict``), which ``export`` and ``best_config()`` prefer.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from ..measure.outcome import Outcome, Status
from ..measure.run import Candidate
from ..measure.runner import Runner
from ..measure.stats import Summary, summarize
from ..space import Config
from ..store.records import Record

KEY = "confirm"
"""Where a record's ``method`` keeps its part in a confirmation."""
ATTR = "kernbench_confirmation"
"""The study user attribute holding the latest verdict."""

DEFAULT_TOP = 5
ROUNDS = 3
RESOLUTION = 0.02
"""Medians closer than this tie whatever their intervals say: with three rounds, two identical
configs have their round medians fall wholly apart one time in ten (2 of the 20 orders), and
2% is the reproducibility between processes that the GPU validation asks of a bench."""


@dataclass(frozen=True)
class Contender:
    """One thing to confirm: a tuned config, or a baseline (never the winner)."""

    variant: str
    config: Config
    baseline: bool = False

    @property
    def label(self) -> str:
        if not self.config:
            return self.variant
        return f"{self.variant} " + ",".join(f"{k}={v}" for k, v in sorted(self.config.items()))


@dataclass
class Standing:
    """A contender's pooled result over every round."""

    contender: Contender
    samples: list[float] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    summary: Summary | None = None
    records: list[Record] = field(default_factory=list)
    by_round: list[list[float]] = field(default_factory=list)
    """The samples of each round (the pooled ``samples`` are these, concatenated)."""

    @property
    def ok(self) -> bool:
        return self.summary is not None and not self.failures


@dataclass
class Verdict:
    """The ranking (correct contenders fastest first, then failed ones) and the call on the top two."""

    ranking: list[Standing]
    rounds: int
    tie: bool = False
    tie_within: float = 0.0
    """With a tie: the largest relative difference of the top two medians the intervals allow."""

    @property
    def winner(self) -> Standing | None:
        return next((s for s in self.ranking if s.ok and not s.contender.baseline), None)

    def runner_up(self) -> Standing | None:
        tuned = [s for s in self.ranking if s.ok and not s.contender.baseline]
        return tuned[1] if len(tuned) > 1 else None

    def sentence(self) -> str:
        win = self.winner
        if win is None:
            return "confirmation: no tuned config ran correctly again"
        second = self.runner_up()
        head = f"confirmed winner {win.contender.label} over {self.rounds} interleaved rounds"
        if second is None:
            return head
        if self.tie:
            return f"{head}; it ties with {second.contender.label} within {self.tie_within:.1%}"
        assert win.summary is not None and second.summary is not None
        gap = second.summary.median / win.summary.median - 1
        return f"{head}; {gap:.1%} ahead of {second.contender.label} (intervals apart)"

    def as_attr(self) -> dict[str, Any]:
        win = self.winner
        return {
            "rounds": self.rounds,
            "winner": None if win is None else win.contender.config,
            "tie": self.tie,
            "tie_within": self.tie_within,
            "sentence": self.sentence(),
            "ranking": [
                {
                    "variant": s.contender.variant,
                    "config": s.contender.config,
                    "baseline": s.contender.baseline,
                    "median_s": s.summary.median if s.summary else None,
                    "ci_low": s.summary.ci_low if s.summary else None,
                    "ci_high": s.summary.ci_high if s.summary else None,
                    "n": s.summary.n if s.summary else 0,
                    "failures": s.failures,
                }
                for s in self.ranking
            ],
        }


def _summary(standing: Standing, confidence: float) -> Summary:
    """The pooled samples' summary, its interval widened to cover every round's median.

    Samples within one round share a process and a moment, so they vary less than rounds
    do; an interval from the pooled samples alone would call round-to-round noise a gap.
    """
    pooled = summarize(standing.samples, confidence)
    medians = [float(np.median(r)) for r in standing.by_round if r]
    if not medians:
        return pooled
    return replace(
        pooled, ci_low=min(pooled.ci_low, *medians), ci_high=max(pooled.ci_high, *medians)
    )


def judge(standings: Sequence[Standing], rounds: int, confidence: float = 0.95) -> Verdict:
    """Summarise each contender's pooled samples, rank them and decide whether the top two tie."""
    for s in standings:
        s.summary = _summary(s, confidence) if s.samples and not s.failures else None
    ranked = sorted(standings, key=lambda s: (not s.ok, s.summary.median if s.summary else 0.0))
    verdict = Verdict(ranked, rounds)
    win, second = verdict.winner, verdict.runner_up()
    if win is not None and second is not None:
        a, b = win.summary, second.summary
        assert a is not None and b is not None
        if a.ci_high >= b.ci_low or b.median / a.median - 1 < RESOLUTION:
            verdict.tie = True
            verdict.tie_within = max(b.ci_high / a.ci_low - 1, a.ci_high / b.ci_low - 1, 0.0)
    return verdict


class Tagged(Runner):
    """Passes candidates to a runner and tags each outcome with its round and slot."""

    def __init__(self, inner: Runner) -> None:
        self.inner = inner
        self.tag: dict[str, Any] = {}

    def measure(self, cand: Candidate) -> Outcome:
        started = time.time()
        outcome = self.inner.measure(cand)
        outcome.method[KEY] = {**self.tag, "kind": "round", "started": started}
        return outcome

    def close(self) -> None:
        self.inner.close()


Measure = Callable[[Runner, Contender], Record]
"""Measures one contender through the given runner and stores it; returns the record."""


def run_rounds(
    contenders: Sequence[Contender],
    fresh_runner: Callable[[], Runner],
    measure: Measure,
    rounds: int = ROUNDS,
    confidence: float = 0.95,
) -> Verdict:
    """Measure every contender once per round, each round in a fresh runner.

    Round r starts at contender r (A B C, B C A, C A B): drift within a round and a place's
    own effect (the first measurement in a fresh worker, say) fall on every contender alike
    instead of always favouring the one measured first.
    """
    standings = [Standing(c) for c in contenders]
    for r in range(rounds):
        start = r % len(standings) if standings else 0
        order = standings[start:] + standings[:start]
        with Tagged(fresh_runner()) as runner:
            assert isinstance(runner, Tagged)
            for slot, standing in enumerate(order):
                runner.tag = {"round": r, "slot": slot, "rounds": rounds}
                rec = measure(runner, standing.contender)
                standing.records.append(rec)
                if rec.status == Status.OK and rec.samples:
                    left_out = set(rec.throttled)
                    kept = [s for i, s in enumerate(rec.samples) if i not in left_out]
                    standing.by_round.append(kept)
                    standing.samples.extend(kept)
                else:
                    standing.failures.append(f"round {r}: {rec.status} {rec.message}".strip())
    return judge(standings, rounds, confidence)
