"""The ``kernbench_benchmark`` fixture, run as a user runs it: a separate pytest process.

The CPU tests time a busy-wait "kernel" (deterministic on a loaded machine) with the CPU
device; the GPU test times a real CUDA matmul with CUDA events.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from kernbench.analyse.sources import load
from kernbench.config import DEFAULT_ALPHA
from kernbench.measure.settings import min_samples_to_decide

GATE_SAMPLES = min_samples_to_decide(DEFAULT_ALPHA)
"""Fewer samples a side and the regression gate could never call a change significant."""

SPIN_TEST = """
import os, time

def spin(seconds):
    def launch():
        start = time.perf_counter()
        while time.perf_counter() - start < seconds:
            pass
    return launch

def test_spin(kernbench_benchmark):
    factor = float(os.environ.get("KB_SLOW", "1"))
    summary = kernbench_benchmark(spin(0.002 * factor), family="spin", dtype="fp32")
    assert summary.median >= 0.002 * factor
"""

GPU_TEST = """
import os, torch

def test_matmul(kernbench_benchmark):
    n = 4096
    a = torch.randn(n, n, device="cuda", dtype=torch.float16)
    b = torch.randn(n, n, device="cuda", dtype=torch.float16)
    c = torch.empty(n, n, device="cuda", dtype=torch.float16)
    repeats = int(os.environ.get("KB_SLOW", "1"))
    def launch():
        for _ in range(repeats):
            torch.matmul(a, b, out=c)
    summary = kernbench_benchmark(launch, cache="hot", family="gemm", dtype="fp16")
    torch.testing.assert_close(c.float(), (a.float() @ b.float()), rtol=2e-2, atol=1e-1)
    assert summary.median > 0
"""


def run_pytest(
    where: Path, *args: str, slow: float = 1, timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "KB_SLOW": str(slow), "PYTHONUNBUFFERED": "1"}
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "-p",
            "no:randomly",
            f"--benchmark-storage=file://{where / '.benchmarks'}",
            *args,
        ],
        cwd=where,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@pytest.fixture
def spin_project(tmp_path: Path) -> Path:
    (tmp_path / "test_spin.py").write_text(SPIN_TEST)
    return tmp_path


def test_fixture_records_kernbench_samples_on_cpu(spin_project: Path) -> None:
    out = spin_project / "run.json"
    result = run_pytest(
        spin_project,
        "--kernbench-device",
        "cpu",
        "--benchmark-save-data",
        f"--benchmark-json={out}",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "not GPU performance" in result.stdout
    (bench,) = json.loads(out.read_text())["benchmarks"]
    info = bench["extra_info"]["kernbench"]
    assert info["gpu_performance"] is False and "not GPU performance" in info["note"]
    assert info["timing_kind"] == "cpu-interpreter" and info["method"]["timer"] == "cpu-wall-clock"
    assert info["method"]["stop_reason"] and info["settings"]["min_samples"] >= GATE_SAMPLES
    stats = bench["stats"]
    assert (
        stats["iterations"] == 1
        and stats["rounds"] == len(stats["data"]) >= info["settings"]["min_samples"]
    )
    assert min(stats["data"]) >= 0.002 and 0.002 <= stats["median"] < 0.004
    (rec,) = load(str(out), spin_project).records
    assert rec.family == "spin" and rec.dtype == "fp32" and rec.timing_kind == "cpu-interpreter"
    assert rec.samples == stats["data"]


def test_compare_fail_trips_on_an_injected_slowdown(spin_project: Path) -> None:
    saved = run_pytest(
        spin_project, "--kernbench-device", "cpu", "--benchmark-autosave", "--benchmark-save-data"
    )
    assert saved.returncode == 0, saved.stdout + saved.stderr
    (first,) = (spin_project / ".benchmarks").rglob("0001_*.json")
    same = run_pytest(
        spin_project,
        "--kernbench-device",
        "cpu",
        "--benchmark-compare=0001",
        "--benchmark-compare-fail=median:100%",
    )  # loose: CI boxes are shared
    assert same.returncode == 0, same.stdout + same.stderr
    slow_json = spin_project / "slow.json"
    slow = run_pytest(
        spin_project,
        "--kernbench-device",
        "cpu",
        "--benchmark-compare=0001",
        "--benchmark-compare-fail=median:5%",
        "--benchmark-save-data",
        f"--benchmark-json={slow_json}",
        slow=2,
    )
    assert slow.returncode != 0
    assert "Performance has regressed" in slow.stdout + slow.stderr
    # kernbench compare reads both pytest-benchmark files and sees the slow-down (wall clock on
    # a shared machine inflates both sides, so only the direction is asserted).
    from kernbench.analyse.compare import compare
    from kernbench.config import GateConfig

    result = compare(
        load(str(first), spin_project).records,
        load(str(slow_json), spin_project).records,
        GateConfig(),
    )
    (pair,) = result.pairs
    assert pair.stats is not None and pair.stats.ratio > 1.3
    assert not result.gpu_performance


def test_benchmark_disable_runs_the_launch_once(spin_project: Path) -> None:
    result = run_pytest(spin_project, "--kernbench-device", "cpu", "--benchmark-disable")
    assert result.returncode == 0, result.stdout + result.stderr


def test_installed_variant_is_gated_and_timed(tmp_path: Path) -> None:
    (tmp_path / "test_variant.py").write_text(
        "def test_torch_matmul(kernbench_benchmark):\n"
        "    s = kernbench_benchmark.variant('gemm', 'torch_matmul', '64x48x32', 'fp32')\n"
        "    assert s.median > 0\n"
        "\n"
        "def test_typo(kernbench_benchmark):\n"
        "    kernbench_benchmark.variant('gemmm', 'torch_matmul', '64x48x32')\n"
        "\n"
        "def test_twice(kernbench_benchmark):\n"
        "    kernbench_benchmark(lambda: None)\n"
        "    kernbench_benchmark(lambda: None)\n"
    )
    out = tmp_path / "v.json"
    result = run_pytest(tmp_path, "--kernbench-device", "cpu", f"--benchmark-json={out}")
    assert "1 passed" in result.stdout and "2 failed" in result.stdout, (
        result.stdout + result.stderr
    )
    assert "unknown family 'gemmm'" in result.stdout and "already used" in result.stdout
    (bench,) = json.loads(out.read_text())["benchmarks"]  # failed benchmarks are not saved
    info = bench["extra_info"]["kernbench"]
    assert info["family"] == "gemm" and info["method"]["error"] is not None


@pytest.mark.gpu
def test_fixture_times_a_cuda_kernel_and_trips_on_slowdown(tmp_path: Path) -> None:
    (tmp_path / "test_gpu.py").write_text(GPU_TEST)
    first = tmp_path / "first.json"
    saved = run_pytest(
        tmp_path,
        "--kernbench-device",
        "cuda",
        "--benchmark-autosave",
        "--benchmark-save-data",
        f"--benchmark-json={first}",
    )
    assert saved.returncode == 0, saved.stdout + saved.stderr
    info = json.loads(first.read_text())["benchmarks"][0]["extra_info"]["kernbench"]
    assert info["gpu_performance"] is True and info["timing_kind"] == "gpu"
    assert info["method"]["timer"].startswith("cuda")
    slow = run_pytest(
        tmp_path,
        "--kernbench-device",
        "cuda",
        "--benchmark-compare=0001",
        "--benchmark-compare-fail=median:5%",
        slow=2,
    )
    assert slow.returncode != 0 and "Performance has regressed" in slow.stdout + slow.stderr


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("nvcc") is None, reason="needs nvcc")
def test_fixture_asserts_on_emulator_counters(tmp_path: Path) -> None:
    """32x32x32 on the naive step: 1024 threads of one output each, all lanes busy, no
    tensor cores; its B and output rows are coalesced (2 sectors per 64-byte fp16 row of a
    warp), so expecting one sector per store request is worse than counted and fails."""
    (tmp_path / "test_counted.py").write_text(
        "def test_naive(kernbench_benchmark):\n"
        "    kernbench_benchmark.variant('gemm', 'cuda_naive', '32x32x32', 'fp16')\n"
        "    assert kernbench_benchmark.counted['counters']['global_store_requests'] == 32\n"
        "    kernbench_benchmark.expect_counted(\n"
        "        lane_efficiency=1.0, global_store_sectors=64, **{'per_output.tensor_macs': 0}\n"
        "    )\n"
        "\n"
        "def test_expects_too_much(kernbench_benchmark):\n"
        "    kernbench_benchmark.variant('gemm', 'cuda_naive', '32x32x32', 'fp16')\n"
        "    kernbench_benchmark.expect_counted(global_store_sectors=32)\n"
    )
    result = run_pytest(tmp_path, "--kernbench-device", "emu", "--benchmark-disable")
    assert "1 passed" in result.stdout and "1 failed" in result.stdout, (
        result.stdout + result.stderr
    )
    assert "global_store_sectors: counted 64, expected 32 (lower is better)" in result.stdout
