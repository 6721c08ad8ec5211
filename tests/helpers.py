"""Helpers for tests that run the ``kernbench`` command as a user would."""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest


@dataclass
class Result:
    returncode: int
    stdout: str
    stderr: str


def run_cli(
    *args: str, cwd: Path | None = None, timeout: float = 600, env: dict[str, str] | None = None
) -> Result:
    """Run ``python -m kernbench.cli.main ARGS`` in a subprocess and capture its output."""
    full_env = {**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})}
    proc = subprocess.run(
        [sys.executable, "-m", "kernbench.cli.main", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=full_env,
    )
    return Result(proc.returncode, proc.stdout, proc.stderr)


def pip_install_into(source: Path, target: Path, build: Path) -> None:
    """Install a plugin package as a user would (pip, its entry points), into a folder of its
    own that tests put on PYTHONPATH: the test environment itself stays unchanged."""
    pip = [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation"]
    subprocess.run(
        [*pip, "--target", str(target), str(source)],
        check=True,
        cwd=build,
    )


def gone_within(pid: int, seconds: float) -> bool:
    """Whether process ``pid`` has ended (or ends within ``seconds``)."""
    end = time.monotonic() + seconds
    while True:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        if time.monotonic() >= end:
            return False
        time.sleep(0.1)


def run_without_interpreter(script: Path, *args: str, env: dict[str, str] | None = None) -> str:
    """Run a test-side script in a fresh Python without ``TRITON_INTERPRET`` (kernels there
    are real JITFunctions), with ``env`` added; it must exit 0. Its last line of output."""
    full_env = {k: v for k, v in os.environ.items() if k != "TRITON_INTERPRET"}
    full_env.update(env or {})
    proc = subprocess.run(
        [sys.executable, "-W", "ignore", str(script), *args],
        capture_output=True,
        text=True,
        env=full_env,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc.stdout.strip().splitlines()[-1]


def built_once(config: pytest.Config, factory: pytest.TempPathFactory, name: str,
               build: Callable[[Path], None]) -> Path:  # fmt: skip
    """A folder that ``build`` fills once per test run, shared by the xdist workers.

    A session fixture runs once per worker: a store that takes a minute of real CLI runs to
    make would be made on every worker. The first worker to ask builds it under the run's
    shared temporary directory and marks it done; the others wait on a lock and reuse it
    (one that failed part way is built again). Without xdist it is an ordinary temporary folder."""
    if not hasattr(config, "workerinput"):
        out = factory.mktemp(name)
        build(out)
        return out
    root = factory.getbasetemp().parent  # the controller's base: one per run, every worker's
    out, done = root / f"shared-{name}", root / f"shared-{name}.done"
    with open(root / f"shared-{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not done.exists():
            shutil.rmtree(out, ignore_errors=True)
            out.mkdir()
            build(out)
            done.touch()
    return out
