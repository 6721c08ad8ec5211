"""Isolated measurement: each candidate runs in a worker process.

A crash (illegal memory access, segfault, abort), a hang past the candidate timeout or an
out-of-memory ends that candidate with its status; the worker is replaced and the run goes
on. The parent never dies with the child, and the child never outlives the parent: on Linux
the kernel kills it when the parent goes (``PR_SET_PDEATHSIG``). The worker's stderr goes to
a log file whose last lines explain a crash in the record instead of on the terminal.
"""

from __future__ import annotations

import contextlib
import ctypes
import faulthandler
import multiprocessing as mp
import os
import signal
import sys
import tempfile
import time
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from ..device import Device
from ..errors import UsageError
from .outcome import Outcome, Status
from .run import STAGES_KEY, Candidate
from .runner import Runner
from .settings import MeasureSettings

_RESTART_AFTER = (Status.CRASH, Status.LAUNCH_ERROR, Status.OOM, Status.TIMEOUT)
"""After these the worker's CUDA context may be broken: start a fresh one."""
_PR_SET_PDEATHSIG = 1
_TAIL_BYTES = 64_000


_POLL_SLICE_S = 0.2


def _ready(conn: Connection, timeout_s: float) -> bool:
    """Wait for data on ``conn`` in short slices. A SIGINT that lands on another thread of this
    process (torch's pool, say) does not interrupt the main thread's wait; between slices the
    interpreter raises the pending KeyboardInterrupt, so Ctrl-C is honoured at once."""
    deadline = time.monotonic() + timeout_s
    while True:
        left = deadline - time.monotonic()
        if conn.poll(max(0.0, min(_POLL_SLICE_S, left))):
            return True
        if left <= _POLL_SLICE_S:
            return False


def _die_with_parent(parent_pid: int) -> None:
    """Ask Linux to SIGKILL this process when its parent exits (no-op elsewhere)."""
    if not sys.platform.startswith("linux"):
        return
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent_pid:  # the parent went before prctl took effect
        os._exit(1)


def _worker_main(
    conn: Connection,
    device_kind: str,
    references: list[str],
    settings: dict[str, Any],
    log_path: str,
    parent_pid: int,
) -> None:
    # The parent decides what Ctrl-C and SIGTERM (sent to the whole group by ``timeout``)
    # mean; the worker ends when told, killed (SIGKILL), or with its parent.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    _die_with_parent(parent_pid)
    log = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.dup2(log, 2)
    sys.stderr = os.fdopen(2, "w", buffering=1, closefd=False)
    faulthandler.enable()  # a segfault or abort leaves a traceback in the log

    from .. import device as devices
    from ..registry import Registry
    from .run import measure

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
        try:
            reply: dict[str, Any] = measure(
                registry, device, Candidate(**message), measure_settings
            ).as_dict()
        except UsageError as exc:
            reply = {"_usage_error": str(exc)}
        except Exception as exc:  # a harness fault, not a kernel fault: the parent raises it
            reply = {"_error": f"{type(exc).__name__}: {exc}"}
        conn.send(reply)


def _describe_exit(code: int | None) -> str:
    if code is None:
        return "worker did not exit"
    if code < 0:
        try:
            return f"worker killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"worker killed by signal {-code}"
    return f"worker exited with code {code}"


def log_tail(path: Path) -> str:
    """The most telling line of a worker's stderr: a fatal error if any, else the last line."""
    try:
        with path.open("rb") as fh:
            fh.seek(max(path.stat().st_size - _TAIL_BYTES, 0))
            lines = [
                ln.strip() for ln in fh.read().decode(errors="replace").splitlines() if ln.strip()
            ]
    except OSError:
        return ""
    for line in lines:
        if line.startswith("Fatal Python error") or "CUDA error" in line:
            return line[:300]
    return lines[-1][:300] if lines else ""


class ProcessRunner(Runner):
    """Measures each candidate in a long-lived worker process, replaced after any fault."""

    startup_timeout_s = 300.0

    def __init__(
        self, device: Device, settings: MeasureSettings, references: list[str] | None = None
    ) -> None:
        self.device = device
        self.settings = settings
        self.references = list(references or [])
        self._ctx = mp.get_context("spawn")
        self._proc: Any = None
        self._conn: Connection | None = None
        self._logdir = tempfile.TemporaryDirectory(prefix="kernbench-worker-")
        self._log = Path(self._logdir.name) / "stderr.log"
        self.restarts = 0
        self._started_s = 0.0

    @property
    def pid(self) -> int | None:
        """The worker's process id, while one runs."""
        return self._proc.pid if self._proc is not None else None

    def _start(self) -> None:
        self._log.parent.mkdir(parents=True, exist_ok=True)
        parent, child = self._ctx.Pipe()
        proc = self._ctx.Process(
            target=_worker_main,
            args=(
                child,
                self.device.spec,
                self.references,
                self.settings.as_dict(),
                str(self._log),
                os.getpid(),
            ),
            daemon=True,
        )
        proc.start()
        child.close()
        self._proc, self._conn = proc, parent
        if not _ready(parent, self.startup_timeout_s):
            raise RuntimeError(f"no sign of life within {self.startup_timeout_s:g}s")
        parent.recv()  # EOFError when the worker died while starting

    def _stop(self) -> None:
        if self._proc is not None:
            if self._proc.is_alive():
                self._proc.kill()
            self._proc.join(timeout=10)
        if self._conn is not None:
            self._conn.close()
        self._proc, self._conn = None, None

    def _fault(self, status: str, why: str) -> Outcome:
        tail = log_tail(self._log)
        self._stop()
        self.restarts += 1
        return Outcome(
            status, f"{why}: {tail}" if tail else why, method={"isolation": "worker process"}
        )

    def measure(self, cand: Candidate) -> Outcome:
        began = time.perf_counter()
        outcome = self._measure(cand)
        stages = outcome.method.setdefault(STAGES_KEY, {})
        stages["worker_start"] = self._started_s
        # what the worker did not account for: pipe transfer, result decoding, fault handling
        stages["other"] = stages.get("other", 0.0) + max(
            0.0, time.perf_counter() - began - sum(stages.values())
        )
        return outcome

    def _measure(self, cand: Candidate) -> Outcome:
        self._started_s = 0.0
        if self._proc is None or not self._proc.is_alive():
            self._stop()
            began = time.perf_counter()
            try:
                self._start()
            except (RuntimeError, EOFError, OSError) as exc:
                why = _describe_exit(self._proc.exitcode if self._proc is not None else None)
                return self._fault(Status.CRASH, f"worker failed to start ({str(exc) or why})")
            finally:
                self._started_s = time.perf_counter() - began
        assert self._proc is not None and self._conn is not None
        start = time.monotonic()
        try:
            self._conn.send(cand.as_dict())
            if not _ready(self._conn, self.settings.timeout_s):
                return self._fault(
                    Status.TIMEOUT, f"no result within {self.settings.timeout_s:g}s; worker killed"
                )
            reply = self._conn.recv()
        except (EOFError, OSError):
            self._proc.join(timeout=10)
            why = _describe_exit(self._proc.exitcode)
            return self._fault(Status.CRASH, f"{why} after {time.monotonic() - start:.1f}s")
        if "_usage_error" in reply:
            raise UsageError(reply["_usage_error"])
        if "_error" in reply:
            raise RuntimeError(f"measurement worker failed: {reply['_error']}")
        outcome = Outcome.from_dict(reply)
        outcome.method.setdefault("isolation", "worker process")
        if outcome.status in _RESTART_AFTER:
            self._stop()
            self.restarts += 1
        return outcome

    def close(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(OSError):
                self._conn.send(None)
            if self._proc is not None:
                self._proc.join(timeout=2)
        self._stop()
        self._logdir.cleanup()
