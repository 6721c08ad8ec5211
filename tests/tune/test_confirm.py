"""Winner confirmation: ties within the noise, clear winners, interleaved stored rounds."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

import kernbench
from kernbench import device as devices
from kernbench.measure.settings import MeasureSettings
from kernbench.measure.worker import ProcessRunner
from kernbench.pipeline import Session
from kernbench.registry import Registry
from kernbench.store import open_store
from kernbench.tune.confirm import ATTR, KEY, Contender, Standing, judge
from kernbench.tune.core import Budget
from kernbench.tune.timing import ATTR as TIME_ATTR
from kernbench.tune.tuner import Tuner

SLEEPY = "tests.tune.sleepy:PLUGIN"


def _noisy(true_s: float, n: int, seed: int, rel_noise: float = 0.05) -> list[float]:
    """Synthetic samples of a known median with multiplicative noise (statistics only)."""
    rng = random.Random(seed)
    return [true_s * (1 + rel_noise * rng.gauss(0, 1)) for _ in range(n)]


def test_two_configs_closer_than_their_noise_tie() -> None:
    a = Standing(Contender("v", {"x": 1}), _noisy(1.000e-3, 60, 1))
    b = Standing(Contender("v", {"x": 2}), _noisy(1.002e-3, 60, 2))
    verdict = judge([b, a], rounds=3)
    assert verdict.tie
    assert 0 < verdict.tie_within < 0.2
    assert "ties with" in verdict.sentence()


def test_a_gap_under_the_resolution_is_a_tie_even_with_tight_intervals() -> None:
    a = Standing(Contender("v", {"x": 1}), _noisy(1.000e-3, 60, 6, rel_noise=0.0005))
    b = Standing(Contender("v", {"x": 2}), _noisy(1.010e-3, 60, 7, rel_noise=0.0005))
    verdict = judge([b, a], rounds=3)
    assert a.summary is not None and b.summary is not None
    assert a.summary.ci_high < b.summary.ci_low  # the intervals alone would call a winner
    assert verdict.tie and verdict.winner is a


def test_two_configs_clearly_apart_rank_the_faster_first() -> None:
    slow = Standing(Contender("v", {"x": 1}), _noisy(1.3e-3, 60, 3))
    fast = Standing(Contender("v", {"x": 2}), _noisy(1.0e-3, 60, 4))
    base = Standing(Contender("base", {}, baseline=True), _noisy(0.5e-3, 60, 5))
    verdict = judge([slow, fast, base], rounds=3)
    assert not verdict.tie
    assert verdict.winner is fast  # a faster baseline is ranked, never the winner
    assert [s.contender.variant for s in verdict.ranking] == ["base", "v", "v"]
    assert "ahead of" in verdict.sentence()


def test_a_contender_that_fails_a_round_cannot_win() -> None:
    fast = Standing(Contender("v", {"x": 1}), _noisy(1e-3, 30, 6), failures=["round 1: crash"])
    slow = Standing(Contender("v", {"x": 2}), _noisy(2e-3, 30, 7))
    assert judge([fast, slow], rounds=3).winner is slow


@pytest.fixture
def sleepy_session(tmp_path: Path) -> Session:
    device = devices.activate("cpu")
    registry = Registry.discover()
    registry.add_reference(SLEEPY)
    settings = MeasureSettings(
        min_samples=5,
        min_time_s=0.15,
        max_time_s=0.6,
        target_rel_ci=0.01,
        warmup_min_s=0.01,
        warmup_max_s=0.1,
        timeout_s=60,
    )
    store = open_store(tmp_path)
    return Session(registry, device, store, ProcessRunner(device, settings, [SLEEPY]), settings)


def test_tune_confirms_in_interleaved_rounds_and_best_config_gives_the_winner(
    sleepy_session: Session, tmp_path: Path
) -> None:
    session = sleepy_session
    registry = session.registry
    family = registry.family("toy")
    problem = family.parse("n=256")
    tuner = Tuner(
        session,
        family,
        registry.variant("toy_sleepy"),
        problem,
        "fp32",
        f"sqlite:///{tmp_path / 'kernbench.sqlite3'}",
        "confirm-test",
        "bruteforce",
        confirm_top=4,
        baselines=[registry.variant("toy_torch")],
        fresh_runner=lambda s: ProcessRunner(session.device, s, [SLEEPY]),
        jobs=1,
    )
    with session.runner:
        result = tuner.run(Budget(trials=4))
    verdict = result.verdict
    assert verdict is not None and verdict.winner is not None
    assert verdict.winner.contender.config["delay_ms"] == 2
    second = verdict.runner_up()
    assert second is not None and second.contender.config["delay_ms"] == 2
    assert verdict.tie, verdict.sentence()  # the two 2 ms twins differ only by noise
    slow = [s for s in verdict.ranking if s.contender.config.get("delay_ms") == 8]
    assert len(slow) == 2 and all(s.summary is not None for s in slow)
    assert verdict.winner.summary is not None
    assert all(verdict.winner.summary.ci_high < s.summary.ci_low for s in slow)  # type: ignore[union-attr]

    rounds = [r for r in session.store.query(study="confirm-test") if KEY in r.method]
    tagged = [r for r in rounds if r.method[KEY]["kind"] == "round"]
    assert len(tagged) == 3 * 5  # 4 configs and the baseline, 3 rounds
    by_time = sorted(tagged, key=lambda r: r.method[KEY]["started"])
    order = [(r.method[KEY]["round"], r.method[KEY]["slot"]) for r in by_time]
    assert order == [(r, s) for r in range(3) for s in range(5)]  # five slots a round, in turn
    labels = [(r.variant, str(r.config)) for r in by_time]
    first = labels[:5]
    assert len(set(first)) == 5  # every contender once a round, the start rotated each round:
    assert labels[5:10] == first[1:] + first[:1]  # A B C D E, B C D E A, C D E A B
    assert labels[10:] == first[2:] + first[:2]

    from optuna import load_study

    study = load_study(study_name="confirm-test", storage=tuner.storage_url)
    ahead = [t for t in study.trials if t.user_attrs.get("queued") == "ahead"]
    assert ahead and all(t.user_attrs.get("fresh") for t in ahead), "compile-ahead fed the tune"
    assert study.user_attrs[ATTR]["winner"] == verdict.winner.contender.config
    breakdown = study.user_attrs[TIME_ATTR]
    assert breakdown["trials"] == 4 and breakdown["stages"]["confirm"] > 0
    assert breakdown["stages"]["samples"] > 0 and breakdown["stages"]["worker_start"] > 0
    assert abs(sum(breakdown["stages"].values()) - breakdown["wall_s"]) < 1e-6

    best = kernbench.best_config("toy_sleepy", problem, store=session.store)
    assert best == verdict.winner.contender.config


def test_rounds_that_disagree_more_than_their_samples_make_a_tie() -> None:
    def rounds(medians: list[float], seed: int) -> Standing:
        by_round = [_noisy(m, 40, seed + i, rel_noise=0.001) for i, m in enumerate(medians)]
        return Standing(
            Contender("v", {"seed": seed}), [x for r in by_round for x in r], by_round=by_round
        )

    a = rounds([1.000e-3, 1.020e-3, 0.990e-3], 10)
    b = rounds([1.008e-3, 0.995e-3, 1.025e-3], 20)
    verdict = judge([a, b], rounds=3)
    assert verdict.tie, "round-to-round drift is noise, not a gap between the two"
