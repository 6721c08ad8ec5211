"""Run without ``TRITON_INTERPRET``: for each Triton variant named, the Triton cache key its static
check compiles under and the key Triton's JIT computes at its first launch on real tensors.

Prints one JSON object {variant: [[static, jit], ...]} (one pair of key digests per launched
kernel: the digest names Triton's cache folder). The JIT
side follows ``JITFunction.run`` for the launch ``build`` prepares: the same binder, with the
tensors and ints of the real call, on an sm_90 target (no GPU is needed to compute a key).
"""

from __future__ import annotations

import hashlib
import json
import sys
from typing import Any

import triton
from kernbench_kernels.attention import triton_common as attention_common
from kernbench_kernels.gemm import triton_common as gemm_common
from kernbench_kernels.gemm.family import GEMM
from triton import knobs
from triton.compiler import ASTSource, make_backend
from triton.compiler.compiler import get_cache_invalidating_env_vars
from triton.runtime.cache import get_cache_key
from triton.runtime.jit import create_function_from_signature

from kernbench.backends import triton as tb
from kernbench.registry import Registry
from kernbench.staticcheck import HOPPER

REGISTRY = Registry.discover()


def jit_source(kernel: Any, kwargs: dict[str, Any]) -> tuple[Any, Any, Any]:
    """(source, options, backend) as ``JITFunction.run`` builds them for a launch with ``kwargs``."""
    backend = make_backend(tb._gpu_target(90))
    kwargs = dict(kwargs)
    kwargs["debug"] = kwargs.get("debug", kernel.debug) or knobs.runtime.debug
    kwargs["instrumentation_mode"] = knobs.compilation.instrumentation_mode
    if hasattr(knobs.compilation, "fpsan_homomorphic_casts"):  # triton 3.9; not in 3.6
        kwargs["fpsan_homomorphic_casts"] = knobs.compilation.fpsan_homomorphic_casts
    binder = create_function_from_signature(kernel.signature, kernel.params, backend)
    bound, specialization, options = binder(**kwargs)
    options, signature, constexprs, attrs = kernel._pack_args(
        backend, kwargs, bound, specialization, options
    )
    return ASTSource(kernel, signature, constexprs, attrs), options, backend


def jit_key(kernel: Any, kwargs: dict[str, Any]) -> str:
    """The key ``triton.compile`` forms for the JIT's first launch with ``kwargs``."""
    src, options, backend = jit_source(kernel, kwargs)
    parsed = backend.parse_options(options.__dict__)
    return str(get_cache_key(src, backend, parsed, get_cache_invalidating_env_vars()))


def launch_kwargs(call: tb.KernelCall, shared: dict) -> dict[str, Any]:
    """What ``launcher`` passes to the kernel: its arguments, constexprs and options."""
    return {
        **tb.kernel_args(call.kernel, shared, call),
        **call.constexprs,
        "num_warps": call.num_warps,
        "num_stages": call.num_stages,
    }


def jit_hits_the_static_check_cache(name: str, problem: Any, config: dict) -> bool:
    """Compile the variant's first kernel as the static check does, then as the JIT does with
    parsing forbidden: the JIT's compile must come whole from Triton's cache."""
    variant = REGISTRY.variant(name)
    spec = checked(variant, problem, config)[0]
    tb.compile_spec(spec)
    call, shared = launched(variant, problem, config)[0]
    src, options, _ = jit_source(call.kernel, launch_kwargs(call, shared))

    def no_parse(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("compiled again: Triton's cache missed")

    src.make_ir = no_parse
    triton.compile(src, target=tb._gpu_target(90), options=options.__dict__)
    return True


def launched(variant: Any, problem: Any, config: dict) -> list[tuple[tb.KernelCall, dict]]:
    """The calls and shared arguments ``build`` hands to the launcher, on CPU tensors."""
    seen: list[tuple[tb.KernelCall, dict]] = []

    def capture(calls: Any, shared: Any) -> Any:
        seen.extend((c, dict(shared)) for c in calls)
        return lambda: None

    gemm_common.launcher = attention_common.launcher = capture
    family = REGISTRY.family(variant.family)
    variant.build(problem, config, family.make_inputs(problem, "bf16", "cpu", seed=0))
    return seen


def checked(variant: Any, problem: Any, config: dict) -> list[tb.KernelSpec]:
    """The specs the variant's static check compiles for sm_90."""
    seen: list[tb.KernelSpec] = []

    def capture(specs: Any) -> list:
        seen.extend(specs)
        return []

    tb.resources = capture
    variant.static_check(problem, config, "bf16", HOPPER)
    return seen


def main(shape: str, names: list[str]) -> None:
    pairs: dict[str, list[list[str]]] = {}
    for name in names:
        variant = REGISTRY.variant(name)
        problem = REGISTRY.family(variant.family).parse(shape)
        config = variant.default_configs()[0]
        specs = checked(variant, problem, config)
        calls = launched(variant, problem, config)
        assert len(specs) == len(calls), (name, len(specs), len(calls))
        pairs[name] = []
        for spec, (call, shared) in zip(specs, calls, strict=True):
            keys = (tb.triton_cache_key(spec), jit_key(call.kernel, launch_kwargs(call, shared)))
            pairs[name].append([hashlib.sha256(k.encode()).hexdigest()[:16] for k in keys])
    print(json.dumps(pairs))


if __name__ == "__main__":
    if sys.argv[1] == "--hit":
        shape, name = sys.argv[2], sys.argv[3]
        config = REGISTRY.variant(name).default_configs()[0]
        print(json.dumps(jit_hits_the_static_check_cache(name, GEMM.parse(shape), config)))
    else:
        main(sys.argv[1], sys.argv[2:])
