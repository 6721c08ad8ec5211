"""The public entry point: launch a kernel from PTX on host buffers and get findings back.

::

    from kernbench.emulator import launch
    r = launch(ptx_text, "my_kernel", grid=(4, 1, 1), block=(128, 1, 1), args=[out, x, n])
    assert r.ok, r.findings

Arguments are torch CPU tensors or numpy arrays (passed as pointers: their memory is the
kernel's global memory), Python ints and floats (converted to the declared ``.param`` type),
``bytes`` (copied by value into a ``.b8`` array parameter, e.g. a 128-byte CUtensorMap) and
``None`` (a null pointer).
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import struct
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from . import opcodes, program
from .cluster import cluster_dims, whole_clusters
from .counters import Counters
from .findings import Finding, Findings
from .machine import Machine
from .memory import HostMemory
from .ptx import ir
from .state import CLASS_DTYPE, Layout

STATIC_SHARED_LIMIT = 48 * 1024
SHARED_LIMIT = {
    "sm_80": 163 * 1024,
    "sm_86": 99 * 1024,
    "sm_89": 99 * 1024,
    "sm_90": 227 * 1024,
    "sm_90a": 227 * 1024,
}
REGFILE_BUDGET = 256 << 20
MAX_WAVE_THREADS = 1 << 17

Dim = int | tuple[int, ...]


@dataclass
class LaunchResult:
    """What a launch did: its findings and how much it executed."""

    kernel: str
    findings: list[Finding]
    thread_instructions: int
    warp_instructions: int
    line_counts: dict[int, int] = field(default_factory=dict)
    """PTX line -> thread-instructions executed there."""
    line_warp_counts: dict[int, int] = field(default_factory=dict)
    wall_time: float = 0.0
    waves: int = 1
    counts: Any = None
    """The launch's counters (:class:`.counters.Counts`); None when launched with
    ``counters=False``."""

    @property
    def ok(self) -> bool:
        return not self.findings

    def __str__(self) -> str:
        head = (
            f"{self.kernel}: {self.thread_instructions} thread-instructions "
            f"({self.warp_instructions} warp-instructions) in {self.wall_time:.3f} s"
        )
        return "\n".join([head, *(str(f) for f in self.findings)])


def _dim3(d: Dim, what: str) -> tuple[int, int, int]:
    t = (d,) if isinstance(d, int) else tuple(int(x) for x in d)
    if not 1 <= len(t) <= 3 or any(x < 1 for x in t):
        raise ValueError(f"{what} must be 1 to 3 positive ints, got {d!r}")
    return (*t, 1, 1)[:3]  # type: ignore[return-value]


def _read_ptx(ptx: str | os.PathLike[str]) -> str:
    s = os.fspath(ptx)
    if "\n" not in s and (s.endswith(".ptx") or os.path.exists(s)):
        with open(s) as f:
            return f.read()
    return s


def _buffer(arg: Any) -> tuple[int, int] | None:
    """(address, byte span) of a tensor or array argument; None when not a buffer."""
    if hasattr(arg, "data_ptr") and hasattr(arg, "element_size"):
        if getattr(arg, "device", None) is not None and arg.device.type != "cpu":
            raise ValueError(f"tensor arguments must be on the CPU, got {arg.device}")
        n = arg.numel()
        if n == 0:
            return int(arg.data_ptr()), 0
        span = sum((s - 1) * abs(st) for s, st in zip(arg.shape, arg.stride(), strict=True)) + 1
        return int(arg.data_ptr()), span * arg.element_size()
    if isinstance(arg, np.ndarray):
        if arg.size == 0:
            return int(arg.ctypes.data), 0
        if not arg.flags.writeable:
            raise ValueError("numpy array arguments must be writable")
        span = sum((s - 1) * abs(st) for s, st in zip(arg.shape, arg.strides, strict=True))
        return int(arg.ctypes.data), span + arg.itemsize
    return None


def _describe(arg: Any) -> str:
    shape = "x".join(str(s) for s in getattr(arg, "shape", ()))
    return f"{str(getattr(arg, 'dtype', type(arg).__name__)).replace('torch.', '')}[{shape}]"


INT_FMT = {1: "B", 2: "H", 4: "I", 8: "Q"}


def _map_tensor(raw: bytes, name: str, host: HostMemory) -> None:
    from .ops.tensormap import register_map_tensor

    register_map_tensor(raw, name, host)


def _pack(p: ir.Param, i: int, arg: Any, host: HostMemory) -> bytes:
    t, size = p.type, p.size
    where = (
        f"argument {i} ({p.name}, .{t}{'[' + str(size) + ']' if t == 'b8' and size > 1 else ''})"
    )
    buf = _buffer(arg)
    if buf is not None or arg is None:
        if size != 8 or t not in ("u64", "b64", "s64"):
            raise ValueError(f"{where}: got a buffer but the parameter is not a 64-bit pointer")
        if buf is None:
            return bytes(8)
        base, span = buf
        if span:
            host.add(base, span, f"argument {i} ({p.name}, {_describe(arg)})", arg)
        if span == 128:  # perhaps a tensor map in global memory: its tensor is addressable
            _map_tensor(ctypes.string_at(base, 128), f"the tensor of argument {i}'s map", host)
        return struct.pack("<Q", base)
    if isinstance(arg, (bytes, bytearray, memoryview)):
        data = bytes(arg)
        if len(data) > size:
            raise ValueError(f"{where}: {len(data)} bytes do not fit in {size}")
        _map_tensor(data, f"the tensor of {where}'s tensor map", host)
        return data.ljust(size, b"\0")
    if isinstance(arg, (bool, int, np.integer)):
        v = int(arg)
        if t.startswith("f"):
            return _pack(p, i, float(v), host)
        lo = -(1 << (8 * size - 1)) if t.startswith("s") else 0
        hi = (1 << (8 * size)) - 1 if not t.startswith("s") else (1 << (8 * size - 1)) - 1
        if t.startswith("b"):
            lo = -(1 << (8 * size - 1))
        if not lo <= v <= hi:
            raise ValueError(f"{where}: {v} does not fit")
        return (v & ((1 << (8 * size)) - 1)).to_bytes(size, "little")
    if isinstance(arg, (float, np.floating)):
        dt = {"f32": np.float32, "f64": np.float64, "f16": np.float16}.get(t)
        if dt is None:
            raise ValueError(f"{where}: got a float for a non-float parameter")
        return np.array(arg, dt).tobytes()
    raise ValueError(f"{where}: cannot pass a {type(arg).__name__}")


SANITIZER_BYTES_PER_SHARED_BYTE = 35
"""The shared-memory sanitizer's per-byte state (two keys, warp epochs, pcs, pending)."""


def _wave_ctas(
    prog: program.Program, layout_stride: int, total: int, shared: int, check: bool
) -> int:
    """CTAs per wave: as many as fit the memory budget (registers, local, shared and the
    sanitizer's shadow of shared) and the thread cap."""
    per_thread = sum(n * np.dtype(CLASS_DTYPE[c]).itemsize for c, n in prog.counts.items())
    per_thread += prog.local_size + 32
    per_cta = per_thread * layout_stride + shared * (
        1 + (SANITIZER_BYTES_PER_SHARED_BYTE if check else 0)
    )
    by_mem = REGFILE_BUDGET // max(1, per_cta)
    by_threads = MAX_WAVE_THREADS // layout_stride
    return max(1, min(total, by_mem, by_threads))


_NO_HOST = HostMemory()
_BLAS: Any = None


def _one_blas_thread() -> Any:
    """A context that keeps BLAS (used by batched mma matmuls of tiny matrices) on one
    thread: its worker threads only contend with the emulator on a shared machine. A no-op
    when threadpoolctl is not installed."""
    global _BLAS
    if _BLAS is None:
        try:
            from threadpoolctl import ThreadpoolController

            _BLAS = ThreadpoolController()
        except ImportError:  # pragma: no cover - optional
            _BLAS = False
    if _BLAS is False:
        return contextlib.nullcontext()
    return _BLAS.limit(limits=1, user_api="blas")


_MACHINES: OrderedDict[int, tuple[tuple[Any, ...], Machine]] = OrderedDict()
"""Per program, the last machine it ran on: relaunching the same shape skips linking. Only
the few most recent are kept (a machine holds a wave's registers and shared memory)."""
MACHINES_KEPT = 4


def _machine(
    prog: program.Program,
    layout: Layout,
    host: HostMemory,
    findings: Findings,
    shared_bytes: int,
    check: bool,
    budget: int | None,
    clock: list[int],
) -> Machine:
    key = (layout.n_cta, layout.block, layout.grid, shared_bytes, check)
    held = _MACHINES.get(id(prog))
    if held is not None and held[0] == key and held[1].program is prog:
        held[1].reset(layout, host, findings, budget=budget, clock=clock)
        _MACHINES.move_to_end(id(prog))
        return held[1]
    m = Machine(
        prog,
        layout,
        host,
        findings,
        dynamic_shared=shared_bytes,
        check=check,
        budget=budget,
        clock=clock,
    )
    if layout.size * 64 < REGFILE_BUDGET:
        _MACHINES[id(prog)] = (key, m)
        _MACHINES.move_to_end(id(prog))
        while len(_MACHINES) > MACHINES_KEPT:
            _MACHINES.popitem(last=False)
    return m


def _check_directives(fn: ir.Function, block: tuple[int, int, int]) -> None:
    """``.reqntid`` must match the block exactly; ``.maxntid`` bounds its size (as the
    driver refuses such launches)."""
    req = fn.directives.get("reqntid")
    if req:
        want = (*req, 1, 1)[:3]
        if tuple(want) != block:
            raise ValueError(f"{fn.name} requires a block of {want} (.reqntid), got {block}")
    most = fn.directives.get("maxntid")
    if most:
        limit = int(np.prod(most))
        if block[0] * block[1] * block[2] > limit:
            raise ValueError(
                f"{fn.name} allows at most {limit} threads per block (.maxntid), got {block}"
            )


def launch(
    ptx: str | os.PathLike[str],
    kernel: str,
    grid: Dim,
    block: Dim,
    args: list[Any] | tuple[Any, ...],
    *,
    shared_bytes: int = 0,
    arch: str = "sm_80",
    cluster: Dim | None = None,
    check: bool = True,
    max_instructions: int | None = None,
    counters: bool = True,
) -> LaunchResult:
    """Run ``kernel`` of the PTX (text or a ``.ptx`` path) over ``grid`` x ``block`` threads.

    ``shared_bytes`` is the dynamic shared memory; ``check`` enables the shared-memory
    sanitizer (races, uninitialized reads, pending async copies; bounds are always checked);
    ``max_instructions`` caps executed thread-instructions (exceeding it is a finding).
    ``cluster`` is the thread-block cluster shape (sm_90; a kernel's ``__cluster_dims__``
    gives it too). A ``CUtensorMap`` argument goes by value as its 128 bytes (``bytes``,
    e.g. from :func:`encode_tiled`) or through a pointer to a buffer holding them.
    ``counters`` counts memory requests, sectors and wavefronts (see :mod:`.counters`).
    """
    t0 = time.perf_counter()
    text = _read_ptx(ptx)
    table = opcodes.table_for(arch)
    prog = program.load(text, kernel, arch, table)
    g, b = _dim3(grid, "grid"), _dim3(block, "block")
    nthreads = b[0] * b[1] * b[2]
    if nthreads > 1024 or b[0] > 1024 or b[1] > 1024 or b[2] > 64:
        raise ValueError(f"block {b} has {nthreads} threads: at most 1024 (z at most 64)")
    _check_directives(prog.kernel, b)
    if g[1] > 65535 or g[2] > 65535 or g[0] >= 1 << 31:
        raise ValueError(f"grid {g} is outside the CUDA limits")
    cl, explicit = cluster_dims(
        prog.kernel.directives, _dim3(cluster, "cluster") if cluster else None, g, arch
    )
    if prog.shared_static > STATIC_SHARED_LIMIT:
        raise ValueError(f"{prog.shared_static} bytes of static shared memory exceed 48 KB")
    limit = SHARED_LIMIT.get(arch, 48 * 1024)
    if shared_bytes < 0 or prog.dynamic_shared_offset + shared_bytes > limit:
        raise ValueError(
            f"{prog.shared_static} static + {shared_bytes} dynamic bytes of shared "
            f"memory exceed {arch}'s {limit} bytes per block"
        )
    if len(args) != len(prog.params):
        raise ValueError(f"{kernel} takes {len(prog.params)} arguments, got {len(args)}")
    host = HostMemory()
    host.extend([a for a in prog.host.allocs if a.name != "kernel parameters"])
    for i, ((p, off), arg) in enumerate(zip(prog.params, args, strict=True)):
        data = _pack(p, i, arg, host)
        prog.param_buffer[off : off + len(data)] = np.frombuffer(data, np.uint8)
    pb = prog.param_buffer
    host.add(pb.ctypes.data, pb.nbytes, "kernel parameters", pb)
    findings = Findings()
    n_total = g[0] * g[1] * g[2]
    stride = -(-nthreads // 32) * 32
    shared_total = (
        (prog.dynamic_shared_offset + shared_bytes) if shared_bytes else prog.shared_static
    )
    per_wave = whole_clusters(_wave_ctas(prog, stride, n_total, shared_total, check), cl, g)
    clock = [0]
    tcounts = np.zeros(len(prog.steps), np.int64)
    wcounts = np.zeros(len(prog.steps), np.int64)
    waves = 0
    budget = max_instructions
    observer = Counters(prog) if counters else None
    for first in range(0, n_total, per_wave):
        layout = Layout(b, g, first, min(per_wave, n_total - first), cl, explicit)
        m = _machine(prog, layout, host, findings, shared_bytes, check, budget, clock)
        m.observer = observer
        with _one_blas_thread():
            m.run()
        m.host = _NO_HOST  # a kept machine must not keep the caller's tensors alive
        m.observer = None
        tcounts += m.thread_counts
        wcounts += m.warp_counts
        waves += 1
        if budget is not None:
            budget -= int(m.thread_counts.sum())
        if findings.fatal:
            break
    lines: dict[int, int] = {}
    wlines: dict[int, int] = {}
    for s in prog.steps:
        if tcounts[s.pc]:
            lines[s.ins.line] = lines.get(s.ins.line, 0) + int(tcounts[s.pc])
            wlines[s.ins.line] = wlines.get(s.ins.line, 0) + int(wcounts[s.pc])
    return LaunchResult(
        kernel,
        findings.as_list(),
        int(tcounts.sum()),
        int(wcounts.sum()),
        lines,
        wlines,
        time.perf_counter() - t0,
        waves,
        observer.counts(tcounts, wcounts) if observer is not None else None,
    )
