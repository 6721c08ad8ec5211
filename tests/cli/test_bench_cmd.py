"""``kernbench bench``: its exit status is the CI rule, and failures say why under the table."""

from __future__ import annotations

from pathlib import Path

import pytest

from kernbench.cli import bench_cmd
from kernbench.cli.main import build_parser, main
from kernbench.registry import Registry

FAST = ["--device", "cpu", "--min-time", "0.01", "--max-time", "0.05", "--warmup-max", "0.01"]


@pytest.fixture
def faults(monkeypatch: pytest.MonkeyPatch) -> None:
    """bench sees the toy family with a correct variant and two whose defaults fail."""

    def registry() -> Registry:
        reg = Registry()
        reg.add_reference("tests.cli.bench_faults:PLUGIN")
        return reg

    monkeypatch.setattr(bench_cmd, "load_registry", registry)


def _bench(tmp_path: Path, *args: str) -> int:
    return main(["bench", "toy", *FAST, "--store", str(tmp_path), *args])


@pytest.mark.usefixtures("faults")
def test_correct_candidates_exit_0(tmp_path: Path) -> None:
    assert _bench(tmp_path, "--variant", "toy_torch", "--no-isolate") == 0


@pytest.mark.usefixtures("faults")
def test_a_wrong_result_exits_1_and_its_message_is_under_the_table(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _bench(tmp_path, "--variant", "toy_half", "--no-isolate") == 1
    out = capsys.readouterr().out
    assert "why: toy_half wrong_result:" in out
    assert "never written" in out
    assert "1 candidate(s) failed: 1 candidate gave a wrong result" in out


@pytest.mark.usefixtures("faults")
def test_a_crash_exits_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """On today's main a crash (or timeout, compile error, OOM) left bench at exit 0."""
    assert _bench(tmp_path, "--variant", "toy_abort", "--variant", "toy_torch") == 1
    out = capsys.readouterr().out
    assert "why: toy_abort crash:" in out
    assert "1 candidate crashed" in out


def test_help_states_the_exit_rule() -> None:
    sub = build_parser()._subparsers._group_actions[0].choices["bench"]  # type: ignore[union-attr]
    text = sub.format_help()
    assert "exit status:" in text
    for status in ("wrong_result", "compile_error", "crash", "timeout", "out_of_memory"):
        assert status in text


@pytest.mark.parametrize(
    ("variant", "why"),
    [
        ("toy_typo", "AttributeError: module 'tests.plugins_faulty.good' has no attribute 'biuld'"),
        ("toy_bad_default", "ValueError: variant toy_bad_default: default config"),
    ],
)
def test_a_variant_that_fails_to_load_is_one_line_and_exit_2(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    variant: str,
    why: str,
) -> None:
    """A broken plugin is bad input: one line naming the variant and why, no traceback."""

    def registry() -> Registry:
        reg = Registry()
        reg.add_reference("tests.plugins_faulty:BROKEN")
        return reg

    monkeypatch.setattr(bench_cmd, "load_registry", registry)
    assert _bench(tmp_path, "--variant", variant, "--no-isolate") == 2
    captured = capsys.readouterr()
    (line,) = captured.err.strip().splitlines()
    assert line.startswith(f"kernbench: error: variant {variant!r} failed to load: {why}")
    assert "Traceback" not in captured.out + captured.err
