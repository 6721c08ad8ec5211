"""Stores to build reports from.

``cpu_results`` and ``cpu_results_again`` are made by the real pipeline (``kernbench bench``
and ``kernbench tune`` on the CPU device): two stores of one device, for the history page.
``gpu_like_results`` holds hand-made records that claim an H100, with synthetic seeded
samples, built through the store API and labelled synthetic in their provenance: they exist
only to check the report's arithmetic and layout with ceilings, which CPU records never get,
and they never leave the test's temporary directory.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from kernbench.measure.stats import summarize
from kernbench.store import Record, open_store
from tests.helpers import built_once, run_cli

H100 = {
    "kind": "cuda",
    "name": "NVIDIA H100 80GB HBM3",
    "timing_kind": "gpu",
    "driver": "test",
    "compute_capability": [9, 0],
    "sm_count": 132,
}
REPLAY = {"kind": "replay", "name": "replay of NVIDIA H100 80GB HBM3", "timing_kind": "replay"}
SYNTHETIC = {"command": "synthetic test fixture (not a measurement)", "commit": "", "versions": {}}
GEMM_4K = "m=4096,n=4096,k=4096,layout_a=row,layout_b=row,alpha=1.0,beta=0.0"
GEMM_4K_FLOPS = 2.0 * 4096**3
GEMM_4K_BYTES = 3.0 * 4096**2 * 2


def synthetic(
    family: str,
    variant: str,
    problem: str,
    dtype: str,
    flops: float,
    nbytes: float,
    median: float,
    *,
    baseline: bool = False,
    config: dict | None = None,
    seed: int = 0,
    device: dict | None = None,
    study: str = "",
) -> Record:
    noise = 0.002 * np.random.default_rng(seed).standard_normal(41)
    samples = [
        float(median * (1 + x)) for x in noise - np.median(noise)
    ]  # the middle one is the median
    stats = summarize(samples).as_dict()
    return Record(
        family=family,
        variant=variant,
        problem=problem,
        dtype=dtype,
        config=config or {},
        status="ok",
        language="triton",
        baseline=baseline,
        samples=samples,
        stats=stats,
        flops=flops,
        bytes=nbytes,
        device=dict(device or H100),
        provenance=dict(SYNTHETIC),
        run_id="synthetic",
        study=study,
    )


def decode(batch: int, context: int) -> tuple[str, float, float]:
    """A paged decode problem (32 q / 8 kv heads of 128, fp16) with its FLOPs and bytes."""
    flops = 4.0 * batch * 32 * context * 128
    nbytes = 2.0 * batch * context * 8 * 128 * 2 + 2 * batch * 32 * 128 * 2
    return (
        f"batch={batch},context={context},q_heads=32,kv_heads=8,head_dim=128,block=16",
        flops,
        nbytes,
    )


def _bench_naive(out: Path) -> None:
    """A real CPU bench of ladder step 1 and its baselines at 64x64x64, into ``out``."""
    bench = run_cli(
        "bench", "gemm", "--device", "cpu", "--shape", "64x64x64", "-v", "triton_naive",
        "--store", str(out),
    )  # fmt: skip
    assert bench.returncode == 0, bench.stderr


def _bench_and_tune_naive(out: Path) -> None:
    _bench_naive(out)
    tune = run_cli(
        "tune",
        "gemm",
        "--device",
        "cpu",
        "--shape",
        "64x64x64",
        "--variant",
        "triton_naive",
        "--trials",
        "3",
        "--out",
        str(out),
    )
    assert tune.returncode == 0, tune.stderr


# The stores made by real runs are shared by the xdist workers (``built_once``): the report
# tests of every module read them, and each takes tens of seconds of CLI runs to make.


@pytest.fixture(scope="session")
def cpu_results(pytestconfig: pytest.Config, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return built_once(pytestconfig, tmp_path_factory, "cpu-results", _bench_and_tune_naive)


@pytest.fixture(scope="session")
def cpu_results_again(
    pytestconfig: pytest.Config, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    """A second real CPU run of one ladder step and its baselines: history across two stores."""
    return built_once(pytestconfig, tmp_path_factory, "cpu-results-again", _bench_naive)


@pytest.fixture(scope="session")
def gpu_like_results(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("gpu-like-results")
    store = open_store(out)
    f, b = GEMM_4K_FLOPS, GEMM_4K_BYTES
    store.add(synthetic("gemm", "torch_matmul", GEMM_4K, "bf16", f, b, f / 700e12, baseline=True))
    store.add(synthetic("gemm", "cutlass_sm90", GEMM_4K, "bf16", f, b, f / 750e12, baseline=True))
    # A replayed trial (tune --device replay:): it belongs on the tuning page only.
    store.add(
        synthetic(
            "gemm",
            "triton_grouped",
            GEMM_4K,
            "bf16",
            f,
            b,
            f / 300e12,
            config={"BLOCK_M": 64},
            device=REPLAY,
            study="gemm/triton_grouped/replayed",
        )
    )
    store.add(
        synthetic(
            "gemm",
            "triton_naive",
            GEMM_4K,
            "bf16",
            f,
            b,
            f / 350e12,
            config={"BLOCK_M": 128, "BLOCK_N": 128, "BLOCK_K": 64},
        )
    )
    for i, (batch, context, tbs) in enumerate(
        [(1, 1024, 1.0), (1, 8192, 2.0), (16, 1024, 1.5), (16, 8192, 2.5), (1, 128, 5.0)]
    ):
        problem, flops, nbytes = decode(batch, context)
        store.add(
            synthetic(
                "paged_attention",
                "triton_paged",
                problem,
                "fp16",
                flops,
                nbytes,
                nbytes / (tbs * 1e12),
                config={"BLOCK_N": 64},
                seed=i,
            )
        )
        store.add(
            synthetic(
                "paged_attention",
                "torch_reference",
                problem,
                "fp16",
                flops,
                nbytes,
                nbytes / (0.8 * tbs * 1e12),
                baseline=True,
                seed=10 + i,
            )
        )
    store.close()
    return out


EMU_STEPS = ("cuda_mma", "cuda_vectorized", "cuda_ldmatrix")


def _bench_emulated(out: Path) -> None:
    steps = [arg for name in EMU_STEPS for arg in ("-v", name)]
    bench = run_cli(
        "bench", "gemm", "--device", "emu", *steps, "--shape", "128x128x64", "--no-baselines",
        "--no-isolate",
        "--out", str(out),
    )  # fmt: skip
    assert bench.returncode == 0, bench.stdout + bench.stderr


@pytest.fixture(scope="session")
def emu_results(pytestconfig: pytest.Config, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Three CUDA ladder steps run by the real pipeline on the emulated device (needs nvcc):
    records with the emulator's counters, for the ladder-counters page."""
    import shutil

    if shutil.which("nvcc") is None:
        pytest.skip("needs nvcc")
    return built_once(pytestconfig, tmp_path_factory, "emu-results", _bench_emulated)
