"""Helpers for tests that run the ``kernbench`` command as a user would."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path


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
