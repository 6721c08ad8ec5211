"""No silent CPU fallback: with ``--device auto`` and no GPU, a GPU-sized problem is refused."""

from __future__ import annotations

from dataclasses import replace

import pytest

from kernbench.cli.common import problems_for
from kernbench.device import cpu_device, cuda_available
from kernbench.errors import UsageError
from kernbench.registry import Registry
from tests.helpers import run_cli

FALLBACK = replace(cpu_device(), fallback=True)


@pytest.fixture(scope="module")
def registry() -> Registry:
    return Registry.discover()


@pytest.mark.parametrize(
    ("family", "shape", "suggested"),
    [
        ("gemm", "4096x4096x4096", "--shape 128x128x128"),
        ("gemm", "preset:ladder", "--shape 128x128x128"),
        ("paged_attention", "preset:llama3-8b", "--shape preset:cpu-small"),
    ],
)
def test_gpu_sized_problem_on_auto_cpu_is_refused_naming_a_cpu_shape(
    registry: Registry, family: str, shape: str, suggested: str
) -> None:
    fam = registry.family(family)
    with pytest.raises(UsageError, match="GPU-sized") as err:
        problems_for(fam, [shape], FALLBACK)
    assert suggested in str(err.value) and "--device cpu" in str(err.value)
    assert fam.cpu_sized(fam.preset(fam.cpu_preset)[0], fam.cpu_dtype)


@pytest.mark.parametrize("family", ["gemm", "paged_attention"])
def test_cpu_sized_problems_and_an_explicit_cpu_device_still_run(
    registry: Registry, family: str
) -> None:
    fam = registry.family(family)
    cpu_problems = fam.preset(fam.cpu_preset)
    assert problems_for(fam, [], FALLBACK) == cpu_problems  # the default on auto->CPU
    assert problems_for(fam, [f"preset:{fam.cpu_preset}"], FALLBACK) == cpu_problems
    big = fam.preset(fam.default_preset)
    assert problems_for(fam, [f"preset:{fam.default_preset}"], cpu_device()) == big


def test_gemm_bound_is_the_cost_model_not_a_list(registry: Registry) -> None:
    gemm = registry.family("gemm")
    assert gemm.cpu_sized(gemm.parse("256x256x256"), "fp16")
    assert not gemm.cpu_sized(gemm.parse("1024x1024x1024"), "fp16")
    assert not gemm.cpu_sized(gemm.parse("1x4096x65536"), "fp16")  # few FLOPs, many bytes


@pytest.mark.skipif(cuda_available(), reason="auto picks the GPU here")
def test_quickstart_command_without_gpu_exits_2_with_one_line(tmp_path) -> None:
    """The README's ``bench gemm --shape 4096x4096x4096`` ran 10+ minutes on the CPU before."""
    res = run_cli(
        "bench",
        "gemm",
        "--shape",
        "4096x4096x4096",
        "--dtype",
        "bf16",
        "--store",
        str(tmp_path),
        timeout=300,
    )
    assert res.returncode == 2
    (line,) = res.stderr.strip().splitlines()
    assert "GPU-sized" in line and "--shape 128x128x128" in line and "Traceback" not in line
    assert not (tmp_path / "kernbench.sqlite3").exists()
