"""Runners decide where a candidate is measured: in this process, or in an isolated worker."""

from __future__ import annotations

from abc import ABC, abstractmethod

from ..device import Device
from ..registry import Registry
from .outcome import Outcome
from .run import Candidate, measure
from .settings import MeasureSettings


class Runner(ABC):
    """Measures candidates; implementations differ in isolation, never in method."""

    @abstractmethod
    def measure(self, cand: Candidate) -> Outcome:
        """Gate and time one candidate; kernel faults come back as an Outcome status."""

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release workers."""

    def __enter__(self) -> Runner:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class InProcessRunner(Runner):
    """Measures in this process: for tests and for devices where isolation buys nothing."""

    def __init__(self, registry: Registry, device: Device, settings: MeasureSettings) -> None:
        self.registry = registry
        self.device = device
        self.settings = settings

    def measure(self, cand: Candidate) -> Outcome:
        return measure(self.registry, self.device, cand, self.settings)
