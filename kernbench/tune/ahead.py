"""Compile ahead: the next proposals are statically checked in a process pool during a measurement.

On a GPU host compiling a config often costs more than measuring it. So before a candidate
is measured, the tuner asks the sampler for the next ``jobs`` proposals and compiles them in
a pool of processes through the static check, the same entry point the measuring path uses,
which leaves its results in the caches the worker reads (Triton's kernel cache and
kernbench's static-check cache; the CUDA backend's cubin cache). The GPU then waits for a
cache read instead of a compiler.

Proposals come from a scratch in-memory copy of the study, with the study's sampler and
constant liar (running trials count as taken, as for parallel workers), so the real study
gets no extra trials: the proposals are enqueued there and run next, in order.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Any

import optuna
from optuna.trial import TrialState

from .. import staticcheck
from ..procpool import spawn_pool
from ..space import Config, config_key
from .samplers import make_sampler
from .searchspace import SearchSpace

QUEUED = "ahead"
"""The ``queued`` user attribute of a trial whose config was proposed and compiled ahead."""

_REGISTRY: Any = None


def default_jobs() -> int:
    """One compiling process per core but one, which the measuring worker keeps (at least 1)."""
    return max(1, (os.cpu_count() or 1) - 1)


def _init(references: list[str]) -> None:
    """Runs first in each pool process. It only compiles, so it never interprets kernels:
    on the CPU device it compiles in-process rather than through the clean compiler process."""
    global _REGISTRY
    from ..registry import Registry

    os.environ.pop("TRITON_INTERPRET", None)
    _REGISTRY = Registry.discover()
    for ref in references:
        _REGISTRY.add_reference(ref)


def check_in_pool(
    family: str, variant: str, problem: str, dtype: str, config: Config, target: staticcheck.Target
) -> staticcheck.StaticResult:
    """The pool's task: the static check of one config, by names (everything crosses processes)."""
    if _REGISTRY is None:
        raise RuntimeError("check_in_pool runs in a pool made by start_pool")
    prob = _REGISTRY.family(family).parse(problem)
    return staticcheck.check(_REGISTRY.variant(variant), prob, config, dtype, target)


def start_pool(jobs: int, references: list[str]) -> ProcessPoolExecutor:
    return spawn_pool(jobs, _init, (list(references),))


def propose(
    study: optuna.Study, search: SearchSpace, sampler: str, seed: int, n: int
) -> list[Config]:
    """The next ``n`` proposals of ``sampler`` for ``study``, asked on a scratch copy of it."""
    scratch = optuna.create_study(
        direction="minimize", sampler=make_sampler(sampler, seed + len(study.trials))
    )
    for t in study.get_trials(deepcopy=False):
        if t.state == TrialState.WAITING or not search.covers(t.params):
            continue
        if t.state == TrialState.RUNNING:  # a scratch copy: the running ones count as taken
            t = optuna.trial.create_trial(
                state=TrialState.RUNNING, params=t.params, distributions=t.distributions
            )
        scratch.add_trial(t)
    out: dict[str, Config] = {}
    for _ in range(4 * n):  # model-based samplers may repeat themselves: a few more asks
        trial = scratch.ask()
        config = search.suggest(trial)
        if sampler == "bruteforce":  # it skips finished points only, not running ones
            scratch.tell(trial, 0.0)
        out.setdefault(config_key(config), config)
        if len(out) == n:
            break
    return list(out.values())


class CompileAhead:
    """Keeps ``jobs`` proposals compiling ahead of the measurement; serves their static checks."""

    def __init__(
        self,
        pool: ProcessPoolExecutor,
        jobs: int,
        names: tuple[str, str, str, str],
        target: staticcheck.Target,
        search: SearchSpace,
        sampler: str,
        seed: int,
    ) -> None:
        self.pool, self.jobs, self.names, self.target = pool, jobs, names, target
        self.search, self.sampler, self.seed = search, sampler, seed
        self.pending: dict[str, Future[staticcheck.StaticResult]] = {}

    def fill(self, study: optuna.Study, seen: Callable[[str], bool]) -> int:
        """Propose and start compiling configs until ``jobs`` wait in the study's queue."""
        waiting = len(study.get_trials(deepcopy=False, states=(TrialState.WAITING,)))
        want = self.jobs - waiting
        if want <= 0:
            return 0
        started = 0
        for config in propose(study, self.search, self.sampler, self.seed, want):
            key = config_key(config)
            if key in self.pending or seen(key) or not self.search.space.is_valid(config):
                continue
            family, variant, problem, dtype = self.names
            self.pending[key] = self.pool.submit(
                check_in_pool, family, variant, problem, dtype, config, self.target
            )
            study.enqueue_trial(self.search.to_params(config), user_attrs={"queued": QUEUED})
            started += 1
        return started

    def take(self, config: Config) -> staticcheck.StaticResult | None:
        """The static check of ``config`` if it was started ahead (waits for it), else None."""
        future = self.pending.pop(config_key(config), None)
        if future is None:
            return None
        try:
            return future.result()
        except Exception:  # a pool process died: the caller checks in this process instead
            return None
