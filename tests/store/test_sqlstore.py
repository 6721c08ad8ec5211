"""The results store: records survive round trips, exports and other processes."""

from __future__ import annotations

import math
import sqlite3
from pathlib import Path

import pytest

from kernbench.errors import UsageError
from kernbench.store import Record, open_store


def make(**kw: object) -> Record:
    base = dict(
        family="gemm",
        variant="triton_naive",
        problem="m=8,n=8,k=8",
        dtype="fp16",
        config={"BLOCK_M": 16},
        status="ok",
        samples=[1e-3, 1.1e-3, 0.9e-3],
        stats={"median": 1e-3, "n": 3},
        flops=1024.0,
        bytes=384.0,
        device={"name": "CPU", "timing_kind": "cpu-interpreter"},
        provenance={"commit": "abc"},
    )
    base.update(kw)
    return Record(**base)  # type: ignore[arg-type]


def test_round_trip_keeps_everything(tmp_path: Path) -> None:
    store = open_store(tmp_path)
    stored = store.add(make(error=math.inf, throttled=[1]))
    assert stored.id == 1
    (back,) = open_store(tmp_path, create=False).query(variant="triton_naive")
    assert back.samples == [1e-3, 1.1e-3, 0.9e-3]
    assert back.config == {"BLOCK_M": 16}
    assert back.error is None  # non-finite errors are stored as unknown, never as a number
    assert back.throttled == [1]
    assert back.timing_kind == "cpu-interpreter"
    assert back.created


def test_queries_filter_and_the_file_is_plain_sqlite(tmp_path: Path) -> None:
    store = open_store(tmp_path)
    store.add(make())
    store.add(make(variant="torch_matmul", status="wrong_result"))
    assert [r.variant for r in store.query(status="ok")] == ["triton_naive"]
    assert len(store) == 2
    with sqlite3.connect(tmp_path / "kernbench.sqlite3") as conn:
        assert conn.execute("select count(*) from kernbench_records").fetchone() == (2,)


def test_bad_locations_are_usage_errors(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match=r"unreadable storage URL|unsupported storage URL"):
        open_store("ftp://host/db")
    with pytest.raises(UsageError, match="no results store"):
        open_store(tmp_path / "missing", create=False)
    (tmp_path / "bad.sqlite3").write_text("garbage" * 200)
    with pytest.raises(UsageError, match="cannot open"):
        open_store(tmp_path / "bad.sqlite3")


def test_a_store_that_cannot_be_written_says_so_in_one_line(tmp_path: Path) -> None:
    open_store(tmp_path).close()
    db = tmp_path / "kernbench.sqlite3"
    store = open_store(f"sqlite:///file:{db}?mode=ro&uri=true")  # read-only, even for root
    with pytest.raises(UsageError, match="cannot write to results store") as info:
        store.add(make())
    assert len(str(info.value).splitlines()) == 1


@pytest.mark.parametrize("under", ["/proc/kernbench-nope/x", "a-file/x"])
def test_a_folder_that_cannot_be_created_is_a_usage_error(tmp_path: Path, under: str) -> None:
    (tmp_path / "a-file").write_text("not a folder")
    where = under if under.startswith("/") else str(tmp_path / under)
    with pytest.raises(UsageError, match="cannot create results folder"):
        open_store(where)
