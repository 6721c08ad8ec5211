"""One option names the results store on every command; ``-o`` is only ever an output."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from kernbench.cli.main import build_parser, main
from kernbench.store import open_store
from tests.analyse.synthetic import record, samples

STORE_COMMANDS = (
    ["bench"],
    ["tune"],
    ["sweep"],
    ["results"],
    ["export"],
    ["compare"],
    ["baseline", "save"],
    ["baseline", "list"],
    ["calibrate"],
    ["tune-eval"],
)


def _help(path: list[str]) -> str:
    parser = build_parser()
    for name in path:
        action = next(a for a in parser._actions if a.dest in ("command", "action"))
        parser = action.choices[name]  # type: ignore[index]
    return parser.format_help()


@pytest.mark.parametrize("path", STORE_COMMANDS, ids=" ".join)
def test_every_store_command_takes_store_and_hides_out(path: list[str]) -> None:
    text = _help(path)
    assert "--store DIR" in text and "default: results/" in text
    assert not re.search(r"--out\b", text)  # the old name still parses, unadvertised


@pytest.mark.parametrize("path", (["results"], ["export"], ["sweep"], ["compare"]), ids=" ".join)
def test_dash_o_is_an_output_never_the_store(path: list[str]) -> None:
    text = _help(path)
    line = next(ln for ln in text.splitlines() if "--output" in ln)
    assert "-o OUTPUT" in line


def test_store_and_its_old_name_read_the_same_store(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = open_store(tmp_path / "s")
    store.add_many([record(data=samples(seed=1))])
    store.close()
    for option in ("--store", "--out"):
        assert main(["results", option, str(tmp_path / "s"), "--format", "csv"]) == 0
        assert "triton_naive" in capsys.readouterr().out
    assert main(["results", "--store", str(tmp_path / "nothing")]) == 2
