"""The README is the front door: short, its commands the ones CI runs, its quickstart runnable as typed."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
import time
from pathlib import Path

import pytest

from kernbench.store import open_store
from tests.docs.markdown import ROOT, blocks, commands

README = ROOT / "README.md"
QUICKSTART_LIMIT_S = 120
"""Each quickstart command must finish within this, on a machine without a GPU."""
ACTIVATE = "source .venv/bin/activate"


def test_readme_is_a_landing_page() -> None:
    assert len(README.read_text().splitlines()) <= 250


def test_ci_runs_exactly_the_readme_commands() -> None:
    """.ci/run installs and tests with the README's set-up and test commands, word for word."""
    setup, tests = commands(blocks(README, "Set-up and tests")[0])
    assert setup == "python3 -m venv .venv && .venv/bin/pip install -q torch==2.13.0 -e '.[dev]'"
    assert tests == ".venv/bin/pytest"
    ci = [line.strip() for line in (ROOT / ".ci" / "run").read_text().splitlines()]
    assert setup in ci
    assert tests in ci


def quickstart() -> list[tuple[str, list[str]]]:
    """The quickstart's commands: (the line as typed, its argv with this venv's ``kernbench``)."""
    lines = commands(blocks(README, "Quickstart")[0])
    activated = lines[0] == ACTIVATE
    if activated:
        lines = lines[1:]
    script = Path(sys.executable).parent / "kernbench"
    program = [str(script)] if script.exists() else [sys.executable, "-m", "kernbench.cli.main"]
    found = []
    for line in lines:
        argv = shlex.split(line)
        if argv[0] == ".venv/bin/kernbench" or (activated and argv[0] == "kernbench"):
            argv = [*program, *argv[1:]]
        else:
            pytest.fail(f"quickstart line {line!r}: not a kernbench command a reader can run")
        found.append((line, argv))
    return found


def test_quickstart_measures_on_the_cpu_device() -> None:
    """Commands that measure say ``--device cpu``: the quickstart never needs a GPU."""
    for line, _ in quickstart():
        words = line.split()
        if words[1] in ("bench", "tune", "sweep", "calibrate"):
            assert "--device cpu" in line, line


@pytest.mark.slow
def test_quickstart_runs_as_typed(tmp_path: Path) -> None:
    """In a fresh directory each command exits 0 within the limit; then the store and site exist."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    env.pop("TRITON_INTERPRET", None)  # a reader's shell has none: --device cpu must set it
    for line, argv in quickstart():
        started = time.monotonic()
        proc = subprocess.run(
            argv, cwd=tmp_path, capture_output=True, text=True, env=env, timeout=QUICKSTART_LIMIT_S
        )
        took = time.monotonic() - started
        assert proc.returncode == 0, f"{line}: exit {proc.returncode}\n{proc.stdout}\n{proc.stderr}"
        assert took <= QUICKSTART_LIMIT_S, f"{line}: {took:.0f} s"
        if line.split()[1] in ("bench", "tune"):
            assert "not GPU performance" in proc.stdout, line

    records = open_store(tmp_path / "results", create=False).query(variant="triton_naive")
    configs = {json.dumps(r.config, sort_keys=True) for r in records}
    assert (
        len(configs) >= 3
    )  # bench's default, then tune's three unique evaluations (default first)
    assert all(r.status == "ok" for r in records), [r.message for r in records]
    assert all(r.timing_kind == "cpu-interpreter" for r in records)
    assert (tmp_path / "report-site" / "index.html").is_file()
