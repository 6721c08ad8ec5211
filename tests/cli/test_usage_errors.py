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
        *(
            (["bench", "gemm", "--device", "cpu", "--shape", "8x8x8", *opts], expected)
            for opts, expected in (
                (["--target-noise", "-1"], "--target-noise must be a fraction"),
                (["--target-noise", "0"], "--target-noise must be a fraction"),
                (["--target-noise", "1"], "--target-noise must be a fraction"),
                (["--target-noise", "nan"], "--target-noise must be a finite number"),
                (["--candidate-timeout", "0"], "--candidate-timeout must be positive"),
                (["--candidate-timeout", "-1"], "--candidate-timeout must be positive"),
                (["--candidate-timeout", "2"], "warm-up and sampling alone may take 2.25 s"),
                (
                    ["--candidate-timeout", "10", "--max-time", "9", "--warmup-max", "1"],
                    "may take 10 s",
                ),
            )
        ),
        (
            ["tune", "gemm", "--device", "cpu", "--shape", "8x8x8", "--candidate-timeout", "2"],
            "--candidate-timeout 2 s leaves no time for the gate",
        ),
        *(
            (["bench", "gemm", "--device", "cpu", "--shape", f"8x8x8,{kv}"], expected)
            for kv, expected in (
                ("alpha=nan", "gemm alpha must be a finite number (got nan)"),
                ("alpha=inf", "gemm alpha must be a finite number (got inf)"),
                ("beta=-inf", "gemm beta must be a finite number (got -inf)"),
            )
        ),
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


@pytest.mark.parametrize("under", ["/proc/kernbench-nope", "a-regular-file/results"])
def test_a_store_that_cannot_be_created_is_one_line(
    under: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Even root cannot create a folder under /proc or under a regular file."""
    (tmp_path / "a-regular-file").write_text("not a folder")
    store = under if under.startswith("/") else str(tmp_path / under)
    assert main(["bench", "gemm", "--device", "cpu", "--shape", "8x8x8", "--out", store]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("kernbench: error: cannot create results folder")


def test_an_unreachable_postgresql_store_is_one_line() -> None:
    from kernbench.errors import UsageError

    with pytest.raises(UsageError) as info:
        open_store("postgresql://u@127.0.0.1:1/x")
    assert "results store" in str(info.value) or "driver" in str(info.value)
    assert len(str(info.value).splitlines()) == 1
