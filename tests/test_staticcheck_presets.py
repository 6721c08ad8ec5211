"""Every variant's static check on the preset problems of both families, for the sm_90 target.

A static check may accept, reject (over a limit) or call a problem unsupported; it must never
raise, since an exception there is a bug that the pipeline records as ``compile_error``. The
default run covers the CPU preset and the first problem of the GPU default preset with every
variant but the CUTLASS ones (whose first build takes minutes); ``-m heavy`` runs every
problem of every preset (under the interpreter each Triton compile is a subprocess: hours).
"""

from __future__ import annotations

import pytest

from kernbench.measure.outcome import Status
from kernbench.problem import Problem
from kernbench.registry import Registry
from kernbench.staticcheck import HOPPER, check
from kernbench.variant import Variant

FAMILIES = ("gemm", "paged_attention")
SLOW_LANGUAGES = ("cutlass",)
"""First builds of these take minutes each: the heavy run only."""


@pytest.fixture(scope="module")
def registry() -> Registry:
    """The user's compile cache, as the commands use it: a cached check is the same check (its
    key is the source, flags and target), and a cold cache costs minutes on two cores."""
    return Registry.discover()


def _variants(registry: Registry, family: str, *, heavy: bool) -> list[Variant]:
    out = {v.name: v for v in [*registry.select(family, []), *registry.baselines(family)]}
    return [v for v in out.values() if heavy or v.language not in SLOW_LANGUAGES]


def _problems(registry: Registry, family: str, *, heavy: bool) -> list[Problem]:
    fam = registry.family(family)
    seen: dict[str, Problem] = {}
    for name, texts in fam.presets.items():
        if heavy or name == fam.cpu_preset:
            chosen = texts
        elif name == fam.default_preset:
            chosen = texts[:1]
        else:
            continue
        for text in chosen:
            problem = fam.parse(text)
            seen.setdefault(problem.key, problem)
    return list(seen.values())


def _faults(registry: Registry, family: str, *, heavy: bool) -> list[str]:
    dtype = registry.family(family).default_dtype
    faults = []
    for problem in _problems(registry, family, heavy=heavy):
        for variant in _variants(registry, family, heavy=heavy):
            if not variant.supports_dtype(dtype):
                continue
            result = check(variant, problem, variant.default_configs()[0], dtype, HOPPER)
            if result.status == Status.COMPILE_ERROR or (result.ok and result.reason):
                faults.append(f"{variant.name} on {problem.key}: {result.reason}")
    return faults


@pytest.mark.slow
@pytest.mark.parametrize("family", FAMILIES)
def test_static_checks_never_raise_on_preset_problems(registry: Registry, family: str) -> None:
    assert _faults(registry, family, heavy=False) == []


@pytest.mark.heavy
@pytest.mark.parametrize("family", FAMILIES)
def test_static_checks_never_raise_on_any_preset_problem(registry: Registry, family: str) -> None:
    assert _faults(registry, family, heavy=True) == []


def test_cascade_without_a_shared_prefix_is_unsupported_not_rejected(registry: Registry) -> None:
    variant = registry.variant("triton_cascade")
    problem = registry.family("paged_attention").parse(
        "batch=2,context=64,q_heads=8,kv_heads=2,head_dim=64"
    )
    result = check(variant, problem, variant.default_configs()[0], "fp16", HOPPER)
    assert not result.ok and result.status == Status.UNSUPPORTED
    assert "shared prefix" in result.reason
