"""The variant contract: one implementation of a family, registered by a decorator.

A variant module declares its config space with constraints, its default configs and a
``build`` function that prepares a launch for one problem and one config and returns a
zero-argument callable; the harness owns timing, checking and storing.
"""

from __future__ import annotations

import hashlib
import inspect
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .device import Device
from .family import Inputs
from .problem import Problem
from .space import Config, Space
from .target import Resources, Target

Launch = Callable[[], object]
Build = Callable[[Problem, Config, Inputs], Launch]
StaticCheck = Callable[[Problem, Config, str, Target], Sequence[Resources]]

LANGUAGES = ("triton", "cuda", "cutlass", "torch", "python")
HOST_LANGUAGES = ("torch", "python")
"""Languages whose variants run on the host when the device is emulated."""
EMULATED_LANGUAGES = ("triton",)
"""Languages whose GPU variants the emulated device runs without declaring it (their compiler
targets the emulated architecture): CUDA C++ variants opt in with ``"emu"`` in their devices."""


class Unsupported(Exception):
    """Raised by ``build`` (or a static check) when a valid config cannot handle this problem
    (e.g. alignment): the candidate is recorded as ``unsupported``, not as a failure."""


@dataclass(frozen=True)
class Requirements:
    """What a variant needs from the machine; ``probe`` returns a reason when unmet."""

    devices: frozenset[str] = frozenset({"cuda", "cpu"})
    min_compute_capability: tuple[int, int] | None = None
    probe: Callable[[], str | None] | None = None


@dataclass(frozen=True)
class Variant:
    """One implementation of a family: its space, its defaults and how to build a launch."""

    name: str
    family: str
    language: str
    build: Build
    space: Space = field(default_factory=Space)
    defaults: tuple[Config, ...] = ()
    baseline: bool = False
    description: str = ""
    requires: Requirements = field(default_factory=Requirements)
    dtypes: tuple[str, ...] | None = None
    static_check: StaticCheck | None = None
    sources: tuple[Path, ...] = ()
    order: int = 0
    """Position on the family's ladder (1 = the first step); 0 for baselines and others."""
    context: Callable[[], dict[str, Any]] | None = None
    """Settings outside the config that decide what runs (e.g. cuBLAS TF32 and workspace):
    read in the measuring process and stored with every record."""
    label: str = ""
    """What a report calls this variant when it ran on a GPU (``cuBLAS`` for torch.matmul):
    the library that did the work, which the variant's name may not say."""

    def __post_init__(self) -> None:
        if self.language not in LANGUAGES:
            raise ValueError(f"variant {self.name}: unknown language {self.language!r}")
        for config in self.default_configs():
            reason = self.space.violated(config)
            if reason:
                raise ValueError(f"variant {self.name}: default config {config} invalid: {reason}")

    def default_configs(self) -> tuple[Config, ...]:
        """The configs ``bench`` runs; a variant with an empty space has one empty config."""
        return self.defaults or ({},)

    def unavailable(self, device: Device) -> str | None:
        """Why this variant cannot run on ``device``, or None."""
        if device.kind not in self.requires.devices and not self._runs_beside_emulator(device):
            return f"{self.name} does not run on the {device.kind} device"
        need = self.requires.min_compute_capability
        if need and device.kind in ("cuda", "emu") and device.compute_capability < need:
            return f"{self.name} needs compute capability {need[0]}.{need[1]}"
        if self.requires.probe is not None:
            return self.requires.probe()
        return None

    def _runs_beside_emulator(self, device: Device) -> bool:
        """On the emulated device, torch and Python variants run on the host CPU beside the
        emulated kernels (the family's baselines), and Triton variants that compile for a GPU
        compile for the emulated one and run there (``kernbench.backends.triton_emu``)."""
        if not device.is_emulated:
            return False
        if self.language in HOST_LANGUAGES:
            return "cpu" in self.requires.devices
        return self.language in EMULATED_LANGUAGES and "cuda" in self.requires.devices

    def supports_dtype(self, dtype: str) -> bool:
        return self.dtypes is None or dtype in self.dtypes

    def source_hash(self) -> str:
        """Hash of the variant's module and kernel sources: part of every cache key."""
        digest = hashlib.sha256()
        module = inspect.getmodule(self.build)
        files = [Path(inspect.getfile(module))] if module is not None else []
        for path in sorted({*files, *self.sources}):
            digest.update(path.name.encode())
            digest.update(path.read_bytes())
        return digest.hexdigest()[:16]


def variant(
    *,
    family: str,
    name: str | None = None,
    language: str,
    space: Space | None = None,
    defaults: Sequence[Mapping[str, Any]] = (),
    baseline: bool = False,
    description: str = "",
    requires: Requirements | None = None,
    dtypes: Sequence[str] | None = None,
    static_check: StaticCheck | None = None,
    sources: Sequence[str | Path] = (),
    order: int = 0,
    context: Callable[[], dict[str, Any]] | None = None,
    label: str = "",
) -> Callable[[Build], Variant]:
    """Turn a ``build(problem, config, inputs) -> launch`` function into a Variant.

    Kernel sources are named relative to the module that owns them.
    """

    def wrap(build: Build) -> Variant:
        module_dir = Path(inspect.getfile(build)).parent
        return Variant(
            name=name or build.__module__.rsplit(".", 1)[-1],
            family=family,
            language=language,
            build=build,
            space=space or Space(),
            defaults=tuple(dict(d) for d in defaults),
            baseline=baseline,
            description=inspect.cleandoc(description or build.__doc__ or ""),
            requires=requires or Requirements(),
            dtypes=tuple(dtypes) if dtypes is not None else None,
            static_check=static_check,
            sources=tuple(module_dir / s for s in sources),
            order=order,
            context=context,
            label=label,
        )

    return wrap
