"""Devices: where kernels run and what the harness may claim about their timings.

``cuda`` is a real GPU. ``cpu`` runs Triton kernels under ``TRITON_INTERPRET=1`` and torch
on the CPU: it exists to check correctness and to run the whole pipeline anywhere, and its
timings are never GPU performance (``timing_kind`` says so in every record). ``emu`` runs
CUDA kernels' PTX on :mod:`kernbench.emulator` (``emu:sm_90a`` picks the architecture) with
torch baselines on the host CPU beside them: correctness, sanitizer findings and exact
counts, and again timings that are never GPU performance.
"""

from __future__ import annotations

import os
import platform
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from .errors import UsageError

CPU_TIMING_NOTE = "CPU interpreter timing: not GPU performance"
EMU_TIMING_NOTE = "PTX emulator timing: not GPU performance"
EMU_ARCHS = ("sm_80", "sm_90a")
"""Architectures the emulated device offers; ``emu`` alone is the first."""


def timing_note(timing_kinds: str | Iterable[str]) -> str:
    """What to say about timings that are not GPU performance, by the kinds present."""
    kinds = {timing_kinds} if isinstance(timing_kinds, str) else set(timing_kinds)
    if kinds and kinds <= {"emulated"}:
        return EMU_TIMING_NOTE
    if "emulated" in kinds:
        return "CPU interpreter and PTX emulator timings: not GPU performance"
    return CPU_TIMING_NOTE


@dataclass(frozen=True)
class Device:
    """The device a run measures on, with the properties its limits and ceilings need."""

    kind: str
    name: str
    compute_capability: tuple[int, int] = (0, 0)
    sm_count: int = 0
    l2_bytes: int = 0
    memory_bytes: int = 0
    shared_per_block_optin: int = 0
    registers_per_sm: int = 0
    max_threads_per_block: int = 0
    driver: str = ""
    cuda_runtime: str = ""
    extra: dict[str, Any] = field(default_factory=dict)
    fallback: bool = field(default=False, compare=False)
    """Resolved from ``auto`` on a machine without a GPU: the user never asked for the CPU,
    so commands refuse GPU-sized problems instead of running them for minutes."""

    @property
    def is_gpu(self) -> bool:
        return self.kind == "cuda"

    @property
    def is_emulated(self) -> bool:
        """CUDA kernels run on the PTX emulator; everything else on the host CPU."""
        return self.kind == "emu"

    @property
    def spec(self) -> str:
        """What :func:`activate` takes to make this device again (in a worker process)."""
        return f"emu:{self.arch}" if self.is_emulated else self.kind

    @property
    def torch_device(self) -> str:
        return "cuda" if self.kind == "cuda" else "cpu"

    @property
    def timing_kind(self) -> str:
        """``gpu`` when timings are performance; anything else is labelled as not."""
        return {"cuda": "gpu", "cpu": "cpu-interpreter", "emu": "emulated"}.get(
            self.kind, self.kind
        )

    @property
    def arch(self) -> str:
        if "arch" in self.extra:  # sm_90a: an architecture-specific target
            return str(self.extra["arch"])
        major, minor = self.compute_capability
        return f"sm_{major}{minor}" if major else "cpu"

    def identity(self) -> str:
        """What must match for two measurements to be comparable (GPU model and driver)."""
        return f"{self.name}|driver={self.driver}" if self.is_gpu else self.name

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        del out["fallback"]  # how the device was chosen is not a property of the device
        out["timing_kind"] = self.timing_kind
        return out


def cuda_available() -> bool:
    try:
        import torch
    except ImportError:
        return False
    return bool(torch.cuda.is_available())


def _driver_version() -> str:
    try:
        import pynvml

        pynvml.nvmlInit()
        try:
            version = pynvml.nvmlSystemGetDriverVersion()
        finally:
            pynvml.nvmlShutdown()
        return version.decode() if isinstance(version, bytes) else str(version)
    except Exception:
        return ""


def cuda_device(index: int = 0) -> Device:
    import torch

    props = torch.cuda.get_device_properties(index)
    return Device(
        kind="cuda",
        name=props.name,
        compute_capability=(props.major, props.minor),
        sm_count=props.multi_processor_count,
        l2_bytes=int(getattr(props, "L2_cache_size", 0)),
        memory_bytes=int(props.total_memory),
        shared_per_block_optin=int(getattr(props, "shared_memory_per_block_optin", 0)),
        registers_per_sm=int(getattr(props, "regs_per_multiprocessor", 0)),
        max_threads_per_block=int(getattr(props, "max_threads_per_block", 1024)),
        driver=_driver_version(),
        cuda_runtime=str(torch.version.cuda or ""),
    )


def cpu_device() -> Device:
    name = platform.processor() or platform.machine() or "cpu"
    return Device(kind="cpu", name=f"CPU ({name}, {os.cpu_count()} cores)")


def emu_device(arch: str = EMU_ARCHS[0]) -> Device:
    """The PTX emulator as a device: the architecture it executes, on this host's CPU."""
    if arch not in EMU_ARCHS:
        raise UsageError(f"emu:{arch}: the emulator offers {', '.join(EMU_ARCHS)}")
    major, minor = int(arch[3]), int(arch[4])
    host = cpu_device().name
    return Device(
        kind="emu",
        name=f"PTX emulator {arch} on {host}",
        compute_capability=(major, minor),
        shared_per_block_optin=(227 if major >= 9 else 163) * 1024,
        max_threads_per_block=1024,
        registers_per_sm=65536,
        extra={"arch": arch},
    )


_ACTIVE: Device | None = None


def active() -> Device | None:
    """The device this process activated, or None: what a launch path consults to choose
    between the GPU and the emulator without every kernel module asking."""
    return _ACTIVE


def _one_thread() -> None:
    """Run torch on one CPU thread: OpenMP threads spinning on a busy machine made CPU-device
    timings swing 200x between runs. Workers call ``activate`` too, so they inherit this."""
    os.environ["OMP_NUM_THREADS"] = "1"
    try:
        import torch
    except ImportError:
        return
    torch.set_num_threads(1)


def _triton_on_emulator(arch: str) -> None:
    """Triton kernels compile for the emulated architecture and run on the emulator, not
    under the interpreter (see ``kernbench.backends.triton_emu``)."""
    os.environ.pop("TRITON_INTERPRET", None)
    try:
        from .backends import triton_emu
    except ImportError:  # no Triton here: its variants are refused, as on every device
        return
    triton_emu.install(arch)


def activate(kind: str) -> Device:
    """Resolve ``cuda``/``cpu``/``auto`` and prepare the process for it.

    For ``cpu`` this sets ``TRITON_INTERPRET=1``, which Triton reads when kernels are
    decorated: call this before any plugin is imported. ``emu`` clears it, for the same
    reason: there Triton kernels are compiled, and launched on the emulator.
    """
    # Triton 3.9 warns that its floating-point fusion default flips in 3.10: pin the default
    # every Triton so far compiled with (FMA contraction on), so that records compare across
    # Triton versions. A user's own setting wins; provenance records the value.
    os.environ.setdefault("TRITON_DEFAULT_FP_FUSION", "1")
    global _ACTIVE
    _ACTIVE = _activate(kind)
    return _ACTIVE


def _activate(kind: str) -> Device:
    fallback = kind == "auto" and not cuda_available()
    if kind == "auto":
        kind = "cpu" if fallback else "cuda"
    if kind == "cpu":
        os.environ["TRITON_INTERPRET"] = "1"
        _one_thread()
        return replace(cpu_device(), fallback=fallback)
    if kind == "emu" or kind.startswith("emu:"):
        _one_thread()
        emulated = emu_device(kind.partition(":")[2] or EMU_ARCHS[0])
        _triton_on_emulator(emulated.arch)
        return emulated
    if kind == "cuda":
        if not cuda_available():
            raise UsageError("no CUDA GPU is visible here: use --device cpu or --device emu")
        return cuda_device()
    raise UsageError(f"unknown device {kind!r} (use cuda, cpu, emu[:ARCH] or replay:FILE)")
