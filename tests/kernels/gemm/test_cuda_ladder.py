"""The CUDA C++ GEMM ladder, steps 1-7.

Without a GPU: each step compiles for sm_80 at its defaults and at the corners of its space,
ptxas reports no spills, the static check accepts it for Hopper, its SASS has the
instructions the step claims (and the earlier steps lack them), and it passes the gate on
the PTX emulator. On a GPU: each step is correct through the harness in bf16 and fp16 on
square and irregular shapes.
"""

from __future__ import annotations

import importlib
import os
import random
import re

import pytest
from kernbench_kernels.gemm.cuda_ladder import SM80_STEPS

from kernbench.registry import Registry
from kernbench.space import Config, Space
from kernbench.staticcheck import HOPPER, Target, check
from kernbench.variant import Unsupported, Variant

pytestmark = pytest.mark.xdist_group("cuda_ladder")  # the module cache serves one worker

STEPS = SM80_STEPS
AMPERE = Target(arch="sm_80", compute_capability=(8, 0), shared_per_block=163 * 1024)

# SASS each step must contain, from the step that introduces it on (regular expressions):
# tensor-core mma, 128-bit global loads (into registers, or into shared memory by cp.async),
# cp.async itself, ldmatrix.
CLAIMS = {r"HMMA\.16816": 3, r"LDG(STS)?\.E(\.BYPASS)?\.128": 4, r"LDGSTS": 5, r"LDSM": 6}


@pytest.fixture(scope="module", autouse=True)
def cuda_cache(tmp_path_factory):
    """One compile cache for the module: corners and SASS checks share compilations."""
    old = os.environ.get("KERNBENCH_CUDA_CACHE")
    os.environ["KERNBENCH_CUDA_CACHE"] = str(tmp_path_factory.mktemp("cuda-cache"))
    yield
    if old is None:
        os.environ.pop("KERNBENCH_CUDA_CACHE")
    else:
        os.environ["KERNBENCH_CUDA_CACHE"] = old


@pytest.fixture(scope="module")
def registry() -> Registry:
    return Registry.discover()


def step(registry: Registry, name: str) -> Variant:
    return registry.variant(name)


def problem(registry: Registry, text: str):
    return registry.family("gemm").parse(text)


def corners(space: Space, default: Config) -> list[Config]:
    """Every parameter at its lowest and highest value, in the valid config nearest the default.

    The full product of extremes is mostly invalid (too much shared memory, warp tiles
    that do not divide), so each extreme is reached with as few other changes as possible.
    """
    valid = list(space)
    chosen: list[Config] = []
    for p in space.params:
        for extreme in (p.values[0], p.values[-1]):
            options = [c for c in valid if c[p.name] == extreme]
            if not options:
                continue
            best = min(options, key=lambda c: sum(c[k] != default[k] for k in c))
            if best not in chosen:
                chosen.append(best)
    return chosen


def test_ladder_metadata(registry):
    for order, name in enumerate(STEPS, start=1):
        v = step(registry, name)
        assert (v.family, v.language, v.order) == ("gemm", "cuda", order)
        assert v.dtypes == ("fp16", "bf16") and v.requires.devices == frozenset({"cuda", "emu"})
        assert len(v.description) > 200, f"{name} explains itself in a paragraph"
        assert v.static_check is not None and any(s.suffix == ".cu" for s in v.sources)
        assert v.space.size() > 10, f"{name} has something to tune"


@pytest.mark.parametrize("name", STEPS)
@pytest.mark.parametrize("dtype", ["bf16", "fp16"])
def test_defaults_compile_without_spills_and_fit_hopper(registry, name, dtype):
    v = step(registry, name)
    prob = problem(registry, "4096x4096x4096")
    for config in v.default_configs():
        for target in (AMPERE, HOPPER):
            result = check(v, prob, config, dtype, target)
            assert result.ok, f"{name} {config} on {target.arch}: {result.reason}"
            [res] = result.resources
            assert res.spill_bytes == 0 and res.local_bytes == 0, f"{name} {config} spills: {res}"


@pytest.mark.slow
@pytest.mark.parametrize("name", STEPS)
def test_corners_compile_without_spills(registry, name):
    v = step(registry, name)
    prob = problem(registry, "4096x4096x4096")
    configs = corners(v.space, v.default_configs()[0])
    assert len(configs) >= len(v.space.params)
    for config in configs:
        result = check(v, prob, config, "bf16", HOPPER)
        [res] = result.resources
        assert res.spill_bytes == 0 and res.local_bytes == 0, f"{name} {config} spills: {res}"
        assert result.ok, f"{name} {config}: {result.reason}"
        arch_ok = check(v, prob, config, "bf16", Target(arch="sm_80"))
        assert arch_ok.resources, f"{name} {config} compiles for sm_80"


def _sass(registry, name: str, dtype: str = "bf16") -> str:
    """The SASS of a step's default config, through the step module's kernel plan."""
    v = step(registry, name)
    plan = importlib.import_module(f"kernbench_kernels.gemm.{name}").plan
    build = plan(problem(registry, "512x512x512"), v.default_configs()[0], dtype)
    return build.compile("sm_80").sass()


@pytest.mark.parametrize("name", STEPS)
def test_sass_has_what_the_step_claims(registry, name):
    order = step(registry, name).order
    sass = _sass(registry, name)
    for instruction, introduced in CLAIMS.items():
        if order >= introduced:
            assert re.search(instruction, sass), f"step {order} ({name}) lacks {instruction}"
        else:
            assert not re.search(instruction, sass), (
                f"step {order} ({name}) already has {instruction}"
            )
    if order >= 3:
        mma = "HMMA.16816.F32.BF16"
        assert mma in sass, "bf16 inputs use the bf16 mma"
        assert "HMMA.16816.F32" in _sass(registry, name, "fp16")


def test_epilogue_through_shared_memory_stores_16_bytes(registry):
    assert "STG.E.128" in _sass(registry, "cuda_tuned")
    assert "STG.E.128" not in _sass(registry, "cuda_ldmatrix")


def _cpu_inputs(registry, text: str, dtype: str = "fp16"):
    gemm = registry.family("gemm")
    prob = gemm.parse(text)
    return prob, gemm.make_inputs(prob, dtype, "cpu", seed=0)


@pytest.mark.parametrize("name", STEPS[3:])
def test_vector_steps_refuse_unaligned_shapes_with_a_reason(registry, name):
    v = step(registry, name)
    prob, inputs = _cpu_inputs(registry, "64x100x64")
    with pytest.raises(Unsupported, match="K and N must be multiples of 8"):
        v.build(prob, v.default_configs()[0], inputs)


@pytest.mark.parametrize("name", STEPS)
def test_column_major_operands_are_unsupported(registry, name):
    v = step(registry, name)
    prob, inputs = _cpu_inputs(registry, "64x64x64,layout_b=col")
    with pytest.raises(Unsupported, match="row-major"):
        v.build(prob, v.default_configs()[0], inputs)


# --- on a GPU ---------------------------------------------------------------------------

SQUARE = ("256x256x256", "1024x1024x1024")
IRREGULAR_ANY = ("77x129x65", "1x300x17")  # steps 1-3 take any shape
IRREGULAR_ALIGNED = ("333x136x200", "1000x1032x4104", "5x8x8")  # K, N multiples of 8
SCALED = "200x264x96,alpha=0.5,beta=2.0"


def _measure(registry, name: str, text: str, dtype: str, config: Config | None = None, device=None):
    from kernbench.device import cuda_device
    from kernbench.measure.run import Candidate, measure
    from kernbench.measure.settings import QUICK

    v = step(registry, name)
    cand = Candidate("gemm", name, text, dtype, dict(config or v.default_configs()[0]))
    return measure(registry, device or cuda_device(), cand, QUICK)


@pytest.mark.gpu
@pytest.mark.parametrize("name", STEPS)
@pytest.mark.parametrize("dtype", ["bf16", "fp16"])
def test_correct_on_square_and_irregular_shapes(registry, name, dtype):
    order = step(registry, name).order
    shapes = SQUARE + IRREGULAR_ALIGNED + (SCALED,) + (IRREGULAR_ANY if order <= 3 else ())
    for text in shapes:
        outcome = _measure(registry, name, text, dtype)
        assert outcome.status == "ok", f"{name} {dtype} {text}: {outcome.status} {outcome.message}"


@pytest.mark.gpu
@pytest.mark.parametrize("name", STEPS[3:])
def test_vector_steps_report_unaligned_shapes_unsupported_on_gpu(registry, name):
    outcome = _measure(registry, name, "77x129x65", "bf16")
    assert outcome.status == "unsupported" and "multiples of 8" in outcome.message


@pytest.mark.gpu
@pytest.mark.parametrize("name", STEPS)
def test_random_configs_are_correct(registry, name):
    """Configs away from the defaults (what the tuner will try) pass the gate too."""
    from kernbench.device import cuda_device

    v = step(registry, name)
    rng = random.Random(name)
    configs = rng.sample(list(v.space), 4) + corners(v.space, v.default_configs()[0])[:4]
    text = "77x129x65" if v.order <= 3 else "333x136x200"
    target = Target.for_device(cuda_device())
    for config in configs:
        if not check(v, problem(registry, text), config, "bf16", target).ok:
            continue  # over this GPU's limits: the harness would reject it before launching
        outcome = _measure(registry, name, text, "bf16", config)
        assert outcome.status == "ok", f"{name} {config}: {outcome.status} {outcome.message}"


# --- on the PTX emulator (any machine) ---------------------------------------------------

EMU_ANY = ("96x80x64", "77x129x65")
EMU_ALIGNED = ("96x80x64", "40x136x72")
EMU_SCALED = "48x64x32,alpha=0.5,beta=2.0"


@pytest.mark.slow
@pytest.mark.parametrize("name", STEPS)
def test_correct_on_the_emulator(registry, emu, name):
    """Each step passes the gate on the emulator at its default, bf16 and fp16, irregular
    shapes and a scaled epilogue (the full matrix of the issue runs with -m heavy)."""
    shapes = (EMU_ANY if step(registry, name).order <= 3 else EMU_ALIGNED) + (EMU_SCALED,)
    for dtype, text in zip(("bf16", "fp16", "bf16"), shapes, strict=True):
        outcome = _measure(registry, name, text, dtype, device=emu)
        assert outcome.status == "ok", f"{name} {dtype} {text}: {outcome.status} {outcome.message}"
        [launch] = outcome.method["emulator"]["launches"]
        assert launch["thread_instructions"] > 0 and outcome.method["timer"] == "emulator"


EMU_FULL = ("96x80x64", "77x129x65", "128x128x128", "256x256x256")


@pytest.mark.heavy
@pytest.mark.parametrize("name", STEPS)
@pytest.mark.parametrize("dtype", ["bf16", "fp16"])
def test_emulator_full_matrix(registry, emu, name, dtype):
    """Issue 23's matrix: default and 3 other configs, four shapes, both dtypes, and a scaled
    epilogue; a shape a step cannot take must be refused as unsupported, never wrong."""
    v = step(registry, name)
    rng = random.Random(name)
    target = Target.for_device(emu)
    space = list(v.space)
    others = [c for c in rng.sample(space, min(40, len(space))) if c != v.default_configs()[0]]
    configs = [v.default_configs()[0]]
    for config in others:
        if len(configs) == 4:
            break
        if check(v, problem(registry, "256x256x256"), config, dtype, target).ok:
            configs.append(config)
    for config in configs:
        for text in (*EMU_FULL, "128x128x128,alpha=0.5,beta=2.0"):
            outcome = _measure(registry, name, text, dtype, config, device=emu)
            if outcome.status == "unsupported":
                assert v.order >= 4 and "multiples of 8" in outcome.message
                continue
            assert outcome.status == "ok", f"{name} {config} {text}: {outcome.message}"
