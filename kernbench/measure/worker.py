"""Isolated measurement: each candidate runs in a worker process.

A crash (illegal memory access, segfault, abort), a hang past the candidate timeout or an
out-of-memory ends that candidate with its status; the worker is replaced and the run goes
on. The parent never dies with the child.
"""

from __future__ import annotations

import multiprocessing as mp
import signal
import time
from multiprocessing.connection import Connection
from typing import Any

from ..device import Device
from .outcome import Outcome, Status
from .run import Candidate
from .runner import Runner
from .settings import MeasureSettings

_RESTART_AFTER = (Status.CRASH, Status.LAUNCH_ERROR, Status.OOM, Status.TIMEOUT)
"""After these the worker's CUDA context may be broken: start a fresh one."""


def _worker_main(conn: Connection, device_kind: str, references: list[str], settings: dict[str, Any]) -> None:
    from .. import device as devices
    from ..registry import Registry
    from .run import measure

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides what Ctrl-C means
    device = devices.activate(device_kind)
    registry = Registry.discover()
    for ref in references:
        registry.add_reference(ref)
    measure_settings = MeasureSettings(**settings)
    conn.send("ready")
    while True:
        try:
            message = conn.recv()
        except EOFError:
            return
        if message is None:
            return
        outcome = measure(registry, device, Candidate(**message), measure_settings)
        conn.send(outcome.as_dict())


def _describe_exit(code: int | None) -> str:
    if code is None:
        return "worker did not exit"
    if code < 0:
        try:
            return f"worker killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"worker killed by signal {-code}"
    return f"worker exited with code {code}"


class ProcessRunner(Runner):
    """Measures each candidate in a long-lived worker process, replaced after any fault."""

    startup_timeout_s = 300.0

    def __init__(self, device: Device, settings: MeasureSettings, references: list[str] | None = None) -> None:
        self.device = device
        self.settings = settings
        self.references = list(references or [])
        self._ctx = mp.get_context("spawn")
        self._proc: Any = None
        self._conn: Connection | None = None

    def _start(self) -> tuple[Any, Connection]:
        parent, child = self._ctx.Pipe()
        proc = self._ctx.Process(
            target=_worker_main,
            args=(child, self.device.kind, self.references, self.settings.as_dict()),
            daemon=True,
        )
        proc.start()
        child.close()
        if not parent.poll(self.startup_timeout_s):
            proc.kill()
            raise RuntimeError("measurement worker did not start")
        parent.recv()
        self._proc, self._conn = proc, parent
        return proc, parent

    def _stop(self) -> None:
        if self._proc is not None:
            if self._proc.is_alive():
                self._proc.kill()
            self._proc.join(timeout=10)
        if self._conn is not None:
            self._conn.close()
        self._proc, self._conn = None, None

    def measure(self, cand: Candidate) -> Outcome:
        if self._proc is None or not self._proc.is_alive():
            self._stop()
            try:
                self._start()
            except (RuntimeError, EOFError, OSError) as exc:
                self._stop()
                return Outcome(Status.CRASH, f"worker failed to start: {exc}")
        assert self._proc is not None and self._conn is not None
        start = time.monotonic()
        try:
            self._conn.send(cand.as_dict())
            if not self._conn.poll(self.settings.timeout_s):
                self._stop()
                return Outcome(Status.TIMEOUT, f"no result within {self.settings.timeout_s:g}s; worker killed")
            outcome = Outcome.from_dict(self._conn.recv())
        except (EOFError, OSError, BrokenPipeError):
            self._proc.join(timeout=10)
            why = _describe_exit(self._proc.exitcode)
            self._stop()
            return Outcome(Status.CRASH, f"{why} after {time.monotonic() - start:.1f}s")
        if outcome.status in _RESTART_AFTER:
            self._stop()
        return outcome

    def close(self) -> None:
        if self._conn is not None:
            try:
                self._conn.send(None)
            except OSError:
                pass
        self._stop()
