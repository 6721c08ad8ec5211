"""The CLI starts without the heavy analysis libraries: every command, and every test and
CI step that runs one, would otherwise pay for them (scipy.stats and pandas: about 0.7 s)."""

from __future__ import annotations

import subprocess
import sys


def test_the_cli_imports_neither_scipy_stats_nor_pandas_until_a_command_needs_them() -> None:
    code = (
        "import sys, kernbench.cli.main; "
        "print(sorted(m for m in ('scipy.stats', 'pandas') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", out.stdout + out.stderr
