"""Regression gating: match two sets of records and judge each pair on its raw samples.

A fixed percentage on two medians fires on noise; two runs of the same kernel differ by a
few percent. Each pair therefore gets the ratio of medians (candidate / baseline) with a
bootstrap confidence interval and a Mann-Whitney U test, and counts as slower only when the
change is significant (p < alpha, 0.002 as in asv) *and* the whole interval lies beyond the
threshold. An interval that straddles the threshold is "noisy": it cannot fail the gate,
and the advice is to measure longer. A pair with too few samples for the U test ever to reach
alpha is "undecided" and fails the gate: a gate that cannot see a slow-down must not pass.
"""

from __future__ import annotations

import inspect
import math
import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..config import GateConfig
from ..device import Device
from ..errors import UsageError
from ..measure.settings import can_decide, min_samples_to_decide
from ..space import config_key
from ..store.records import Record
from . import counted

MATCH_MODES = ("config", "best")
MAX_BOOTSTRAP_SAMPLES = 20_000
"""Bootstrap at most this many samples per side (a random subset: the CI only widens)."""
ADVICE = "too noisy to tell: measure longer (raise --max-time or lower --target-noise)"


class Verdict:
    FASTER = "faster"
    SLOWER = "slower"
    UNCHANGED = "unchanged"
    NOISY = "noisy"
    UNDECIDED = "undecided"
    WORSE = "worse"
    """Emulated records: a counted metric moved the wrong way beyond its tolerance."""
    BETTER = "better"


@dataclass(frozen=True)
class PairStats:
    """Ratio of medians (candidate / baseline: above 1 is slower), its CI and the U test's p."""

    base_median: float
    cand_median: float
    ratio: float
    ci_low: float
    ci_high: float
    p_value: float
    n_base: int
    n_cand: int


@dataclass
class Pair:
    baseline: Record
    candidate: Record
    threshold: float
    verdict: str
    stats: PairStats | None
    note: str = ""
    counted: list[Any] = field(default_factory=list)
    """Emulated pairs: the counted metrics that moved (:class:`.counted.Change`)."""

    @property
    def gpu(self) -> bool:
        return self.baseline.timing_kind == "gpu" and self.candidate.timing_kind == "gpu"


@dataclass
class Unmatched:
    record: Record
    note: str = ""


@dataclass
class Comparison:
    pairs: list[Pair] = field(default_factory=list)
    only_baseline: list[Unmatched] = field(default_factory=list)
    only_candidate: list[Unmatched] = field(default_factory=list)
    gate: GateConfig = field(default_factory=GateConfig)
    confidence: float = 0.99
    mode: str = "config"

    @property
    def regressions(self) -> list[Pair]:
        return [p for p in self.pairs if p.verdict in (Verdict.SLOWER, Verdict.WORSE)]

    @property
    def undecided(self) -> list[Pair]:
        return [p for p in self.pairs if p.verdict == Verdict.UNDECIDED]

    @property
    def exit_code(self) -> int:
        """1 when any pair is slower beyond its threshold with significance, or has too few
        samples for the test to ever say so; else 0."""
        return 1 if self.regressions or self.undecided else 0

    def counts(self) -> dict[str, int]:
        verdicts = (
            Verdict.SLOWER,
            Verdict.FASTER,
            Verdict.UNCHANGED,
            Verdict.NOISY,
            Verdict.UNDECIDED,
        )
        out = {v: sum(p.verdict == v for p in self.pairs) for v in verdicts}
        for v in (Verdict.WORSE, Verdict.BETTER):
            if any(p.verdict == v for p in self.pairs):
                out[v] = sum(p.verdict == v for p in self.pairs)
        return out

    @property
    def gpu_performance(self) -> bool:
        """False when any listed timing is not a GPU timing (CPU device, plain pytest timers)."""
        kinds = [r.timing_kind for p in self.pairs for r in (p.baseline, p.candidate)]
        kinds += [u.record.timing_kind for u in (*self.only_baseline, *self.only_candidate)]
        return bool(kinds) and all(k == "gpu" for k in kinds)


def kept_samples(record: Record) -> list[float]:
    """The raw samples the statistics use: those taken under the clock threshold are left out."""
    dropped = set(record.throttled)
    return [s for i, s in enumerate(record.samples) if i not in dropped]


def device_identity(record: Record) -> str:
    """GPU model and driver (see :meth:`kernbench.device.Device.identity`)."""
    info = record.device
    return Device(
        kind=str(info.get("kind", "")),
        name=str(info.get("name", "")),
        driver=str(info.get("driver", "")),
    ).identity()


def _rng_kwargs(seed: int) -> dict[str, object]:
    """scipy 1.15 renamed ``random_state`` to ``rng``; accept both."""
    from scipy import stats as sps

    name = "rng" if "rng" in inspect.signature(sps.bootstrap).parameters else "random_state"
    return {name: np.random.default_rng(seed)}


def _median_ratio(base: np.ndarray, cand: np.ndarray, axis: int = -1) -> np.ndarray:
    return np.asarray(np.median(cand, axis=axis) / np.median(base, axis=axis))


def pair_stats(
    base: Sequence[float], cand: Sequence[float], confidence: float = 0.99, seed: int = 0
) -> PairStats:
    """Ratio of medians with a percentile-bootstrap CI, and the two-sided Mann-Whitney U p-value."""
    from scipy import stats as sps  # here, not at import: every CLI command imports this module

    b = np.asarray(base, dtype=np.float64)
    c = np.asarray(cand, dtype=np.float64)
    rng = np.random.default_rng(seed)
    boot_b = (
        rng.choice(b, MAX_BOOTSTRAP_SAMPLES, replace=False) if b.size > MAX_BOOTSTRAP_SAMPLES else b
    )
    boot_c = (
        rng.choice(c, MAX_BOOTSTRAP_SAMPLES, replace=False) if c.size > MAX_BOOTSTRAP_SAMPLES else c
    )
    ratio = float(_median_ratio(b, c))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # identical samples make a degenerate (but valid) bootstrap
        result = sps.bootstrap(
            (boot_b, boot_c),
            _median_ratio,
            vectorized=True,
            paired=False,
            axis=-1,
            n_resamples=2000,
            batch=200,
            confidence_level=confidence,
            method="percentile",
            **_rng_kwargs(seed),
        )
        p_value = float(sps.mannwhitneyu(b, c, alternative="two-sided").pvalue)
    low, high = float(result.confidence_interval.low), float(result.confidence_interval.high)
    if not (math.isfinite(low) and math.isfinite(high)):
        low = high = ratio
    return PairStats(
        base_median=float(np.median(b)),
        cand_median=float(np.median(c)),
        ratio=ratio,
        ci_low=min(low, ratio),
        ci_high=max(high, ratio),
        p_value=p_value if math.isfinite(p_value) else 1.0,
        n_base=int(b.size),
        n_cand=int(c.size),
    )


def verdict(st: PairStats, threshold: float, alpha: float) -> tuple[str, str]:
    """Judge one pair; the band of "no change" is [1/(1+t), 1+t] on the ratio."""
    slow_edge, fast_edge = 1 + threshold, 1 / (1 + threshold)
    if fast_edge <= st.ci_low and st.ci_high <= slow_edge:
        return Verdict.UNCHANGED, ""
    significant = st.p_value < alpha
    if significant and st.ci_low > slow_edge:
        return Verdict.SLOWER, f"whole CI beyond +{threshold:.0%}"
    if significant and st.ci_high < fast_edge:
        return Verdict.FASTER, f"whole CI beyond -{1 - fast_edge:.1%}"
    if significant:
        return Verdict.NOISY, f"significant, but the CI straddles the {threshold:.0%} threshold"
    return Verdict.NOISY, "too noisy to tell"


def _identity(record: Record, mode: str) -> tuple[str, ...]:
    base = (record.family, record.variant, record.problem, record.dtype)
    return base if mode == "best" else (*base, config_key(record.config))


def select(
    records: Iterable[Record], mode: str
) -> tuple[dict[tuple[str, ...], Record], dict[tuple[str, ...], Record]]:
    """The ok record and the failed one of each key, from the latest record of each config.

    A config whose latest record failed counts as failed even when an older run of it was
    ok: a store that accumulates runs must not hide a kernel that broke. In ``best`` mode
    the key leaves the config out and the fastest ok config stands for it.
    """
    latest: dict[tuple[str, ...], Record] = {}
    for rec in records:
        latest[_identity(rec, "config")] = rec
    ok: dict[tuple[str, ...], Record] = {}
    failed: dict[tuple[str, ...], Record] = {}
    for rec in latest.values():
        key = _identity(rec, mode)
        if rec.status != "ok" or rec.median_s is None:
            failed[key] = rec
        elif key not in ok or (rec.median_s or math.inf) < (ok[key].median_s or math.inf):
            ok[key] = rec
    return ok, failed


def _check_devices(base: Record, cand: Record, force: bool) -> str:
    a, b = device_identity(base), device_identity(cand)
    if a == b:
        return ""
    why = f"baseline measured on {a!r}, candidate on {b!r}: timings from different GPUs or drivers are not comparable"
    if not force:
        raise UsageError(f"{why} (--force compares anyway)")
    return "different devices (--force)"


def compare(
    baseline: Iterable[Record],
    candidate: Iterable[Record],
    gate: GateConfig,
    *,
    mode: str = "config",
    force: bool = False,
    confidence: float = 0.99,
    counter_tolerances: Mapping[str, float] | None = None,
) -> Comparison:
    """Match records by (family, variant, problem, dtype and config or best config) and judge each pair.

    Emulated records are judged on their counted metrics (exact, or within
    ``counter_tolerances``: metric -> relative tolerance, ``*`` for all), not on time."""
    if mode not in MATCH_MODES:
        raise UsageError(f"unknown match mode {mode!r} (use {', '.join(MATCH_MODES)})")
    base_ok, base_failed = select(baseline, mode)
    cand_ok, cand_failed = select(candidate, mode)
    out = Comparison(gate=gate, confidence=confidence, mode=mode)
    for key, base in base_ok.items():
        cand = cand_ok.get(key)
        if cand is None:
            failed = cand_failed.get(key)
            note = f"candidate {failed.status}: {failed.message}" if failed else ""
            out.only_baseline.append(Unmatched(base, note))
            continue
        out.pairs.append(
            judge(
                base,
                cand,
                gate,
                force=force,
                confidence=confidence,
                counter_tolerances=counter_tolerances,
            )
        )
    for key, cand in cand_ok.items():
        if key not in base_ok:
            failed = base_failed.get(key)
            out.only_candidate.append(
                Unmatched(cand, f"baseline {failed.status}" if failed else "")
            )
    return out


def judge(
    base: Record,
    cand: Record,
    gate: GateConfig,
    *,
    force: bool = False,
    confidence: float = 0.99,
    counter_tolerances: Mapping[str, float] | None = None,
) -> Pair:
    """The verdict of one matched pair under its family's or variant's threshold."""
    note = _check_devices(base, cand, force)
    threshold = gate.threshold_for(cand.family, cand.variant)
    if counted.emulated(base) is not None and counted.emulated(cand) is not None:
        return judge_counted(base, cand, threshold, counter_tolerances or {}, note)
    b, c = kept_samples(base), kept_samples(cand)
    if not b or not c:
        why = "no raw samples stored: cannot test"
        return Pair(
            base, cand, threshold, Verdict.NOISY, None, "; ".join(filter(None, [note, why]))
        )
    if not can_decide(len(b), len(c), gate.alpha):
        why = too_few_note(len(b), len(c), gate.alpha)
        return Pair(
            base, cand, threshold, Verdict.UNDECIDED, None, "; ".join(filter(None, [note, why]))
        )
    st = pair_stats(b, c, confidence)
    result, reason = verdict(st, threshold, gate.alpha)
    return Pair(base, cand, threshold, result, st, "; ".join(filter(None, [note, reason])))


def judge_counted(
    base: Record, cand: Record, threshold: float, tolerances: Mapping[str, float], note: str
) -> Pair:
    """Two emulated records: exact counts, so no test; worse when any gated metric moved the
    wrong way beyond its tolerance."""
    moved = counted.changes(base, cand, tolerances)
    worse = [c for c in moved if c.worse]
    better = [c for c in moved if c.better]
    if worse:
        verdict_, shown = Verdict.WORSE, worse
    elif better:
        verdict_, shown = Verdict.BETTER, better
    else:
        verdict_, shown = Verdict.UNCHANGED, []
    why = "; ".join(c.text() for c in shown[:3]) + (
        f"; {len(shown) - 3} more" if len(shown) > 3 else ""
    )
    text = "; ".join(filter(None, [note, "counted by the emulator", why]))
    return Pair(base, cand, threshold, verdict_, None, text, moved)


def too_few_note(n_base: int, n_cand: int, alpha: float) -> str:
    """Why a pair cannot be judged, and how many samples would do."""
    need = min_samples_to_decide(alpha)
    return (
        f"too few samples to decide: need at least {need} a side for p < {alpha:g} "
        f"(have {n_base} and {n_cand})"
    )
