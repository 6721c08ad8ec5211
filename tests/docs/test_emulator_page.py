"""docs/emulator.md runs as typed: its commands and its Python example, in a fresh folder."""

from __future__ import annotations

import shlex
import subprocess
import sys

import pytest

from tests.docs.markdown import DOCS, blocks, commands
from tests.helpers import run_cli

PAGE = DOCS / "emulator.md"

pytestmark = pytest.mark.slow


def test_the_commands_run_on_the_emulated_device(tmp_path) -> None:
    lines = commands(blocks(PAGE, "From the command line")[0])
    assert lines and all(line.startswith("kernbench ") and "--device emu" in line for line in lines)
    for line in lines:
        result = run_cli(*shlex.split(line)[1:], cwd=tmp_path, timeout=300)
        assert result.returncode == 0, f"{line}\n{result.stdout}\n{result.stderr}"
        if "bench" in line.split()[:2]:
            assert "not GPU performance" in result.stdout


def test_the_python_example_runs_as_typed(tmp_path) -> None:
    code = "\n".join(b.text for b in blocks(PAGE, "Your own kernel") if b.language == "python")
    proc = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0, proc.stderr
    assert "thread-instructions" in proc.stdout
    assert "global-out-of-bounds" in proc.stdout and "axpy_bug.cu:4" in proc.stdout


def test_the_counters_example_prints_what_the_page_says(tmp_path) -> None:
    [block] = [
        b for b in blocks(PAGE, "Counters and the speed-of-light model") if b.language == "python"
    ]
    proc = subprocess.run(
        [sys.executable, "-c", block.text], cwd=tmp_path, capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split("\n")[:3] == ["1 4.0 1.0", "2 8.0 2.0", "32 32.0 32.0"]
