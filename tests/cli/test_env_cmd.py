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


def test_env_at_100_columns_names_each_reason_once() -> None:
    """On a CPU machine fourteen variants cannot run for one reason: one line, not fourteen."""
    from tests.helpers import run_cli

    res = run_cli("env", "--device", "cpu", env={"COLUMNS": "100"})
    assert res.returncode == 0, res.stderr
    lines = res.stdout.splitlines()
    assert max(map(len, lines)) <= 100
    assert res.stdout.count("does not run on the cpu device") == 1
    (reason,) = [ln for ln in lines if "does not run on the cpu device" in ln]
    mark = reason.split(")")[0] + ")"  # "(1)"
    rows = [ln for ln in lines if ln.rstrip().endswith(f"no {mark}")]
    assert any(ln.split()[1] == "cuda_naive" for ln in rows)
    assert not any("triton_naive" in ln for ln in rows)
