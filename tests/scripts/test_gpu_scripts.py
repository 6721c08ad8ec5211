"""The GPU scripts parse, and run only `-m gpu` tests on the GPU machine (host checks run here)."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from .conftest import GPU_SCRIPTS

SCRIPTS = sorted(GPU_SCRIPTS.glob("*.sh"))


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.name)
def test_script_parses(script: Path) -> None:
    proc = subprocess.run(["bash", "-n", str(script)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.name)
def test_pytest_on_the_gpu_machine_is_gpu_tests_only(script: Path) -> None:
    text = re.sub(r"\\\n\s*", " ", script.read_text())  # join continued lines
    for line in text.splitlines():
        if re.search(r"-m pytest\b", line) and not line.lstrip().startswith("#"):
            assert "-m gpu" in line, f"{script.name}: {line.strip()}"
            # the project's addopts start xdist workers: the GPU image has no xdist, and GPU
            # tests are timed one at a time
            assert "-o addopts= " in line, f"{script.name}: {line.strip()}"
