"""Provenance: everything needed to tell how and where a number was made."""

from __future__ import annotations

import datetime as dt
import importlib.metadata
import os
import platform
import shlex
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

PACKAGES = ("kernbench", "torch", "triton", "optuna", "numpy", "nvidia-cutlass", "cuda-bindings")


def versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            out[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            continue
    try:
        import torch

        out["torch.cuda"] = str(torch.version.cuda or "")
    except ImportError:
        pass
    return out


def git_commit(path: Path | None = None) -> str:
    """The commit of the working tree (``+dirty`` when it has changes), or ``""``."""
    cwd = str(path or Path(__file__).resolve().parent)
    try:
        sha = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=cwd, capture_output=True, text=True, timeout=10
        ).stdout.strip()
        if not sha:
            return ""
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=10,
        ).stdout.strip()
        return sha + ("+dirty" if dirty else "")
    except (OSError, subprocess.SubprocessError):
        return ""


def now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


def command_line() -> str:
    """The command as a user would retype it (``kernbench ...``, however it was started)."""
    program = Path(sys.argv[0]).name
    if program in ("main.py", "__main__.py", "kernbench"):
        program = "kernbench"
    return " ".join(shlex.quote(a) for a in [program, *sys.argv[1:]])


def collect(command: str | None = None) -> dict[str, Any]:
    return {
        "command": command or command_line(),
        "time": now(),
        "host": socket.gethostname(),
        "platform": platform.platform(),
        "commit": git_commit(),
        "versions": versions(),
        "triton_interpret": os.environ.get("TRITON_INTERPRET", ""),
        "triton_fp_fusion": os.environ.get("TRITON_DEFAULT_FP_FUSION", ""),
    }
