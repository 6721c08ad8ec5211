"""``kernbench list`` reads well in a 100-column terminal (issue 27)."""

from __future__ import annotations

import re

from kernbench.cli.list_cmd import short
from kernbench.registry import Registry
from kernbench.space import Categorical, Int, Pow2
from tests.helpers import run_cli


def test_list_gemm_at_100_columns_keeps_names_whole_and_parameter_lists_short() -> None:
    res = run_cli("list", "gemm", env={"COLUMNS": "100"})
    assert res.returncode == 0, res.stderr
    lines = res.stdout.splitlines()
    assert max(map(len, lines)) <= 100
    assert "…" not in res.stdout
    names = [v.name for v in Registry.discover().variants("gemm")]
    starts = [i for i, ln in enumerate(lines) if re.match(r"^(\d+|-) +\w", ln)]
    rows = {lines[i].split()[1].rstrip("*"): i for i in starts}
    assert set(names) <= set(rows), "every variant has a row, its name whole on it"
    for i, j in zip(starts, [*starts[1:], len(lines)], strict=True):
        body = [ln for ln in lines[i + 1 : j] if ln.startswith(" ")]
        assert len(body) <= 4, lines[i : j + 1]  # a parameter list wraps over a few lines at most
    # whatever cannot run here is said once per reason, not once per variant
    reasons = [ln for ln in lines if ln.startswith("(") and ")" in ln]
    assert len(reasons) == len(set(reasons))
    assert res.stdout.count("does not run on the") <= 1


def test_parameters_are_written_short_and_wrap_only_between_them() -> None:
    assert short(Pow2("BLOCK_M", 16, 128)) == "BLOCK_M=16..128"
    assert short(Int("STAGES", 2, 6)) == "STAGES=2..6/1"
    assert short(Categorical("num_warps", (4, 8))) == "num_warps=4|8"
    assert " " not in short(Categorical("schedule", ("cooperative", "pingpong")))
