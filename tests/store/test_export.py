"""Exports are tidy and readable by ordinary tools: CSV by Python's csv module, samples apart."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pandas as pd
import pytest

from kernbench.cli.main import main
from kernbench.store import open_store
from kernbench.store.export import samples_frame, samples_path, to_frame, write
from tests.store.test_sqlstore import make

MANY = [1e-3 + i * 1e-9 for i in range(40_000)]  # a long run's raw samples: ~800 KB as text


@pytest.mark.parametrize("fmt", ["csv", "json", "parquet"])
def test_exports_are_tidy_rows(tmp_path: Path, fmt: str) -> None:
    frame = to_frame([make(), make(variant="torch_matmul")])
    assert frame.loc[0, "tflops"] == pytest.approx(1024 / 1e-3 / 1e12)
    path = tmp_path / f"records.{fmt}"
    write(frame, path, fmt)
    back = {"csv": pd.read_csv, "json": pd.read_json, "parquet": pd.read_parquet}[fmt](path)
    assert list(back["variant"]) == ["triton_naive", "torch_matmul"]
    if fmt == "json":
        assert list(back.loc[0, "samples"]) == pytest.approx([1e-3, 1.1e-3, 0.9e-3])  # inline


def test_csv_reads_back_with_the_csv_module_and_samples_go_to_their_own_file(
    tmp_path: Path,
) -> None:
    """Raw samples in one CSV field broke Python's csv module (field larger than its limit)."""
    records = [make(id=1, samples=MANY, throttled=[2]), make(id=2, variant="torch_matmul")]
    path = tmp_path / "records.csv"
    write(to_frame(records), path, "csv", samples_frame(records))
    with path.open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert [r["variant"] for r in rows] == ["triton_naive", "torch_matmul"]
    assert "samples" not in rows[0] and rows[0]["n_samples"] == "3"
    assert json.loads(rows[0]["config"]) == {"BLOCK_M": 16}
    with samples_path(path).open(newline="") as fh:
        samples = list(csv.DictReader(fh))
    assert samples_path(path).name == "records.samples.csv"
    assert len(samples) == len(MANY) + 3
    first = [s for s in samples if s["id"] == "1"]
    assert [float(s["seconds"]) for s in first] == MANY
    assert [s["sample"] for s in first if s["throttled"] == "True"] == ["2"]


def test_results_command_writes_both_files_and_stdout_csv_is_readable(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = open_store(tmp_path / "s")
    store.add_many([make(samples=MANY)])
    store.close()
    out = tmp_path / "export.csv"
    assert main(["results", "--store", str(tmp_path / "s"), "--format", "csv", "-o", str(out)]) == 0
    assert samples_path(out).exists()
    capsys.readouterr()
    assert main(["results", "--store", str(tmp_path / "s"), "--format", "csv"]) == 0
    rows = list(csv.DictReader(capsys.readouterr().out.strip().splitlines()))
    assert len(rows) == 1 and rows[0]["variant"] == "triton_naive"
