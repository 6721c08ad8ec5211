"""Triton without a GPU: compile a kernel for a GPU target and read what it uses.

A Triton variant describes its launches as :class:`KernelCall` plans. The same plan is
launched by ``build`` (with tensors) and compiled here by ``static_check`` (with type
strings such as ``"*fp16"``), so the check compiles exactly what would run. Compiling needs
no GPU: Triton's own compiler lowers the kernel to a cubin for the target, ``cuobjdump``
reads its registers and stack, and Triton's metadata gives the shared memory.

Results are cached on disk (``$KERNBENCH_CACHE`` or ``~/.cache/kernbench``, under
``triton/``) by kernel sources, call and target, so each config is compiled once. Under
``TRITON_INTERPRET=1`` (the CPU device) kernels are interpreted functions and
``triton.language`` is patched while they run, so compilation happens in a clean
process, started once and kept (``python -m kernbench.backends.triton``, see
:func:`_compile_elsewhere`).

Each compilation also lands in Triton's own cache (``TRITON_CACHE_DIR``) under the key the
JIT computes at the config's first launch on an sm_90 GPU, so a checked config is not
compiled again there (see :func:`jit_source` for when the keys cannot match).
:func:`compile_spec` is a plain function of plain data: a process pool can run it ahead of
measuring to fill that cache.
"""

from __future__ import annotations

import atexit
import hashlib
import importlib
import inspect
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, TypedDict

from ..space import Value
from ..staticcheck import Resources, Target, error_line
from ..variant import Unsupported

ArgValue = Any
"""A tensor or scalar at launch; a pointer type (``"*fp16"``), int or float when compiling."""


@dataclass(frozen=True)
class KernelCall:
    """One launch of a Triton kernel: what ``build`` runs and ``static_check`` compiles."""

    kernel: Any
    grid: tuple[int, ...]
    constexprs: Mapping[str, Value]
    num_warps: int = 4
    num_stages: int = 1
    args: Mapping[str, ArgValue] = field(default_factory=dict)
    """Arguments of this call alone; they override the shared arguments of the plan."""


Plan = Callable[[Any, Mapping[str, Value], Mapping[str, ArgValue]], Sequence[KernelCall]]
"""``plan(problem, config, shared_args) -> calls``: one variant's launches."""


class LaunchOptions(TypedDict):
    num_warps: int
    num_stages: int


def launch_options(config: Mapping[str, Value]) -> LaunchOptions:
    """The config's num_warps and num_stages, as ``KernelCall`` keywords."""
    return {"num_warps": int(config["num_warps"]), "num_stages": int(config["num_stages"])}


def _raw(kernel: Any) -> Any:
    """The Python function under a JITFunction or an interpreter's InterpretedFunction."""
    return getattr(kernel, "fn", kernel)


def kernel_args(
    kernel: Any, shared: Mapping[str, ArgValue], call: KernelCall
) -> dict[str, ArgValue]:
    """The runtime arguments ``kernel`` takes, picked by name from the shared and call args."""
    merged = {**shared, **call.args}
    params = inspect.signature(_raw(kernel)).parameters
    names = [n for n in params if n not in call.constexprs]
    missing = [n for n in names if n not in merged]
    if missing:
        raise TypeError(f"{_raw(kernel).__name__}: no value for argument(s) {missing}")
    return {n: merged[n] for n in names}


def launcher(calls: Sequence[KernelCall], shared: Mapping[str, ArgValue]) -> Callable[[], None]:
    """A zero-argument callable that launches ``calls`` in order with real arguments.

    Under the interpreter, an environment it cannot run in (see ``triton_interpreter``) makes
    the build ``Unsupported`` with the reason, rather than fail inside every kernel; so does,
    on the emulated device, a kernel decorated for the interpreter (see ``triton_emu``).
    """
    if _emulated():
        from .triton_emu import interpreted

        stale = sorted({_raw(c.kernel).__name__ for c in calls if interpreted(c.kernel)})
        if stale:
            raise Unsupported(
                f"{', '.join(stale)} was decorated for Triton's interpreter (TRITON_INTERPRET=1 "
                "when its module was imported): the emulated device compiles Triton kernels, "
                "so activate it before plugins load, as the CLI and measurement workers do"
            )
    elif _interpreting():
        from .triton_interpreter import interpreter_issue

        issue = interpreter_issue()
        if issue:
            raise Unsupported(issue)
    bound = [
        (
            c.kernel[c.grid],
            {
                **kernel_args(c.kernel, shared, c),
                **c.constexprs,
                "num_warps": c.num_warps,
                "num_stages": c.num_stages,
            },
        )
        for c in calls
    ]

    def launch() -> None:
        for run, kwargs in bound:
            run(**kwargs)

    return launch


@dataclass(frozen=True)
class KernelSpec:
    """Everything that determines one compilation, as plain data (it crosses processes)."""

    kernel: str
    """``module:function`` of the kernel."""
    signature: dict[str, str]
    constexprs: dict[str, Value]
    divisible: tuple[str, ...]
    """Arguments known to be multiples of 16 (pointers, sizes), as Triton's JIT specialises."""
    options: dict[str, int]
    arch: int
    sources: str = ""
    """Digest of the kernel's source files: part of the cache key."""

    def key(self) -> str:
        import triton

        text = json.dumps({**asdict(self), "triton": triton.__version__}, sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()[:32]


def _type_of(name: str, value: ArgValue) -> tuple[str, Value | None, bool]:
    """(signature type, constexpr value or None, divisible by 16) the way Triton's JIT sees it."""
    if isinstance(value, str) and value.startswith("*"):
        return value, None, True
    if isinstance(value, bool):
        return "i1", None, False
    if isinstance(value, int):
        if value == 1:  # Triton specialises ints equal to 1 into constants
            return "constexpr", 1, False
        kind = "i32" if -(2**31) <= value < 2**31 else "i64"
        return kind, None, value % 16 == 0
    if isinstance(value, float):
        return "fp32", None, False
    raise TypeError(f"argument {name}: cannot type {value!r} (give '*fp16', an int or a float)")


def _source_digest(kernel: Any) -> str:
    """Hash of the files holding the kernel and every jitted function it can reach."""
    files: set[str] = set()
    todo = [_raw(kernel)]
    while todo:
        fn = todo.pop()
        path = inspect.getfile(fn)
        if path in files:
            continue
        files.add(path)
        todo += [
            _raw(v) for v in fn.__globals__.values() if hasattr(v, "fn") and hasattr(v, "arg_names")
        ]
    digest = hashlib.sha256()
    for path in sorted(files):
        digest.update(Path(path).read_bytes())
    return digest.hexdigest()[:16]


def spec_for(call: KernelCall, shared: Mapping[str, ArgValue], target: Target) -> KernelSpec:
    """Type the call's arguments for compilation (ints equal to 1 become constants)."""
    raw = _raw(call.kernel)
    signature: dict[str, str] = {}
    constexprs: dict[str, Value] = dict(call.constexprs)
    divisible: list[str] = []
    for name, value in kernel_args(call.kernel, shared, call).items():
        kind, const, div = _type_of(name, value)
        signature[name] = kind
        if const is not None:
            constexprs[name] = const
        if div:
            divisible.append(name)
    ordered = {n: signature.get(n, "constexpr") for n in inspect.signature(raw).parameters}
    major, minor = target.compute_capability
    return KernelSpec(
        kernel=f"{raw.__module__}:{raw.__name__}",
        signature=ordered,
        constexprs=constexprs,
        divisible=tuple(divisible),
        options={"num_warps": call.num_warps, "num_stages": call.num_stages},
        arch=major * 10 + minor,
        sources=_source_digest(call.kernel),
    )


def cache_dir() -> Path:
    root = os.environ.get("KERNBENCH_CACHE") or Path.home() / ".cache" / "kernbench"
    return Path(root) / "triton"


def resources(specs: Sequence[KernelSpec]) -> list[Resources]:
    """Resources of each spec: from the cache, else compiled (in a clean process if needed)."""
    found: dict[int, Resources] = {}
    missing: list[int] = []
    for i, spec in enumerate(specs):
        path = cache_dir() / f"{spec.key()}.json"
        if path.exists():
            found[i] = Resources(**json.loads(path.read_text()))
        else:
            missing.append(i)
    if missing:
        todo = [specs[i] for i in missing]
        compiled = _compile_elsewhere(todo) if _interpreting() else [compile_spec(s) for s in todo]
        found.update(zip(missing, compiled, strict=True))
    return [found[i] for i in range(len(specs))]


def plan_resources(
    plan: Plan,
    problem: Any,
    config: Mapping[str, Value],
    shared: Mapping[str, ArgValue],
    target: Target,
) -> list[Resources]:
    """What a variant's ``static_check`` returns: every call of its plan, compiled for ``target``."""
    calls = plan(problem, config, shared)
    return resources([spec_for(c, shared, target) for c in calls])


def _emulated() -> bool:
    from ..device import active

    device = active()
    return device is not None and device.is_emulated


def _interpreting() -> bool:
    return os.environ.get("TRITON_INTERPRET", "0") not in ("", "0", "false", "False")


class _CompilerProcess:
    """A long-lived clean ``python -m kernbench.backends.triton``, fed specs as JSON lines.

    Its environment is this process's without ``TRITON_INTERPRET``; it exits when its input
    closes (this process ended, however it ended) and leaves Ctrl-C to this one.
    """

    def __init__(self, env: dict[str, str]) -> None:
        self.env = env
        self.errors = tempfile.TemporaryFile("w+")  # noqa: SIM115 (kept as long as the process)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "kernbench.backends.triton"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.errors,
            text=True,
            env=env,
        )

    def compile(self, specs: Sequence[KernelSpec]) -> list[Resources]:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        try:
            self.proc.stdin.write(json.dumps([asdict(s) for s in specs]) + "\n")
            self.proc.stdin.flush()
            line = self.proc.stdout.readline()
        except BrokenPipeError:
            line = ""
        if not line:
            raise RuntimeError(self._death())
        reply = json.loads(line)
        if "error" in reply:
            raise RuntimeError(reply["error"])
        return [Resources(**r) for r in reply["resources"]]

    def _death(self) -> str:
        code = self.proc.wait()
        self.errors.seek(0)
        lines = [ln for ln in self.errors.read().splitlines() if ln.strip()]
        return lines[-1] if lines else f"the compiler process exited {code}"

    def close(self) -> None:
        """Close its input (it then exits) and wait a little for it."""
        if self.proc.stdin is not None:
            self.proc.stdin.close()
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.errors.close()


_COMPILER: _CompilerProcess | None = None
_COMPILER_LOCK = threading.Lock()


@atexit.register
def _stop_compiler() -> None:
    global _COMPILER
    with _COMPILER_LOCK:
        if _COMPILER is not None:
            _COMPILER.close()
            _COMPILER = None


def _compile_elsewhere(specs: Sequence[KernelSpec]) -> list[Resources]:
    """Compile in the clean compiler process: this one runs kernels under the interpreter,
    which patches ``triton.language``. The process is kept, so only the first static check
    pays for starting Python and importing Triton; it is started again when this process's
    environment changed (a test's cache folder, say) or after it died."""
    global _COMPILER
    env = {k: v for k, v in os.environ.items() if k != "TRITON_INTERPRET"}
    with _COMPILER_LOCK:
        if _COMPILER is None or _COMPILER.env != env or _COMPILER.proc.poll() is not None:
            if _COMPILER is not None:
                _COMPILER.close()
            _COMPILER = _CompilerProcess(env)
        compiler = _COMPILER
        try:
            return compiler.compile(specs)
        except RuntimeError:
            if compiler.proc.poll() is not None:
                _COMPILER = None
            raise


def _ast_source(fn: Any, spec: KernelSpec) -> Any:
    """Triton's ASTSource built from the spec alone, for a Triton whose JIT cannot be driven
    (see :func:`jit_source`): it compiles the same kernel, but under another cache key."""
    import triton
    from triton.compiler import ASTSource

    params = inspect.signature(ASTSource.__init__).parameters
    backend = triton.compiler.make_backend(_gpu_target(spec.arch))
    index = list(spec.signature)
    attrs = {(index.index(n),): backend.parse_attr("D") for n in spec.divisible}
    if "constexprs" in params:
        return ASTSource(fn, spec.signature, constexprs=dict(spec.constexprs), attrs=attrs)
    return ASTSource(fn, spec.signature, constants=dict(spec.constexprs))  # older Triton


_POINTEE = {
    "fp16": "float16",
    "bf16": "bfloat16",
    "fp32": "float32",
    "fp64": "float64",
    "i8": "int8",
    "i16": "int16",
    "i32": "int32",
    "i64": "int64",
    "u8": "uint8",
    "fp8e4nv": "float8_e4m3fn",
    "fp8e5": "float8_e5m2",
}


def _representative(kind: str, divisible: bool) -> Any:
    """An argument the JIT specialises exactly as the spec types it (a mock tensor for a pointer)."""
    import torch
    from triton.runtime.jit import MockTensor

    if kind.startswith("*"):
        if kind[1:] not in _POINTEE:
            raise TypeError(f"no torch dtype for the pointer type {kind!r}")
        return MockTensor(getattr(torch, _POINTEE[kind[1:]]))  # address 0: 16-byte aligned
    if kind in ("i32", "i64"):
        base = 16 if kind == "i32" else 2**32
        return base if divisible else base + 1
    if kind in ("i1", "u1"):
        return True
    if kind == "fp32":
        return 1.0
    raise TypeError(f"no representative argument for the type {kind!r}")


def jit_source(fn: Any, spec: KernelSpec) -> tuple[Any, dict[str, Any]]:
    """The ASTSource and options Triton's JIT builds at the first launch of this spec on its GPU.

    Triton caches compilations (``TRITON_CACHE_DIR``, default ``~/.triton/cache``) under a key
    of the source (kernel, signature, constexprs, attributes), the options, the target and
    the Triton build. Building the source through the JIT's own argument binder (with
    arguments it specialises as the spec types them) gives the static check the key the
    JIT will compute, so a config compiled here is not compiled again at its first launch on
    a GPU of the same architecture, with the same Triton and cache directory. Keys differ,
    and the launch compiles again, when: Triton's version or ``ptxas`` differs between the
    two processes (e.g. a cache filled on another machine), a cache-invalidating ``TRITON_*``
    variable differs, a launched pointer is not 16-byte aligned (the check assumes aligned
    tensors), or this Triton's JIT has no binder to drive (then :func:`_ast_source`).
    """
    from triton import knobs
    from triton.compiler import ASTSource, make_backend
    from triton.runtime.jit import create_function_from_signature

    backend = make_backend(_gpu_target(spec.arch))
    kwargs: dict[str, Any] = {
        name: _representative(kind, name in spec.divisible)
        for name, kind in spec.signature.items()
        if kind != "constexpr"
    }
    kwargs.update(spec.constexprs)
    kwargs.update(spec.options)
    # What JITFunction.run adds to the launch's keywords before binding them.
    kwargs["debug"] = fn.debug or knobs.runtime.debug
    for knob in ("instrumentation_mode", "fpsan_homomorphic_casts"):
        if hasattr(knobs.compilation, knob):
            kwargs[knob] = getattr(knobs.compilation, knob)
    binder = create_function_from_signature(fn.signature, fn.params, backend)
    bound, specialization, options = binder(**kwargs)
    options, signature, constexprs, attrs = fn._pack_args(
        backend, kwargs, bound, specialization, options
    )
    return ASTSource(fn, signature, constexprs, attrs), dict(options.__dict__)


def source_and_options(fn: Any, spec: KernelSpec) -> tuple[Any, dict[str, Any]]:
    """:func:`jit_source` where this Triton's JIT can be driven, else the spec's own source."""
    try:
        from triton.runtime.jit import create_function_from_signature  # noqa: F401
    except ImportError:
        return _ast_source(fn, spec), dict(spec.options)
    if not hasattr(fn, "_pack_args"):
        return _ast_source(fn, spec), dict(spec.options)
    return jit_source(fn, spec)


def _kernel_of(spec: KernelSpec) -> Any:
    module, _, name = spec.kernel.partition(":")
    return getattr(importlib.import_module(module), name)


def triton_cache_key(spec: KernelSpec) -> str:
    """The key under which ``triton.compile`` caches this spec (as ``triton.compile`` forms it)."""
    from triton.compiler import make_backend
    from triton.compiler.compiler import get_cache_invalidating_env_vars
    from triton.runtime.cache import get_cache_key

    src, options = source_and_options(_kernel_of(spec), spec)
    backend = make_backend(_gpu_target(spec.arch))
    parsed = backend.parse_options(dict(options, **src.parse_options()))
    return str(get_cache_key(src, backend, parsed, get_cache_invalidating_env_vars()))


def _gpu_target(arch: int) -> Any:
    from triton.backends.compiler import GPUTarget

    return GPUTarget("cuda", arch, 32)


def compile_spec(spec: KernelSpec) -> Resources:
    """Compile one spec in this process (kernels must be real JITFunctions) and cache it.

    A plain function of plain data, so a process pool can run it ahead of measuring: it also
    fills Triton's own cache under the key the JIT will look up (see :func:`jit_source`).
    """
    import triton

    fn = _kernel_of(spec)
    src, options = source_and_options(fn, spec)
    compiled = triton.compile(src, target=_gpu_target(spec.arch), options=options)
    usage = _resource_usage(compiled.asm["cubin"], compiled.metadata.name)
    meta = compiled.metadata
    res = Resources(
        kernel=meta.name,
        registers=usage["REG"],
        shared_bytes=int(meta.shared),
        threads=int(meta.num_warps) * 32 * int(getattr(meta, "num_ctas", 1) or 1),
        spill_bytes=usage["STACK"],
        local_bytes=usage["STACK"] + usage["LOCAL"],
    )
    out = cache_dir()
    out.mkdir(parents=True, exist_ok=True)
    key = spec.key()
    (out / f"{key}.cubin").write_bytes(compiled.asm["cubin"])
    with tempfile.NamedTemporaryFile("w", dir=out, delete=False, suffix=".tmp") as tmp:
        json.dump(res.as_dict(), tmp)
    os.replace(tmp.name, out / f"{key}.json")
    return res


@cache
def _cuobjdump() -> str:
    import triton

    bundled = Path(triton.__file__).parent / "backends" / "nvidia" / "bin" / "cuobjdump"
    found = str(bundled) if bundled.exists() else shutil.which("cuobjdump")
    if not found:
        raise RuntimeError("cuobjdump not found (neither bundled with Triton nor on PATH)")
    return found


_USAGE = re.compile(r"(REG|STACK|SHARED|LOCAL):(\d+)")


def _resource_usage(cubin: bytes, kernel: str) -> dict[str, int]:
    """REG, STACK and LOCAL of ``kernel`` as ``cuobjdump --dump-resource-usage`` reports them.

    STACK is the per-thread stack frame, where ptxas puts spilled registers.
    """
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "kernel.cubin"
        path.write_bytes(cubin)
        text = subprocess.run(
            [_cuobjdump(), "--dump-resource-usage", str(path)],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if line.strip().startswith("Function") and kernel in line and i + 1 < len(lines):
            return {k: int(v) for k, v in _USAGE.findall(lines[i + 1])}
    raise RuntimeError(f"cuobjdump reported no resource usage for {kernel}")


def main() -> None:
    """The compiler process: a JSON list of specs per input line, one reply line each.

    Replies go to a private copy of stdout; fd 1 itself goes to /dev/null, because a failed
    ``ptxas`` makes Triton print the whole PTX there (the error's last line is the reply).
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the harness decides, and closes our input
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    replies = os.fdopen(os.dup(1), "w")
    os.dup2(os.open(os.devnull, os.O_WRONLY), 1)
    for line in sys.stdin:
        specs = [KernelSpec(**{**s, "divisible": tuple(s["divisible"])}) for s in json.loads(line)]
        try:
            reply: dict[str, Any] = {"resources": [compile_spec(s).as_dict() for s in specs]}
        except Exception as exc:
            reply = {"error": error_line(exc)}
        replies.write(json.dumps(reply) + "\n")
        replies.flush()


if __name__ == "__main__":
    main()
