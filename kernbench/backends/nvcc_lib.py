"""Build CUDA C++ with its host code into a cached shared library, and load it with ctypes.

Some kernels cannot be launched from a bare cubin: CUTLASS 3.x builds its TMA descriptors,
cluster launch and scheduler parameters in C++ host code. Those sources export a few
``extern "C"`` functions; this module compiles them with nvcc (``-shared``), keeps the
library on disk keyed by source, headers, flags, architecture and compiler version (a build
takes minutes), records the compiler's resource report beside it, and loads it once per
process. It needs nvcc but no GPU: libraries build and load on any machine.
"""

from __future__ import annotations

import ctypes
import fcntl
import functools
import hashlib
import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from .cuda import PtxasInfo, cache_dir, parse_ptxas
from .cuda_compile import CompilationError, find_tool, parse_arch

__all__ = ["Built", "CompilationError", "LibSpec", "build", "find_nvcc", "load", "opcodes", "sass"]


def find_nvcc() -> Path | None:
    """nvcc as the CUDA backend finds it (toolkit, PATH, CUDA_HOME)."""
    found = find_tool("nvcc")
    return Path(found) if found else None


@functools.cache
def nvcc_version(nvcc: Path) -> str:
    """``release 13.0, V13.0.88``: part of every cache key."""
    out = subprocess.run(
        [str(nvcc), "--version"], capture_output=True, text=True, timeout=60
    ).stdout
    match = re.search(r"release [^\n]+", out)
    return match.group(0) if match else out.strip().splitlines()[-1]


def nvcc_release(nvcc: Path) -> str:
    """``13.0``: the major.minor that decides whether a prebuilt library is reused."""
    match = re.search(r"release (\d+\.\d+)", nvcc_version(nvcc))
    return match.group(1) if match else nvcc_version(nvcc)


def toolkit_root(nvcc: Path) -> Path:
    """The CUDA toolkit an nvcc belongs to, seeing through a one-line wrapper script."""
    real = nvcc.resolve()
    if real.stat().st_size < 4096:  # a wrapper such as ``exec /usr/local/cuda-13.0/bin/nvcc "$@"``
        for target in re.findall(r"(/\S+/bin/nvcc)\b", real.read_text(errors="ignore")):
            if Path(target).is_file():
                real = Path(target).resolve()
                break
    return real.parent.parent


def cache_root() -> Path:
    """``lib/`` in the CUDA backend's cache, so one directory holds every CUDA build."""
    return cache_dir() / "lib"


def gencode(arch: str) -> str:
    """``sm_90a`` -> ``arch=compute_90a,code=sm_90a``."""
    virtual, real = parse_arch(arch)
    return f"arch={virtual},code={real}"


@dataclass(frozen=True)
class LibSpec:
    """What to build: one source, its macros, the target architecture and extra flags."""

    source: Path
    arch: str
    defines: Mapping[str, str] = field(default_factory=dict)
    include_dirs: Sequence[Path] = ()
    depends: Sequence[Path] = ()
    """Headers of the project that the source includes: their text is part of the key."""
    flags: Sequence[str] = ()
    salt: str = ""
    """Anything else the output depends on (e.g. the CUTLASS version)."""
    label: str = ""

    def command(self, nvcc: Path, output: Path) -> list[str]:
        # The shared CUDA runtime keeps libraries small (a cache of many configs can travel
        # to a GPU machine) and is shared with torch's when the major versions match.
        lib = toolkit_root(nvcc)
        cmd = [
            str(nvcc),
            "-shared",
            "-cudart",
            "shared",
            "-Xcompiler",
            "-fPIC",
            "-Xcompiler",
            "-fvisibility=hidden",
            f"-Xlinker=-rpath,{lib / 'lib64'}:{lib / 'lib'}",
            f"-gencode={gencode(self.arch)}",
            "-std=c++17",
            "-O3",
            "-DNDEBUG",
            "--expt-relaxed-constexpr",
            "-Xptxas",
            "-v",
        ]
        cmd += [f"-I{d}" for d in (self.source.parent, *self.include_dirs)]
        cmd += [f"-D{k}={v}" for k, v in sorted(self.defines.items())]
        return [*cmd, *self.flags, str(self.source), "-o", str(output)]

    def key(self, nvcc: Path) -> str:
        """Contents and versions (nvcc major.minor), never paths: a cache built here serves another machine."""
        digest = hashlib.sha256()
        for path in (self.source, *self.depends):
            digest.update(path.name.encode() + b"\0" + path.read_bytes())
        digest.update(
            json.dumps(
                [
                    self.arch,
                    sorted(self.defines.items()),
                    list(self.flags),
                    self.salt,
                    nvcc_release(nvcc),
                ]
            ).encode()
        )
        return digest.hexdigest()[:24]


@dataclass(frozen=True)
class Built:
    """A library on disk and what the compiler said about it."""

    path: Path
    kernels: Mapping[str, PtxasInfo]
    """ptxas' report by kernel name (static shared memory only: dynamic is the caller's)."""
    build_s: float
    cached: bool


def build(spec: LibSpec, *, quiet: bool = False) -> Built:
    """Compile ``spec`` unless the cache has it; concurrent builders of one key wait for each other."""
    nvcc = find_nvcc()
    if nvcc is None:
        raise CompilationError("nvcc not found (set CUDA_HOME or put nvcc on PATH)")
    root = cache_root()
    root.mkdir(parents=True, exist_ok=True)
    key = spec.key(nvcc)
    lib, meta = root / f"{key}.so", root / f"{key}.json"
    with open(root / f"{key}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if lib.is_file() and meta.is_file():
            data = json.loads(meta.read_text())
            return Built(lib, parse_ptxas(data["log"]), data["build_s"], True)
        label = spec.label or spec.source.name
        if not quiet:
            print(
                f"nvcc: building {label} for {spec.arch} (first build of this config, "
                "cached afterwards; can take minutes)",
                file=sys.stderr,
                flush=True,
            )
        tmp = root / f"{key}.{os.getpid()}.tmp.so"
        start = time.monotonic()
        proc = subprocess.run(spec.command(nvcc, tmp), capture_output=True, text=True)
        elapsed = time.monotonic() - start
        if proc.returncode != 0:
            tmp.unlink(missing_ok=True)
            raise CompilationError(
                f"nvcc failed for {label}: {first_error(proc.stderr + proc.stdout)}"
            )
        log = proc.stderr + proc.stdout
        os.replace(tmp, lib)
        meta.write_text(
            json.dumps(
                {
                    "log": log,
                    "build_s": round(elapsed, 1),
                    "command": spec.command(nvcc, lib),
                    "nvcc": nvcc_version(nvcc),
                },
                indent=1,
            )
        )
        if not quiet:
            print(f"nvcc: built {label} in {elapsed:.0f} s", file=sys.stderr, flush=True)
        return Built(lib, parse_ptxas(log), elapsed, False)


def first_error(log: str) -> str:
    """The first ``error`` line of a compiler log (static_assert text included), else its end."""
    lines = [ln.strip() for ln in log.splitlines() if ln.strip()]
    for ln in lines:
        if "error" in ln.lower():
            return ln[:400]
    return (lines[-1] if lines else "no output")[:400]


def sass(path: Path) -> str:
    """The SASS of every kernel in a built library (``cuobjdump -sass``), cached beside it."""
    out = path.with_suffix(".sass")
    if out.is_file():
        return out.read_text()
    tool = find_tool("cuobjdump")
    if tool is None:
        raise FileNotFoundError("cuobjdump not found (CUDA toolkit or Triton's bundled copy)")
    text = subprocess.run(
        [str(tool), "-sass", str(path)], capture_output=True, text=True, check=True, timeout=300
    ).stdout
    out.write_text(text)
    return text


_OPCODE = re.compile(r"/\*[0-9a-f]{4,}\*/\s+(?:@!?U?P[T0-9]+\s+)?([A-Z][A-Z0-9_]*)")


def opcodes(sass_text: str) -> set[str]:
    """The instruction names in a SASS listing (``HGMMA`` for ``HGMMA.64x256x16.F32.BF16``)."""
    return set(_OPCODE.findall(sass_text))


@functools.cache
def load(path: Path) -> ctypes.CDLL:
    """Load a built library once per process."""
    return ctypes.CDLL(str(path))
