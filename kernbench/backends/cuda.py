"""The CUDA C++ backend: ``.cu`` sources compiled to cubins, cached, sized and disassembled.

Everything here runs without a GPU: a variant's static check compiles its config for the
target architecture and reads registers, shared memory and spills from ptxas' report, and
tests read the SASS to check that a kernel uses the instructions it claims. Launching lives
in :mod:`kernbench.backends.cuda_launch`.

Config parameters reach the source as macros (``-DBLOCK_M=128``); kernels are declared
``extern "C"`` so their names survive compilation unmangled.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache, cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from ..space import Value
from ..staticcheck import Resources
from .cuda_compile import (
    CompilationError,
    Compiler,
    CudaUnavailable,
    default_compiler,
    find_tool,
)

if TYPE_CHECKING:
    from ..problem import Problem
    from ..space import Config
    from ..staticcheck import Target
    from ..variant import Requirements, StaticCheck

__all__ = [
    "CompilationError",
    "CudaBinary",
    "CudaUnavailable",
    "KernelBuild",
    "compile_cuda",
    "compile_ptx",
    "probe",
    "requirements",
    "static_check",
]

CACHE_FORMAT = "1"
"""Bump when the cached artifacts change shape, so old entries are ignored."""


def cache_dir() -> Path:
    """``KERNBENCH_CUDA_CACHE``, else ``$XDG_CACHE_HOME/kernbench/cuda`` (``~/.cache``)."""
    if os.environ.get("KERNBENCH_CUDA_CACHE"):
        return Path(os.environ["KERNBENCH_CUDA_CACHE"])
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "kernbench" / "cuda"


@dataclass(frozen=True)
class PtxasInfo:
    """ptxas' report for one kernel."""

    registers: int = 0
    static_shared: int = 0
    stack_frame: int = 0
    spill_stores: int = 0
    spill_loads: int = 0


_ENTRY = re.compile(r"Compiling entry function '([^']+)'")
_PROPS = re.compile(r"Function properties for (\S+)")
_FRAME = re.compile(r"(\d+) bytes stack frame, (\d+) bytes spill stores, (\d+) bytes spill loads")
_USED = re.compile(r"Used (\d+) registers")
_SMEM = re.compile(r"(\d+) bytes smem")


def parse_ptxas(log: str) -> dict[str, PtxasInfo]:
    """Per-kernel figures from ptxas ``-v`` output (the same text for NVRTC and nvcc)."""
    found: dict[str, dict[str, int]] = {}
    current = ""
    for line in log.splitlines():
        if m := _ENTRY.search(line) or _PROPS.search(line):
            current = m.group(1)
            found.setdefault(current, {})
        elif current and (m := _FRAME.search(line)):
            found[current].update(
                stack_frame=int(m.group(1)),
                spill_stores=int(m.group(2)),
                spill_loads=int(m.group(3)),
            )
        elif current and (m := _USED.search(line)):
            found[current]["registers"] = int(m.group(1))
            if s := _SMEM.search(line):
                found[current]["static_shared"] = int(s.group(1))
    return {name: PtxasInfo(**values) for name, values in found.items()}


@dataclass(frozen=True)
class CudaBinary:
    """A compiled cubin in the on-disk cache, with the compiler's report."""

    path: Path
    arch: str
    compiler: str
    log: str
    key: str

    @property
    def image(self) -> bytes:
        return self.path.read_bytes()

    @cached_property
    def kernels(self) -> dict[str, PtxasInfo]:
        return parse_ptxas(self.log)

    def info(self, kernel: str) -> PtxasInfo:
        if kernel not in self.kernels:
            raise KeyError(f"no kernel {kernel!r} in {self.path.name} (has {sorted(self.kernels)})")
        return self.kernels[kernel]

    def resources(self, kernel: str, threads: int, dynamic_shared: int = 0) -> Resources:
        """The static check's view: static plus dynamic shared memory, spills, stack."""
        info = self.info(kernel)
        return Resources(
            kernel=kernel,
            registers=info.registers,
            shared_bytes=info.static_shared + dynamic_shared,
            threads=threads,
            spill_bytes=info.spill_stores + info.spill_loads,
            local_bytes=info.stack_frame,
        )

    def sass(self) -> str:
        """The SASS listing (``cuobjdump -sass``), cached beside the cubin."""
        listing = self.path.with_suffix(".sass")
        if listing.is_file():
            return listing.read_text()
        tool = find_tool("cuobjdump")
        if tool is None:
            raise CudaUnavailable("cuobjdump was not found (CUDA toolkit or the triton wheel)")
        proc = subprocess.run(
            [tool, "-sass", str(self.path)], capture_output=True, text=True, timeout=300
        )
        if proc.returncode != 0:
            raise CudaUnavailable(f"cuobjdump failed on {self.path.name}: {proc.stderr.strip()}")
        _write_atomic(listing, proc.stdout.encode())
        return proc.stdout


def _write_atomic(path: Path, data: bytes) -> None:
    """Write via a temporary file and rename, so concurrent workers never read half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name + ".")
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    os.replace(tmp, path)


_QUOTED = re.compile(r'^\s*#\s*include\s*"([^"]+)"', re.M)
_ANGLED = re.compile(r"^\s*#\s*include\s*<([^>]+)>", re.M)


def _dependencies(source: Path, include_dirs: Sequence[Path]) -> list[Path]:
    """The source, its quoted includes (recursively) and system headers it names directly."""
    seen: list[Path] = []
    todo = [source.resolve()]
    while todo:
        path = todo.pop()
        if path in seen:
            continue
        seen.append(path)
        text = path.read_text()
        for name in _QUOTED.findall(text):
            local = path.parent / name
            if local.is_file():
                todo.append(local.resolve())
        for name in _ANGLED.findall(text):
            seen.extend(
                d / name for d in include_dirs if (d / name).is_file() and d / name not in seen
            )
    return seen


def _macro(name: str, value: Value) -> str:
    if isinstance(value, bool):
        value = int(value)
    return f"-D{name}={value}"


def compile_cuda(
    source: Path,
    arch: str,
    defines: Mapping[str, Value] | None = None,
    options: Sequence[str] = (),
    compiler: Compiler | None = None,
) -> CudaBinary:
    """Compile ``source`` for ``arch`` with ``defines`` as macros, or reuse the cached cubin.

    The cache key covers the source and every header it includes, the macros and options,
    the architecture and the compiler's version.
    """
    compiler = compiler or default_compiler()
    flags = _flags(source, defines, options)
    key = _cache_key(source, arch, flags, compiler, "cubin")
    cubin = cache_dir() / f"{source.stem}-{arch}-{key}.cubin"
    meta = cubin.with_suffix(".json")
    if cubin.is_file() and meta.is_file():
        report = json.loads(meta.read_text())
        return CudaBinary(cubin, arch, report["compiler"], report["log"], key)
    out = compiler.compile(source.read_text(), source.name, arch, flags)
    _write_atomic(cubin, out.cubin)
    report = {"compiler": compiler.version, "arch": arch, "flags": flags, "log": out.log}
    _write_atomic(meta, json.dumps(report, indent=1).encode())
    return CudaBinary(cubin, arch, compiler.version, out.log, key)


def _cache_key(
    source: Path, arch: str, flags: Sequence[str], compiler: Compiler, output: str
) -> str:
    """Covers the source and every header it includes, the flags, the architecture, the
    compiler's version and the kind of output."""
    # No path in the key: a cache prepared in one checkout serves a tree copied elsewhere.
    keyed = [f.replace(str(source.parent), "<src>") for f in flags]
    head = f"{CACHE_FORMAT}|{compiler.version}|{arch}|{keyed}"
    digest = hashlib.sha256((head if output == "cubin" else f"{head}|{output}").encode())
    for dep in _dependencies(source, compiler.include_dirs):
        digest.update(dep.name.encode())
        digest.update(dep.read_bytes())
    return digest.hexdigest()[:32]


def _flags(source: Path, defines: Mapping[str, Value] | None, options: Sequence[str]) -> list[str]:
    return [
        "-std=c++17",
        f"-I{source.parent}",
        *(_macro(k, v) for k, v in sorted((defines or {}).items())),
        *options,
    ]


def compile_ptx(
    source: Path,
    arch: str,
    defines: Mapping[str, Value] | None = None,
    options: Sequence[str] = (),
    compiler: Compiler | None = None,
) -> str:
    """The PTX of ``source`` for ``arch``, with ``.loc`` line information, cached like cubins.

    This is what the emulated device executes; ``-lineinfo`` lets its findings name the CUDA
    source line as well as the PTX line.
    """
    compiler = compiler or default_compiler()
    flags = [*_flags(source, defines, options), "-lineinfo"]
    key = _cache_key(source, arch, flags, compiler, "ptx")
    path = cache_dir() / f"{source.stem}-{arch}-{key}.ptx"
    if path.is_file():
        return path.read_text()
    # the whole path as the file name: the PTX's .file table, and so findings, name it
    text = compiler.ptx(source.read_text(), str(source), arch, flags)
    _write_atomic(path, text.encode())
    return text


@dataclass(frozen=True)
class KernelBuild:
    """One kernel of one config: what to compile and how it launches (threads, dynamic smem)."""

    source: Path
    kernel: str
    threads: int
    defines: Mapping[str, Value] = field(default_factory=dict)
    dynamic_shared: int = 0
    options: tuple[str, ...] = ()

    def compile(self, arch: str) -> CudaBinary:
        return compile_cuda(self.source, arch, self.defines, self.options)

    def ptx(self, arch: str) -> str:
        return compile_ptx(self.source, arch, self.defines, self.options)

    def resources(self, arch: str) -> Resources:
        return self.compile(arch).resources(self.kernel, self.threads, self.dynamic_shared)


Plan = Callable[["Problem", "Config", str], KernelBuild]
"""What a variant provides: the kernel build of (problem, config, dtype)."""


def static_check(plan: Plan, arch: str | None = None) -> StaticCheck:
    """A variant's ``static_check`` from its plan: compile for the target (or ``arch``) and size it.

    ``arch`` pins an architecture-specific target such as ``sm_90a``.
    """

    def check(problem: Problem, config: Config, dtype: str, target: Target) -> list[Resources]:
        return [plan(problem, config, dtype).resources(arch or target.arch)]

    return check


def probe() -> str | None:
    """Why CUDA C++ variants cannot run here, or None: a compiler everywhere, and on a GPU
    the driver binding too (the emulated device needs only the PTX)."""
    from ..device import active

    device = active()
    return _probe(device is not None and device.is_emulated)


@cache
def _probe(emulated: bool) -> str | None:
    if not emulated:
        try:
            import cuda.bindings.driver  # noqa: F401
        except ImportError as exc:
            return f"cuda-bindings is not installed ({exc})"
    try:
        default_compiler()
    except CudaUnavailable as exc:
        return str(exc)
    return None


def requirements(min_compute_capability: tuple[int, int] = (8, 0)) -> Requirements:
    """CUDA C++ variants run on a GPU or on the PTX emulator, with a compiler."""
    from ..variant import Requirements

    return Requirements(
        devices=frozenset({"cuda", "emu"}),
        min_compute_capability=min_compute_capability,
        probe=probe,
    )
