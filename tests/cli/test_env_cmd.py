"""``kernbench env`` fills every row it shows."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import torch

from kernbench.cli.main import main


def test_torch_cuda_row_is_never_blank(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["env", "--device", "cpu"]) == 0
    line = next(ln for ln in capsys.readouterr().out.splitlines() if "torch.cuda" in ln)
    value = line.replace("torch.cuda", "").strip(" │|")
    assert value == (torch.version.cuda or "none (CPU build)")


def test_git_ignores_the_default_store() -> None:
    root = Path(__file__).resolve().parents[2]
    for path in ("results/kernbench.sqlite3", "results/kernbench.sqlite3-wal"):
        res = subprocess.run(["git", "check-ignore", "-q", path], cwd=root, check=False)
        assert res.returncode == 0, f"{path} is not git-ignored"
