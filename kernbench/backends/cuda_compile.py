"""CUDA C++ compilers behind one small contract: NVRTC (from PyPI) and nvcc.

Both turn one ``.cu`` source into a cubin for one architecture and return ptxas' verbose
report, which is where register, shared-memory and spill figures come from without a GPU.
NVRTC needs no system toolkit, only the ``nvidia-cuda-nvrtc`` wheel plus the CUDA headers
(``cuda_fp16.h``, ``cuda_bf16.h``) that the kernels include; nvcc brings its own.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path


class CompilationError(Exception):
    """A CUDA source did not compile; the message carries the compiler's log.

    The name matches what :mod:`kernbench.measure.run` files as a compile error.
    """


class CudaUnavailable(Exception):
    """No usable CUDA compiler (or driver binding) here; the message says why."""


_ARCH = re.compile(r"^sm_(\d{2,3})(a|f)?$")


def parse_arch(arch: str) -> tuple[str, str]:
    """``sm_90a`` -> (``compute_90a``, ``sm_90a``); rejects anything else with a clear reason."""
    if not _ARCH.match(arch):
        raise ValueError(f"bad CUDA architecture {arch!r}: expected sm_80, sm_90, sm_90a, ...")
    return "compute_" + arch[3:], arch


@dataclass(frozen=True)
class CompileOutput:
    cubin: bytes
    log: str
    """ptxas' ``-v`` report (and any warnings)."""


class Compiler(ABC):
    """Compiles a source text to a cubin for one architecture."""

    name: str

    @property
    @abstractmethod
    def version(self) -> str:
        """Name and major.minor version, e.g. ``nvrtc 13.0``: part of every cache key."""

    @property
    def include_dirs(self) -> tuple[Path, ...]:
        """Directories whose headers the compiled code may include (hashed into cache keys)."""
        return ()

    @abstractmethod
    def compile(
        self, source: str, filename: str, arch: str, options: Sequence[str]
    ) -> CompileOutput:
        """``options`` are nvcc-style flags both compilers accept (``-D``, ``-I``, ``-std``)."""

    @abstractmethod
    def ptx(self, source: str, filename: str, arch: str, options: Sequence[str]) -> str:
        """The PTX of ``source`` for ``arch`` (``sm_90a`` -> ``compute_90a``): what the
        emulator executes. Same flags as :meth:`compile`."""


def cuda_header_dir() -> Path | None:
    """A directory holding ``cuda_fp16.h``: the toolkit or a wheel, else Triton's copy."""
    candidates: list[Path] = []
    if os.environ.get("KERNBENCH_CUDA_INCLUDE"):
        candidates.append(Path(os.environ["KERNBENCH_CUDA_INCLUDE"]))
    try:
        import cuda.pathfinder as pathfinder

        found = pathfinder.find_nvidia_header_directory("cudart")
        if found:
            candidates.append(Path(found))
    except (ImportError, AttributeError, RuntimeError):
        pass
    try:
        import triton

        candidates.append(Path(triton.__file__).parent / "backends" / "nvidia" / "include")
    except ImportError:
        pass
    return next((d for d in candidates if (d / "cuda_fp16.h").is_file()), None)


class Nvrtc(Compiler):
    """In-process compilation with ``cuda.bindings.nvrtc`` (the nvidia-cuda-nvrtc wheel)."""

    name = "nvrtc"

    def __init__(self) -> None:
        try:
            from cuda.bindings import nvrtc
        except ImportError as exc:
            raise CudaUnavailable(f"cuda-bindings is not installed ({exc})") from None
        try:
            _, major, minor = nvrtc.nvrtcVersion()
        except Exception as exc:  # the shared library is missing
            raise CudaUnavailable(f"NVRTC cannot be loaded: {exc}".splitlines()[0]) from None
        headers = cuda_header_dir()
        if headers is None:
            raise CudaUnavailable(
                "NVRTC found no CUDA headers (cuda_fp16.h): install a CUDA toolkit or set "
                "KERNBENCH_CUDA_INCLUDE"
            )
        self._nvrtc = nvrtc
        self._version = f"nvrtc {major}.{minor}"
        self._headers = headers

    @property
    def version(self) -> str:
        return self._version

    @property
    def include_dirs(self) -> tuple[Path, ...]:
        return (self._headers,)

    def compile(
        self, source: str, filename: str, arch: str, options: Sequence[str]
    ) -> CompileOutput:
        nvrtc = self._nvrtc
        parse_arch(arch)
        flags = [f"-arch={arch}", f"-I{self._headers}", "-Xptxas=-v", *options]
        err, prog = nvrtc.nvrtcCreateProgram(source.encode(), filename.encode(), 0, [], [])
        self._check(err, "nvrtcCreateProgram")
        try:
            (status,) = nvrtc.nvrtcCompileProgram(prog, len(flags), [f.encode() for f in flags])
            log = self._log(prog)
            if status != nvrtc.nvrtcResult.NVRTC_SUCCESS:
                raise CompilationError(f"{filename} ({arch}, {self.version}):\n{log}")
            err, size = nvrtc.nvrtcGetCUBINSize(prog)
            self._check(err, "nvrtcGetCUBINSize")
            image = bytearray(size)
            (err,) = nvrtc.nvrtcGetCUBIN(prog, image)
            self._check(err, "nvrtcGetCUBIN")
            return CompileOutput(bytes(image), log)
        finally:
            nvrtc.nvrtcDestroyProgram(prog)

    def ptx(self, source: str, filename: str, arch: str, options: Sequence[str]) -> str:
        nvrtc = self._nvrtc
        virtual, _ = parse_arch(arch)
        flags = [f"-arch={virtual}", f"-I{self._headers}", *options]
        err, prog = nvrtc.nvrtcCreateProgram(source.encode(), filename.encode(), 0, [], [])
        self._check(err, "nvrtcCreateProgram")
        try:
            (status,) = nvrtc.nvrtcCompileProgram(prog, len(flags), [f.encode() for f in flags])
            if status != nvrtc.nvrtcResult.NVRTC_SUCCESS:
                raise CompilationError(
                    f"{filename} ({virtual}, {self.version}):\n{self._log(prog)}"
                )
            err, size = nvrtc.nvrtcGetPTXSize(prog)
            self._check(err, "nvrtcGetPTXSize")
            text = bytearray(size)
            (err,) = nvrtc.nvrtcGetPTX(prog, text)
            self._check(err, "nvrtcGetPTX")
            return bytes(text).rstrip(b"\0").decode()
        finally:
            nvrtc.nvrtcDestroyProgram(prog)

    def _log(self, prog: object) -> str:
        err, size = self._nvrtc.nvrtcGetProgramLogSize(prog)
        self._check(err, "nvrtcGetProgramLogSize")
        buf = bytearray(size)
        self._nvrtc.nvrtcGetProgramLog(prog, buf)
        return bytes(buf).rstrip(b"\0").decode(errors="replace")

    def _check(self, err: object, call: str) -> None:
        if err != self._nvrtc.nvrtcResult.NVRTC_SUCCESS:
            raise CompilationError(f"{call} failed: {err}")


def find_tool(name: str) -> str | None:
    """A CUDA binary (nvcc, cuobjdump, nvdisasm): toolkit, PATH, then Triton's bundled copy."""
    try:
        import cuda.pathfinder as pathfinder

        found = pathfinder.find_nvidia_binary_utility(name)
        if found:
            return str(found)
    except Exception:  # an older pathfinder without this function, or a bad install
        pass
    home = os.environ.get("CUDA_HOME") or os.environ.get("CUDA_PATH") or "/usr/local/cuda"
    for path in (shutil.which(name), str(Path(home) / "bin" / name)):
        if path and os.access(path, os.X_OK):
            return path
    try:
        import triton

        bundled = Path(triton.__file__).parent / "backends" / "nvidia" / "bin" / name
        if os.access(bundled, os.X_OK):
            return str(bundled)
    except ImportError:
        pass
    return None


class Nvcc(Compiler):
    """The toolkit's nvcc, run as a subprocess with ``-cubin``."""

    name = "nvcc"

    def __init__(self, path: str | None = None) -> None:
        found = path or find_tool("nvcc")
        if not found:
            raise CudaUnavailable("nvcc was not found (PATH, CUDA_HOME)")
        self.path = found
        text = subprocess.run(
            [found, "--version"], capture_output=True, text=True, timeout=60
        ).stdout
        match = re.search(r"V(\d+\.\d+)\.(\d+)", text)
        if not match:
            raise CudaUnavailable(f"could not read the version of {found}")
        # Major.minor only, like NVRTC's: a cubin prepared with 13.0.88 serves a 13.0.x elsewhere.
        self._version = f"nvcc {match.group(1)}"
        self.full_version = f"nvcc {match.group(1)}.{match.group(2)}"

    @property
    def version(self) -> str:
        return self._version

    def compile(
        self, source: str, filename: str, arch: str, options: Sequence[str]
    ) -> CompileOutput:
        virtual, real = parse_arch(arch)
        with tempfile.TemporaryDirectory(prefix="kernbench-nvcc-") as tmp:
            src = Path(tmp) / Path(filename).name
            src.write_text(source)
            out = Path(tmp) / "out.cubin"
            cmd = [
                self.path,
                "-cubin",
                f"-gencode=arch={virtual},code={real}",
                "-O3",
                "-Xptxas",
                "-v",
                *options,
                "-o",
                str(out),
                str(src),
            ]
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
            log = (proc.stdout + proc.stderr).strip()
            if proc.returncode != 0 or not out.is_file():
                raise CompilationError(f"{filename} ({arch}, {self.version}):\n{log}")
            return CompileOutput(out.read_bytes(), log)

    def ptx(self, source: str, filename: str, arch: str, options: Sequence[str]) -> str:
        virtual, _ = parse_arch(arch)
        with tempfile.TemporaryDirectory(prefix="kernbench-nvcc-") as tmp:
            src = Path(filename)
            if not (src.is_absolute() and src.is_file() and src.read_text() == source):
                src = Path(tmp) / src.name  # not the file on disk: compile the text given
                src.write_text(source)
            out = Path(tmp) / "out.ptx"
            cmd = [self.path, "-ptx", f"-arch={virtual}", "-O3", *options, "-o", str(out), str(src)]
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
            if proc.returncode != 0 or not out.is_file():
                log = (proc.stdout + proc.stderr).strip()
                raise CompilationError(f"{filename} ({virtual}, {self.version}):\n{log}")
            return out.read_text()


@cache
def default_compiler() -> Compiler:
    """``KERNBENCH_CUDA_COMPILER`` (nvrtc or nvcc) if set, else NVRTC, else nvcc.

    NVRTC comes first: it is a pinned PyPI package, so the same compiler version runs on
    every machine; nvcc is the fallback where the wheel or the headers are missing.
    """
    choice = os.environ.get("KERNBENCH_CUDA_COMPILER", "auto").lower()
    kinds: dict[str, type[Compiler]] = {"nvrtc": Nvrtc, "nvcc": Nvcc}
    if choice != "auto":
        if choice not in kinds:
            raise CudaUnavailable(f"KERNBENCH_CUDA_COMPILER={choice!r}: use nvrtc, nvcc or auto")
        return kinds[choice]()
    reasons = []
    for kind in kinds.values():
        try:
            return kind()
        except CudaUnavailable as exc:
            reasons.append(str(exc))
    raise CudaUnavailable("no CUDA compiler: " + "; ".join(reasons))
