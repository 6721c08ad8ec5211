"""What the CUTLASS baselines share: the headers, one build per config, and the C interface.

Each CUTLASS variant compiles its ``.cu`` once per compile-time config into a shared library
(:mod:`kernbench.backends.nvcc_lib`) exporting the functions of ``cutlass_api.cuh``; this
module drives them from torch tensors. Runtime knobs (swizzle, raster order) cost no build.
"""

from __future__ import annotations

import ctypes
import importlib.metadata
import importlib.util
import os
import weakref
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from kernbench.backends import nvcc_lib
from kernbench.family import Inputs
from kernbench.problem import Problem
from kernbench.staticcheck import Resources
from kernbench.variant import Launch, Unsupported

HERE = Path(__file__).parent
API_HEADER = HERE / "cutlass_api.cuh"
ELEMENTS = {"fp16": "cutlass::half_t", "bf16": "cutlass::bfloat16_t"}
LAYOUTS = {"row": "cutlass::layout::RowMajor", "col": "cutlass::layout::ColumnMajor"}


def include_dirs() -> tuple[Path, ...] | None:
    """CUTLASS headers: ``$CUTLASS_PATH`` (a checkout), else the ``nvidia-cutlass`` wheel."""
    roots: list[Path] = []
    if os.environ.get("CUTLASS_PATH"):
        roots.append(Path(os.environ["CUTLASS_PATH"]))
    spec = importlib.util.find_spec("cutlass_library")
    if spec is not None and spec.origin:
        roots.append(Path(spec.origin).parent / "source")
    for root in roots:
        if (root / "include" / "cutlass" / "cutlass.h").is_file():
            return (root / "include", root / "tools" / "util" / "include")
    return None


def version() -> str:
    """The CUTLASS release the headers come from: part of every build's cache key."""
    dirs = include_dirs()
    header = dirs[0] / "cutlass" / "version.h" if dirs else None
    if header and header.is_file():
        text = header.read_text()
        parts = [
            line.split()[-1]
            for line in text.splitlines()
            if line.startswith(
                ("#define CUTLASS_MAJOR", "#define CUTLASS_MINOR", "#define CUTLASS_PATCH")
            )
        ]
        if parts:
            return ".".join(parts)
    try:
        return importlib.metadata.version("nvidia-cutlass")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


def probe() -> str | None:
    """Why CUTLASS variants cannot be built here, or None."""
    if nvcc_lib.find_nvcc() is None:
        return "needs nvcc to build CUTLASS (none on PATH or in $CUDA_HOME)"
    if include_dirs() is None:
        return "needs the CUTLASS headers: pip install nvidia-cutlass (or set CUTLASS_PATH)"
    return None


def operand_defines(problem: Problem, dtype: str) -> dict[str, str]:
    """Macros fixed by the problem rather than the config: element type and layouts."""
    if dtype not in ELEMENTS:
        raise Unsupported(f"CUTLASS baselines run fp16 and bf16 only, not {dtype}")
    return {
        "KB_ELEMENT": ELEMENTS[dtype],
        "KB_LAYOUT_A": LAYOUTS[str(problem["layout_a"])],
        "KB_LAYOUT_B": LAYOUTS[str(problem["layout_b"])],
    }


def dtype_of(inputs: Inputs) -> str:
    """The kernbench dtype name of the GEMM operands."""
    import torch

    names = {torch.float16: "fp16", torch.bfloat16: "bf16", torch.float32: "fp32"}
    return names.get(inputs["a"].dtype, str(inputs["a"].dtype))


def build_library(
    source: Path, arch: str, defines: Mapping[str, str], label: str
) -> nvcc_lib.Built:
    dirs = include_dirs()
    if dirs is None:
        raise Unsupported(probe() or "CUTLASS headers not found")
    spec = nvcc_lib.LibSpec(
        source=source,
        arch=arch,
        defines=dict(defines),
        include_dirs=dirs,
        depends=(API_HEADER,),
        salt=f"cutlass {version()}",
        label=label,
    )
    return nvcc_lib.build(spec)


class KbArgs(ctypes.Structure):
    _fields_ = [
        ("a", ctypes.c_void_p),
        ("b", ctypes.c_void_p),
        ("c", ctypes.c_void_p),
        ("d", ctypes.c_void_p),
        ("m", ctypes.c_int),
        ("n", ctypes.c_int),
        ("k", ctypes.c_int),
        ("lda", ctypes.c_int64),
        ("ldb", ctypes.c_int64),
        ("ldc", ctypes.c_int64),
        ("ldd", ctypes.c_int64),
        ("alpha", ctypes.c_float),
        ("beta", ctypes.c_float),
        ("swizzle", ctypes.c_int),
        ("raster", ctypes.c_int),
        ("device", ctypes.c_int),
    ]


class KbInfo(ctypes.Structure):
    _fields_ = [("shared_bytes", ctypes.c_int), ("threads", ctypes.c_int), ("stages", ctypes.c_int)]


def _library(path: Path) -> ctypes.CDLL:
    lib = nvcc_lib.load(path)
    lib.kb_error_string.restype = ctypes.c_char_p
    lib.kb_error_string.argtypes = [ctypes.c_int]
    lib.kb_create.restype = ctypes.c_void_p
    lib.kb_create.argtypes = [
        ctypes.POINTER(KbArgs),
        ctypes.c_void_p,
        ctypes.c_void_p,
        ctypes.POINTER(ctypes.c_int),
    ]
    lib.kb_check.argtypes = [ctypes.POINTER(KbArgs), ctypes.POINTER(ctypes.c_size_t)]
    lib.kb_run.argtypes = [ctypes.c_void_p, ctypes.c_void_p]
    lib.kb_destroy.argtypes = [ctypes.c_void_p]
    return lib


def info(built: nvcc_lib.Built) -> KbInfo:
    """Dynamic shared memory, threads and stages of the built kernel (no GPU needed)."""
    out = KbInfo()
    _library(built.path).kb_info(ctypes.byref(out))
    return out


def resources(built: nvcc_lib.Built, label: str) -> list[Resources]:
    """The kernel's resources for the static check: ptxas's report plus the dynamic shared memory."""
    meta = info(built)
    return [
        Resources(
            kernel=label,
            registers=k.registers,
            shared_bytes=meta.shared_bytes + k.static_shared,
            threads=meta.threads,
            spill_bytes=k.spill_stores + k.spill_loads,
            local_bytes=k.stack_frame,
        )
        for k in built.kernels.values()
        if k.registers  # device functions have properties but no register count of their own
    ]


def _leading(t: Any, layout: str, name: str) -> int:
    """Leading dimension of a 2-D operand stored row- or column-major."""
    rows, cols = t.shape
    if layout == "row" and (t.stride(1) == 1 or cols == 1):
        return max(int(t.stride(0)), cols, 1)
    if layout == "col" and (t.stride(0) == 1 or rows == 1):
        return max(int(t.stride(1)), rows, 1)
    raise Unsupported(f"{name} is not stored {layout}-major (strides {tuple(t.stride())})")


def gemm_launch(
    built: nvcc_lib.Built, problem: Problem, inputs: Inputs, *, swizzle: int = 1, raster: int = 0
) -> Launch:
    """Check, initialise (host-side TMA descriptors, workspace) once; the launch only runs."""
    import torch

    lib = _library(built.path)
    a, b, out = inputs["a"], inputs["b"], inputs["out"]
    beta = float(inputs["beta"])
    c = inputs["c"] if beta != 0.0 else out  # not read when beta is 0
    args = KbArgs(
        a.data_ptr(),
        b.data_ptr(),
        c.data_ptr(),
        out.data_ptr(),
        problem.int("m"),
        problem.int("n"),
        problem.int("k"),
        _leading(a, str(problem["layout_a"]), "A"),
        _leading(b, str(problem["layout_b"]), "B"),
        _leading(c, "row", "C"),
        _leading(out, "row", "D"),
        float(inputs["alpha"]),
        beta,
        swizzle,
        raster,
        out.device.index or 0,
    )
    workspace_bytes = ctypes.c_size_t(0)
    status = lib.kb_check(ctypes.byref(args), ctypes.byref(workspace_bytes))
    if status:
        why = lib.kb_error_string(status).decode()
        if status >= 1000:
            raise RuntimeError(f"CUDA runtime of the CUTLASS library: {why}")
        raise Unsupported(
            f"CUTLASS cannot run this problem ({why}): TMA and 128-bit loads "
            "need leading dimensions that are multiples of 8 elements"
        )
    workspace = torch.empty(
        max(int(workspace_bytes.value), 1), dtype=torch.uint8, device=out.device
    )
    stream = torch.cuda.current_stream(out.device)
    created = ctypes.c_int(0)
    handle = lib.kb_create(
        ctypes.byref(args), workspace.data_ptr(), stream.cuda_stream, ctypes.byref(created)
    )
    if not handle:
        raise RuntimeError(
            f"CUTLASS initialize failed: {lib.kb_error_string(created.value).decode()}"
        )
    return _Run(lib, handle, out.device, keep=(a, b, c, out, workspace))


class _Run:
    """The launch: runs the initialised kernel on torch's current stream; frees it when dropped."""

    def __init__(self, lib: ctypes.CDLL, handle: int, device: Any, keep: tuple[Any, ...]) -> None:
        self._lib, self._handle, self._device = lib, handle, device
        self._keep = keep  # the tensors the handle points into must outlive it
        weakref.finalize(self, lib.kb_destroy, handle)

    def __call__(self) -> None:
        import torch

        code = self._lib.kb_run(self._handle, torch.cuda.current_stream(self._device).cuda_stream)
        if code:
            raise RuntimeError(f"CUTLASS run failed: {self._lib.kb_error_string(code).decode()}")
