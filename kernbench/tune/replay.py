"""Replay: a recorded space file as the objective, with no GPU (Kernel Tuner's simulation mode).

``--device replay:FILE`` gives a session whose device is the recording's, labelled
``replay`` (never GPU performance), whose static check is the recorded one and whose
runner returns the recorded outcome of each config. The file is only ever read.
"""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path

from ..device import Device
from ..errors import UsageError
from ..family import Family
from ..measure.outcome import Outcome, Status
from ..measure.run import Candidate
from ..measure.runner import Runner
from ..measure.settings import MeasureSettings
from ..pipeline import Session
from ..problem import Problem
from ..registry import Registry
from ..space import Config
from ..staticcheck import StaticResult, Target
from ..store import ResultsStore
from ..variant import Variant
from .spacefile import SpaceFile

PREFIX = "replay:"


def replay_path(device_arg: str) -> Path | None:
    """The file of ``replay:FILE``, or None for a real device."""
    if not device_arg.startswith(PREFIX):
        return None
    path = device_arg.removeprefix(PREFIX)
    if not path:
        raise UsageError("--device replay: needs a space file, e.g. replay:results/spaces/x.json")
    return Path(path)


def replay_device(space: SpaceFile) -> Device:
    cc = tuple(space.device.get("compute_capability") or (0, 0))
    return Device(
        kind="replay",
        name=f"replay of {space.device_name}",
        compute_capability=(int(cc[0]), int(cc[1])),
    )


class ReplayRunner(Runner):
    """Returns the recorded outcome of each config; ``delay_s`` rehearses measuring time."""

    def __init__(self, space: SpaceFile, delay_s: float = 0.0) -> None:
        self.space = space
        self.delay_s = delay_s

    def measure(self, cand: Candidate) -> Outcome:
        if self.delay_s:
            time.sleep(self.delay_s)
        entry = self.space.entry(cand.config)
        if entry is None:
            return Outcome(Status.SKIPPED, "config not in the recorded space")
        return entry.outcome()


class ReplaySession(Session):
    """A session over a space file: recorded static rejections, recorded outcomes."""

    space: SpaceFile

    def static_check(
        self, variant: Variant, problem: Problem, dtype: str, config: Config
    ) -> StaticResult:
        reason = variant.space.violated(config) or self.space.rejection(config)
        return StaticResult(reason is None, reason or "")

    def _outcome(
        self, family: Family, variant: Variant, problem: Problem, dtype: str, config: Config
    ) -> Outcome:
        static = self.static_check(variant, problem, dtype, config)
        if not static.ok:
            return Outcome(Status.REJECTED, static.reason)
        return self.runner.measure(
            Candidate(family.name, variant.name, problem.key, dtype, dict(config))
        )


def open_replay(
    space: SpaceFile, registry: Registry, store: ResultsStore, delay_s: float = 0.0
) -> ReplaySession:
    settings = MeasureSettings(
        **{k: v for k, v in space.settings.items() if k in MeasureSettings.__dataclass_fields__}
    )
    session = ReplaySession(
        registry,
        replay_device(space),
        store,
        ReplayRunner(space, delay_s),
        replace(settings, isolate=False),
        Target(),
    )
    session.space = space
    session.provenance = {**session.provenance, "replayed": space.provenance}
    return session
