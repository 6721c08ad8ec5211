"""Tuned configs as a product: `kernbench export` and `kernbench.best_config`."""

import json
from pathlib import Path

import pytest

import kernbench
from kernbench.store import Record, open_store
from kernbench.tune.best import default_store

from ..helpers import run_cli

GEMM = "layout_a=row,layout_b=row,alpha=1.0,beta=0.0"


def _rec(
    problem: str, config: dict[str, int], median: float, device: str = "NVIDIA H100 80GB HBM3"
) -> Record:
    return Record(
        family="gemm",
        variant="triton_naive",
        problem=f"{problem},{GEMM}",
        dtype="fp16",
        config=config,
        status="ok",
        stats={"median": median},
        device={
            "name": device,
            "timing_kind": "cpu-interpreter" if device.startswith("CPU") else "gpu",
        },
    )


def _store(tmp_path: Path) -> Path:
    store = open_store(tmp_path)
    store.add(_rec("m=1024,n=1024,k=1024", {"BLOCK_M": 64, "BLOCK_N": 64, "BLOCK_K": 32}, 2e-3))
    store.add(_rec("m=1024,n=1024,k=1024", {"BLOCK_M": 128, "BLOCK_N": 64, "BLOCK_K": 32}, 1e-3))
    store.add(_rec("m=8192,n=8192,k=8192", {"BLOCK_M": 128, "BLOCK_N": 128, "BLOCK_K": 64}, 9e-2))
    store.add(
        _rec("m=1024,n=1024,k=1024", {"BLOCK_M": 16, "BLOCK_N": 16, "BLOCK_K": 16}, 1e-9, "CPU (x)")
    )
    return tmp_path


def test_best_config_exact_then_nearest_problem(tmp_path: Path) -> None:
    out = _store(tmp_path)
    best = kernbench.best_config("triton_naive", "1024x1024x1024", device="H100", store=out)
    assert best == {"BLOCK_M": 128, "BLOCK_N": 64, "BLOCK_K": 32}
    # never tuned at 6000^3: the nearest tuned problem in log-shape space is 8192^3
    assert kernbench.best_config("triton_naive", "m=6000,n=6000,k=6000", store=out) == {
        "BLOCK_M": 128,
        "BLOCK_N": 128,
        "BLOCK_K": 64,
    }
    # GPU measurements win over CPU-interpreter ones unless the CPU is asked for
    assert (kernbench.best_config("triton_naive", "1024x1024x1024", store=out) or {})[
        "BLOCK_M"
    ] == 128
    assert (kernbench.best_config("triton_naive", "1024x1024x1024", device="CPU", store=out) or {})[
        "BLOCK_M"
    ] == 16
    assert kernbench.best_config("triton_naive", "1024x1024x1024", device="B200", store=out) is None


def test_export_writes_one_best_per_variant_device_problem(tmp_path: Path) -> None:
    out = _store(tmp_path)
    result = run_cli("export", "--out", str(out), "-o", str(tmp_path / "best.json"))
    assert result.returncode == 0, result.stderr
    rows = json.loads((tmp_path / "best.json").read_text())["configs"]
    assert len(rows) == 3
    h100 = [
        r for r in rows if r["device"].startswith("NVIDIA") and r["problem"].startswith("m=1024")
    ]
    assert h100[0]["config"]["BLOCK_M"] == 128 and h100[0]["median_s"] == 1e-3


def test_export_of_a_missing_store_is_a_usage_error(tmp_path: Path) -> None:
    result = run_cli("export", "--out", str(tmp_path / "none"), "-o", str(tmp_path / "x.json"))
    assert result.returncode == 2 and "Traceback" not in result.stderr


def test_best_config_reads_kernbench_store_never_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = _store(tmp_path / "store")
    elsewhere = tmp_path / "cwd"
    (elsewhere / "results").mkdir(parents=True)
    monkeypatch.chdir(elsewhere)
    monkeypatch.setenv("KERNBENCH_STORE", str(out))
    assert default_store() == out
    best = kernbench.best_config("triton_naive", "1024x1024x1024", device="H100")
    assert best == {"BLOCK_M": 128, "BLOCK_N": 64, "BLOCK_K": 32}
    monkeypatch.delenv("KERNBENCH_STORE")
    assert default_store().is_absolute() and default_store() != elsewhere / "results"


def test_a_confirmed_winner_beats_a_faster_single_measurement(tmp_path: Path) -> None:
    out = _store(tmp_path)
    store = open_store(out)
    winner = _rec("m=1024,n=1024,k=1024", {"BLOCK_M": 64, "BLOCK_N": 64, "BLOCK_K": 32}, 1.5e-3)
    winner.method = {"confirm": {"kind": "verdict", "rounds": 3}}
    store.add(winner)
    lucky = _rec("m=1024,n=1024,k=1024", {"BLOCK_M": 32, "BLOCK_N": 32, "BLOCK_K": 32}, 0.5e-3)
    lucky.method = {"confirm": {"kind": "round", "round": 0}}
    store.add(lucky)
    best = kernbench.best_config("triton_naive", "1024x1024x1024", device="H100", store=out)
    assert best == {"BLOCK_M": 64, "BLOCK_N": 64, "BLOCK_K": 32}
