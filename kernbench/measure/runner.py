"""Runners decide where a candidate is measured: in this process, or in an isolated worker."""

from __future__ import annotations

import signal
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

from ..device import Device
from ..errors import UsageError
from ..registry import Registry
from .outcome import Outcome, Status
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


class CandidateTimeout(BaseException):
    """Raised into the measuring code when the in-process timeout fires.

    A BaseException, so that the stages' ``except Exception`` cannot turn it into a launch error.
    """


NATIVE_NOTE = (
    "in-process timeouts interrupt Python code only: a kernel stuck in native code cannot be "
    "stopped without a worker (drop --no-isolate)"
)


@contextmanager
def alarm(seconds: float) -> Iterator[bool]:
    """Raise CandidateTimeout in the main thread after ``seconds``; yields whether it is armed.

    An alarm already pending (pytest-timeout's, say) is honoured: if it is due first, its
    handler runs, and it is re-armed with the time it had left when this one is done.
    """
    if threading.current_thread() is not threading.main_thread() or not hasattr(
        signal, "setitimer"
    ):
        yield False
        return
    start = time.monotonic()
    old_due = [True]

    def on_alarm(signum: int, frame: FrameType | None) -> None:
        elapsed = time.monotonic() - start
        if elapsed >= seconds * 0.999:
            raise CandidateTimeout(f"no result within {seconds:g}s")
        old_due[0] = False  # the earlier alarm was the other one's: run it, then re-arm ours
        signal.setitimer(signal.ITIMER_REAL, seconds - elapsed)
        if callable(old_handler):
            old_handler(signum, frame)

    old_handler = signal.signal(signal.SIGALRM, on_alarm)
    old_delay, old_interval = signal.setitimer(signal.ITIMER_REAL, 0)
    signal.setitimer(signal.ITIMER_REAL, min(seconds, old_delay) if old_delay else seconds)
    try:
        yield True
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old_handler)
        if old_delay and old_due[0]:
            left = old_delay - (time.monotonic() - start)
            signal.setitimer(signal.ITIMER_REAL, max(left, 1e-3), old_interval)


def _passes_through(exc: BaseException) -> bool:
    """Interrupts, usage errors and pytest's own outcomes are not the candidate's to record."""
    return isinstance(exc, (KeyboardInterrupt, UsageError)) or type(exc).__module__.startswith(
        "_pytest"
    )


class InProcessRunner(Runner):
    """Measures in this process: for tests and for devices where isolation buys nothing.

    Whatever the variant's code raises, ``SystemExit`` included, ends that candidate as a
    crash and the run goes on; Ctrl-C still stops the run. The candidate timeout is enforced
    with an alarm that interrupts Python code (gate, warm-up, sampling loop); see NATIVE_NOTE.
    """

    def __init__(self, registry: Registry, device: Device, settings: MeasureSettings) -> None:
        self.registry = registry
        self.device = device
        self.settings = settings

    def measure(self, cand: Candidate) -> Outcome:
        method = {"isolation": "in process"}
        start = time.monotonic()
        try:
            with alarm(self.settings.timeout_s):
                outcome = measure(self.registry, self.device, cand, self.settings)
        except CandidateTimeout:
            return Outcome(
                Status.TIMEOUT,
                f"no result within {self.settings.timeout_s:g}s; interrupted in process",
                method={**method, "note": NATIVE_NOTE},
            )
        except BaseException as exc:
            if _passes_through(exc):
                raise
            lines = [ln for ln in str(exc).strip().splitlines() if ln.strip()]
            detail = f"{type(exc).__name__}: {lines[-1] if lines else ''}".strip()
            return Outcome(
                Status.CRASH,
                f"{detail} after {time.monotonic() - start:.1f}s (raised in process)"[:500],
                method=method,
            )
        outcome.method.setdefault("isolation", "in process")
        return outcome
