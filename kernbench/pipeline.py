"""The pipeline for one candidate: static check -> measure (gate first) -> store.

``bench`` and ``tune`` both go through :func:`evaluate`, so every number in the store was
made the same way.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from . import provenance, staticcheck
from .device import Device
from .family import Family
from .measure.outcome import Outcome, Status
from .measure.run import Candidate
from .measure.runner import Runner
from .measure.settings import MeasureSettings
from .problem import Problem
from .registry import Registry
from .space import Config
from .store import Record, ResultsStore
from .variant import Variant


@dataclass
class Session:
    """What every evaluation of one command shares: device, store, runner, provenance."""

    registry: Registry
    device: Device
    store: ResultsStore
    runner: Runner
    settings: MeasureSettings
    target: staticcheck.Target = field(default_factory=staticcheck.Target)
    run_id: str = field(default_factory=lambda: uuid.uuid4().hex[:12])
    provenance: dict[str, Any] = field(default_factory=provenance.collect)
    on_record: Callable[[Record], None] | None = None

    def evaluate(
        self,
        family: Family,
        variant: Variant,
        problem: Problem,
        dtype: str,
        config: Config,
        *,
        study: str = "",
        trial: int | None = None,
    ) -> Record:
        """Check, measure and store one candidate; returns the stored record."""
        outcome = self._outcome(family, variant, problem, dtype, config)
        record = Record(
            family=family.name,
            variant=variant.name,
            language=variant.language,
            baseline=variant.baseline,
            problem=problem.key,
            dtype=dtype,
            config=dict(config),
            status=outcome.status,
            message=outcome.message,
            error=outcome.error,
            samples=outcome.samples,
            throttled=outcome.throttled,
            stats=outcome.stats,
            noisy=outcome.noisy,
            method=outcome.method,
            settings=self.settings.resolved(family.memory_bound).as_dict(),
            resources=outcome.resources,
            flops=family.flops(problem),
            bytes=family.min_bytes(problem, dtype),
            device=self.device.as_dict(),
            provenance=self.provenance,
            source_hash=variant.source_hash(),
            study=study,
            trial=trial,
            run_id=self.run_id,
        )
        self.store.add(record)
        if self.on_record is not None:
            self.on_record(record)
        return record

    def _outcome(
        self, family: Family, variant: Variant, problem: Problem, dtype: str, config: Config
    ) -> Outcome:
        why = variant.unavailable(self.device)
        if why:
            return Outcome(Status.SKIPPED, why)
        if not variant.supports_dtype(dtype):
            return Outcome(Status.UNSUPPORTED, f"{variant.name} does not support {dtype}")
        static = self.static_check(variant, problem, dtype, config)
        if not static.ok:
            return Outcome(
                static.status, static.reason, resources=[r.as_dict() for r in static.resources]
            )
        outcome = self.runner.measure(
            Candidate(family.name, variant.name, problem.key, dtype, dict(config))
        )
        outcome.resources = [r.as_dict() for r in static.resources]
        return outcome

    def static_check(
        self, variant: Variant, problem: Problem, dtype: str, config: Config
    ) -> staticcheck.StaticResult:
        """Space rules always; compilation for the GPU target where the variant provides it.

        On the CPU device the target is still a GPU (sm_90 by default), so a tune there
        rejects exactly what a tune on that GPU would.
        """
        return staticcheck.check(variant, problem, config, dtype, self.target)
