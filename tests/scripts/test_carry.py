"""The carry folder: prebuilt CUTLASS libraries and cubins serve a fresh cache with no compiler
run, a mismatched one is rebuilt and said so, and everything fits what the device tool carries."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import carry
import pytest

from kernbench.backends import nvcc_lib

from .conftest import GPU_SCRIPTS, ROOT

pytestmark = [
    pytest.mark.skipif(nvcc_lib.find_nvcc() is None, reason="needs nvcc (no GPU)"),
    pytest.mark.xdist_group("carry"),  # one worker prepares the module's carry, not each
]
VARIANTS = ["cuda_naive", "cutlass_sm80"]
"""One cubin and one CUTLASS library (about 40 s of nvcc here): enough to prove the round trip."""


def script(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(GPU_SCRIPTS / "carry.py"), *args],
        capture_output=True, text=True, cwd=ROOT, timeout=900, env={**os.environ, **(env or {})},
    )  # fmt: skip


@pytest.fixture(scope="module")
def prepared(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("carry")
    args = ["prepare", str(folder), "--no-wheels", "--jobs", "2"]
    # The emulated verdicts of one step on one tiny problem: the stage runs, and is counted.
    args += ["--emu-variant", "cuda_naive", "--emu-shape", "gemm=33x17x20", "--emu-dtype", "bf16"]
    proc = script(*args, *[a for v in VARIANTS for a in ("--variant", v)])
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return folder


def checked(
    prepared: Path, cache: Path, *variants: str, compiler: str = "nvcc"
) -> tuple[str, dict]:
    """Seed a fresh cache from the carry folder, then walk first light's static checks there."""
    env = {"KERNBENCH_CUDA_CACHE": str(cache), "KERNBENCH_CUDA_COMPILER": compiler}
    seeded = script("seed", str(prepared), "--cache", str(cache), env=env)
    assert seeded.returncode == 0, seeded.stderr
    report = cache.parent / f"report-{compiler}.json"
    args = ["check", "--json", str(report), *[a for v in variants for a in ("--variant", v)]]
    proc = script(*args, env=env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return seeded.stdout + proc.stdout + proc.stderr, json.loads(report.read_text())


@pytest.mark.slow
def test_prepared_artefacts_serve_a_fresh_cache_without_compiling(
    prepared: Path, tmp_path: Path
) -> None:
    manifest = json.loads((prepared / "manifest.json").read_text())
    assert manifest["compiler"].startswith("nvcc ") and not manifest["failed"]
    assert list((prepared / "cuda-cache").glob("cuda_naive-sm_90-*.cubin"))
    assert list((prepared / "cuda-cache" / "lib").glob("*.so"))
    cache = tmp_path / "fresh"
    log, report = checked(prepared, cache, *VARIANTS)
    assert report["built"] == [] and report["used"] > 0 and not report["failed"], log
    assert "(match)" in log
    after = {p.name for p in cache.rglob("*") if p.suffix in (".cubin", ".so")}
    carried = {
        p.name for p in (prepared / "cuda-cache").rglob("*") if p.suffix in (".cubin", ".so")
    }
    assert after == carried  # nothing new: no compiler ran


@pytest.mark.slow
def test_artefact_of_another_compiler_is_rebuilt_and_logged(prepared: Path, tmp_path: Path) -> None:
    from kernbench.backends.cuda_compile import CudaUnavailable, Nvrtc

    try:
        Nvrtc()
    except CudaUnavailable as exc:
        pytest.skip(f"needs a second compiler: {exc}")
    log, report = checked(prepared, tmp_path / "fresh", "cuda_naive", compiler="nvrtc")
    assert "DIFFER" in log and "built here: cuda_naive" in log
    # One cubin serves cuda_naive's default on every problem: built once, then found.
    assert len(report["built"]) == 1 and not report["failed"]


def test_carry_and_tree_fit_the_device_tool(prepared: Path) -> None:
    """The carried folder (a real .gpu-carry if prepared here) plus the tracked tree <= 64 MiB."""
    verdicts = json.loads((prepared / "emu" / "verdicts.json").read_text())
    assert verdicts["variants"]["gemm/cuda_naive"]["by_dtype"]["bf16"]["status"] == "ok"
    tree = carry.tree_size(ROOT)
    assert tree + carry.size(prepared) <= carry.CARRY_LIMIT
    real = ROOT / ".gpu-carry"
    if real.is_dir():
        assert tree + carry.size(real) <= carry.CARRY_LIMIT


def test_first_lights_problems_all_get_a_static_check() -> None:
    jobs = carry.jobs(["cuda_tuned", "cuda_split_kv"])
    problems = {(j.variant, j.problem.split(",")[0]) for j in jobs}
    assert ("cuda_tuned", "m=8192") in problems and ("cuda_tuned", "m=4095") in problems
    assert any(v == "cuda_split_kv" for v, _ in problems)
    assert all(j.dtype == "bf16" for j in jobs)
