"""The Triton static check: compiled for sm_90 without a GPU, limits enforced, results cached."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from kernbench_kernels.gemm.triton_naive import gemm_naive_kernel

from kernbench.backends import triton as tb
from kernbench.registry import Registry
from kernbench.staticcheck import HOPPER, check
from tests.helpers import gone_within, run_without_interpreter

pytestmark = pytest.mark.xdist_group("triton_static")  # the module cache serves one worker

LADDER = (
    "triton_naive",
    "triton_grouped",
    "triton_pipelined",
    "triton_splitk",
    "triton_persistent",
    "triton_tma",
)


@pytest.fixture(scope="module")
def registry() -> Registry:
    reg = Registry()
    reg.add_reference("kernbench_kernels.gemm:PLUGIN")
    return reg


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory):
    """A private compile cache, so these tests really compile."""
    path = tmp_path_factory.mktemp("kernbench-cache")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("KERNBENCH_CACHE", str(path))
        yield path


@pytest.mark.parametrize("name", LADDER)
def test_every_variant_reports_registers_and_shared_memory_at_sm90(registry, cache, name):
    variant = registry.variant(name)
    gemm = registry.family("gemm")
    config = variant.default_configs()[0]
    result = check(variant, gemm.parse("4096x4096x4096"), config, "bf16", HOPPER)
    assert result.ok, result.reason
    assert result.resources, "a Triton variant must report what it compiled"
    main = result.resources[0]
    assert 0 < main.registers <= HOPPER.registers_per_thread
    assert main.threads == 32 * int(config.get("num_warps", 4))
    if "num_stages" in config:  # pipelined steps stage operand tiles in shared memory
        assert main.shared_bytes >= int(config["num_stages"]) * 2 * 64 * 64


def test_over_227_kib_of_shared_memory_is_rejected(registry, cache):
    variant = registry.variant("triton_pipelined")
    config = {
        "BLOCK_M": 128,
        "BLOCK_N": 256,
        "BLOCK_K": 128,
        "GROUP_M": 8,
        "num_stages": 5,
        "num_warps": 8,
    }
    assert variant.space.is_valid(config)  # the space allows it: only compiling tells
    result = check(variant, registry.family("gemm").parse("8192x8192x8192"), config, "bf16", HOPPER)
    assert not result.ok
    assert "shared memory" in result.reason and str(HOPPER.shared_per_block) in result.reason
    assert result.resources[0].shared_bytes > 227 * 1024


def test_cache_hit_does_not_compile_again(registry, cache, monkeypatch):
    variant = registry.variant("triton_naive")
    problem = registry.family("gemm").parse("512x512x512")
    config = variant.default_configs()[0]
    first = check(variant, problem, config, "fp16", HOPPER)
    assert first.ok and list(cache.glob("triton/*.json")) and list(cache.glob("triton/*.cubin"))

    def no_compile(*args, **kwargs):
        raise AssertionError("compiled again despite a cached result")

    monkeypatch.setattr(tb, "_compile_elsewhere", no_compile)
    monkeypatch.setattr(tb, "compile_spec", no_compile)
    assert check(variant, problem, config, "fp16", HOPPER).resources == first.resources
    other = {**config, "BLOCK_K": 64}  # a new config is a new key
    with pytest.raises(AssertionError, match="compiled again"):
        variant.static_check(problem, other, "fp16", HOPPER)


def test_arguments_are_typed_the_way_triton_specialises_them():
    call = tb.KernelCall(
        gemm_naive_kernel, (1,), {"BLOCK_M": 64, "BLOCK_N": 64, "BLOCK_K": 32, "HAS_C": False}
    )
    args = {
        "a_ptr": "*bf16",
        "b_ptr": "*bf16",
        "c_ptr": "*bf16",
        "out_ptr": "*bf16",
        "M": 1,
        "N": 4096,
        "K": 100,
        "stride_am": 100,
        "stride_ak": 1,
        "stride_bk": 4096,
        "stride_bn": 1,
        "stride_cm": 4096,
        "stride_cn": 1,
        "stride_om": 4096,
        "stride_on": 1,
        "alpha": 1.0,
        "beta": 0.0,
        "unused": 7,
    }
    spec = tb.spec_for(call, args, HOPPER)
    assert list(spec.signature)[:4] == ["a_ptr", "b_ptr", "c_ptr", "out_ptr"]
    assert spec.signature["a_ptr"] == "*bf16" and spec.signature["alpha"] == "fp32"
    assert spec.signature["M"] == "constexpr" and spec.constexprs["M"] == 1  # ints equal to 1
    assert spec.signature["K"] == "i32" and "K" not in spec.divisible
    assert "N" in spec.divisible and "a_ptr" in spec.divisible
    assert spec.arch == 90 and spec.options == {"num_warps": 4, "num_stages": 1}
    assert spec.key() != tb.spec_for(call, {**args, "K": 128}, HOPPER).key()
    with pytest.raises(TypeError, match="no value for argument"):
        tb.spec_for(call, {k: v for k, v in args.items() if k != "K"}, HOPPER)


def _without_interpreter(args: list[str], tmp_path) -> str:
    """Run tests/backends/triton_jit_keys.py where kernels are real JITFunctions."""
    from pathlib import Path

    env = {"TRITON_CACHE_DIR": str(tmp_path / "triton"), "KERNBENCH_CACHE": str(tmp_path / "kb")}
    return run_without_interpreter(Path(__file__).with_name("triton_jit_keys.py"), *args, env=env)


ATTENTION = ("triton_single_pass", "triton_split_kv", "triton_cascade")


@pytest.mark.parametrize(
    ("shape", "names"),
    [
        ("4096x4096x4096", LADDER),
        ("777x1032x520", LADDER),
        ("batch=16,context=4096,q_heads=32,kv_heads=8,head_dim=128", ATTENTION[:2]),
        ("batch=4,context=300,q_heads=8,kv_heads=2,shared_prefix=1024", ATTENTION),
    ],
    ids=["gemm-square", "gemm-odd", "attention", "attention-prefix"],
)
def test_the_static_check_compiles_under_the_key_the_jit_looks_up(shape, names, tmp_path):
    # Each launched kernel: the key Triton's cache stores the static check's compilation
    # under equals the key the JIT computes at the first launch of the same config.
    import json

    pairs = json.loads(_without_interpreter([shape, *names], tmp_path))
    assert set(pairs) == set(names)
    for name, keys in pairs.items():
        assert keys and all(static == jit for static, jit in keys), (name, keys)


def test_a_jit_launch_after_the_static_check_finds_its_kernel_in_the_cache(tmp_path):
    out = _without_interpreter(["--hit", "777x1032x520", "triton_pipelined"], tmp_path)
    assert out == "true"


@pytest.fixture
def check_fresh(registry, tmp_path, monkeypatch):
    """Statically checks the next triton_naive config on the CPU device, into an empty cache
    (so it really compiles); returns the compiler process's pid."""
    if not tb._interpreting():
        pytest.skip("the compiler process serves the interpreted (CPU) device")
    monkeypatch.setenv("KERNBENCH_CACHE", str(tmp_path))
    variant = registry.variant("triton_naive")
    problem = registry.family("gemm").parse("96x96x96")
    configs = iter(variant.space)

    def check_next() -> int:
        assert check(variant, problem, next(configs), "fp16", HOPPER).ok
        assert tb._COMPILER is not None
        return tb._COMPILER.proc.pid

    return check_next


def test_the_cpu_device_compiles_in_one_kept_process(check_fresh):
    """Under the interpreter the check compiles elsewhere: one process for every check, not one each."""
    first = check_fresh()
    assert check_fresh() == first


def test_a_killed_compiler_process_is_replaced_at_the_next_check(check_fresh):
    dead = check_fresh()
    assert tb._COMPILER is not None
    tb._COMPILER.proc.kill()
    tb._COMPILER.proc.wait()
    assert check_fresh() != dead


def test_the_compiler_process_ends_with_its_parent(tmp_path):
    """A SIGKILLed harness leaves no compiler behind: the process exits when its input closes."""
    code = (
        "import os, sys, time\n"
        "from kernbench.backends import triton as tb\n"
        "from kernbench.registry import Registry\n"
        "from kernbench.staticcheck import HOPPER, check\n"
        "r = Registry.discover(); v = r.variant('triton_naive')\n"
        "assert check(v, r.family('gemm').parse('48x48x48'), v.default_configs()[0], 'fp16', HOPPER).ok\n"
        "print(tb._COMPILER.proc.pid, flush=True); time.sleep(60)\n"
    )
    env = {**os.environ, "TRITON_INTERPRET": "1", "KERNBENCH_CACHE": str(tmp_path)}
    parent = subprocess.Popen(
        [sys.executable, "-c", code], stdout=subprocess.PIPE, text=True, env=env
    )
    assert parent.stdout is not None
    pid = int(parent.stdout.readline())
    parent.kill()
    parent.wait()
    assert gone_within(pid, 10.0), "the compiler process outlived its SIGKILLed parent"
