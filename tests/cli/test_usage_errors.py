"""Bad input ends with one clear line and exit code 2, and damages nothing stored."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from kernbench.cli.main import main
from kernbench.store import Record, open_store


def _store_with_one_record(out: Path) -> bytes:
    store = open_store(out)
    store.add(
        Record(
            family="gemm",
            variant="v",
            problem="m=1",
            dtype="fp16",
            config={},
            status="ok",
            device={"name": "x", "timing_kind": "cpu-interpreter"},
        )
    )
    store.close()
    return hashlib.sha256((out / "kernbench.sqlite3").read_bytes()).digest()


@pytest.mark.parametrize(
    "args, expected",
    [
        (["bench", "gemm", "--device", "cpu", "--shape", "0x5x5"], "must be at least 1"),
        (["bench", "gemm", "--device", "cpu", "--shape", "abc"], "key=value"),
        (["bench", "gemm", "--device", "cpu", "--shape", "m=5,n=5"], "missing k="),
        (["bench", "gemm", "--device", "cpu", "--shape", "5x5xq"], "not a positive integer"),
        (["bench", "nope", "--device", "cpu"], "unknown family 'nope'"),
        (["bench", "gemm", "--device", "cpu", "--variant", "nope"], "unknown variant 'nope'"),
        (["bench", "gemm", "--device", "cpu", "--dtype", "fp13"], "unknown dtype 'fp13'"),
        (["bench", "gemm", "--device", "tpu"], "unknown device 'tpu'"),
        (
            ["tune", "gemm", "--device", "cpu", "--storage", "nosuch://x", "--shape", "8x8x8"],
            "storage URL",
        ),
        (["tune", "gemm", "--device", "cpu", "--trials", "0"], "--trials must be at least 1"),
        (["tune", "gemm", "--device", "cpu", "--sampler", "magic"], "invalid choice: 'magic'"),
        (["bench", "gemm", "--device", "cpu", "--min-time", "3", "--max-time", "1"], "--min-time"),
        (["frobnicate"], "invalid choice"),
    ],
)
def test_bad_input_exits_2_with_one_line(
    args: list[str], expected: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    digest = _store_with_one_record(tmp_path)
    assert main([*args, "--store", str(tmp_path)] if args[0] != "frobnicate" else args) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    assert err[0].startswith("kernbench: error:") and expected in err[0]
    assert hashlib.sha256((tmp_path / "kernbench.sqlite3").read_bytes()).digest() == digest


def test_corrupt_results_file_is_refused_untouched(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "kernbench.sqlite3"
    db.write_bytes(b"this is not a database" * 100)
    before = db.read_bytes()
    for args in (
        ["results", "--store", str(tmp_path)],
        ["bench", "gemm", "--device", "cpu", "--shape", "8x8x8", "--store", str(tmp_path)],
    ):
        assert main(args) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and "cannot open results store" in err[0]
    assert db.read_bytes() == before


def test_missing_store_for_results(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["results", "--store", str(tmp_path / "none")]) == 2
    assert "no results store" in capsys.readouterr().err
