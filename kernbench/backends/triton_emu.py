"""Triton on the PTX emulator: a Triton driver whose launches run on :mod:`kernbench.emulator`.

Triton's JIT asks its *active driver* for everything device-side: the target to compile for,
the device and stream, the device's limits, how to load a binary and how to launch it
(``triton.runtime.driver``). :class:`EmulatorDriver` answers for an emulated architecture, so
``kernel[grid](...)`` compiles exactly as it would for that GPU (sm_80 or sm_90a, through
ptxas: the cubin is built and ignored) and :class:`EmulatorLauncher` runs the PTX Triton
generated with Triton's calling convention:

- the kernel parameters are the signature's non-constexpr arguments in order (arguments
  Triton specialised away, such as ints equal to 1 and ``None``, are constexprs there), tuples
  flattened; tensors are passed as themselves, so the emulator bounds-checks every access;
- two hidden trailing pointers follow: global scratch and profile scratch, each a zeroed host
  buffer of ``grid * num_ctas * size`` bytes when the compiled metadata asks for any, else null;
- ``32 * num_warps`` threads per block, ``metadata.shared`` bytes of dynamic shared memory, and
  ``num_ctas > 1`` as clusters of that many CTAs along x (the grid's x scaled by it), as
  Triton's own CUDA launcher does.

Findings raise :class:`~kernbench.backends.emu_launch.EmulatorFindings` and every launch is
recorded with :mod:`.emu_launch`'s results, exactly as for CUDA C++ kernels. Kernels must be
real ``JITFunction``s: a module imported under ``TRITON_INTERPRET=1`` holds interpreted
functions, which this driver cannot run (:func:`interpreted`).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from triton.backends.compiler import GPUTarget
from triton.backends.driver import DriverBase, expand_signature, wrap_handle_tensordesc_impl
from triton.backends.nvidia.driver import make_tensordesc_arg
from triton.runtime.cache import get_cache_manager
from triton.runtime.driver import driver as triton_driver

from .emu_launch import _LAST, EmulatorFindings, Launched

SHARED_PER_BLOCK = {"sm_80": 163 * 1024, "sm_90a": 227 * 1024}
SM_COUNT = 4
"""Streaming multiprocessors the emulated device reports (what a persistent grid is sized by)."""


def capability(arch: str) -> int:
    """``sm_90a`` -> 90: Triton's integer compute capability."""
    return int(arch[3:5])


class EmulatorUtils:
    """What Triton's runtime calls ``driver.active.utils``: loading is free (there is nothing
    to load: the launcher holds the PTX), and the limits are the emulated architecture's."""

    def __init__(self, arch: str) -> None:
        self.arch = arch

    def load_binary(self, name: str, kernel: bytes, shared: int, device: int) -> tuple[Any, ...]:
        """(module, function, registers, spills, max threads): the name stands for both."""
        return name, name, 0, 0, 1024

    def unload_module(self, module: Any) -> None:
        pass

    def fill_tma_descriptor_tiled(
        self,
        address: int,
        swizzle: int,
        elem_size: int,
        elem_type: int,
        block: Sequence[int],
        shape: Sequence[int],
        strides: Sequence[int],
        padding: int,
    ) -> bytes:
        """A host-side tensor descriptor's ``CUtensorMap``, as Triton's CUDA utils encode it
        (dimensions innermost first, byte strides, L2 promotion 128B), in the emulator's
        encoding: the 128 bytes the kernel takes by value."""
        from ..emulator.hopper.tensormap import encode_tiled

        rank = len(block)
        return encode_tiled(
            dtype=elem_type,
            rank=rank,
            global_address=address,
            global_dim=[int(d) for d in reversed(shape)],
            global_strides=[int(s) * elem_size for s in reversed(strides[: rank - 1])],
            box_dim=[int(b) for b in reversed(block)],
            element_strides=[1] * rank,
            swizzle=swizzle,
            l2_promotion=2,
            oob_fill=1 if padding == 1 else 0,
        )

    def get_device_properties(self, device: int) -> dict[str, Any]:
        return {
            "max_shared_mem": SHARED_PER_BLOCK[self.arch],
            "max_num_regs": 65536,
            "multiprocessor_count": SM_COUNT,
            "warpSize": 32,
            "sm_clock_rate": 0,
            "mem_clock_rate": 0,
            "mem_bus_width": 0,
        }


class EmulatorDriver(DriverBase):
    """Triton's active driver while the emulated device is active."""

    def __init__(self, arch: str) -> None:
        super().__init__()
        self.arch = arch
        self.utils = EmulatorUtils(arch)
        self.launcher_cls = launcher_for(arch)

    @classmethod
    def is_active(cls) -> bool:
        """Never picked by Triton's discovery: :func:`install` sets it explicitly."""
        return False

    def map_python_to_cpp_type(self, ty: str) -> str:
        return "void*" if ty.startswith("*") else ty

    def get_current_target(self) -> GPUTarget:
        return GPUTarget("cuda", capability(self.arch), 32)

    def get_current_device(self) -> int:
        """The capability doubles as the device id: the JIT caches binders per device, so an
        sm_80 and an sm_90a kernel of one process never share a compilation target."""
        return capability(self.arch)

    def set_current_device(self, device: int) -> None:
        pass

    def get_current_stream(self, device: int | None = None) -> int:
        return 0

    def get_device_capability(self, device: int | None = None) -> tuple[int, int]:
        major, minor = divmod(capability(self.arch), 10)
        return major, minor

    def get_active_torch_device(self) -> Any:
        import torch

        return torch.device("cpu")

    def get_benchmarker(self) -> Callable[..., Sequence[float]]:
        return _benchmark

    def get_empty_cache_for_benchmark(self) -> Any:
        import torch

        return torch.empty(0, dtype=torch.int8)

    def clear_cache(self, cache: Any) -> None:
        pass


def _benchmark(
    kernel_call: Callable[[], object], *, quantiles: Sequence[float] = (), **_: Any
) -> list[float]:
    """Triton's autotuner asks the driver for a benchmarker: one emulated run, in ms (harness
    time, not performance; kernbench never tunes through Triton's autotuner)."""
    began = time.perf_counter()
    kernel_call()
    ms = (time.perf_counter() - began) * 1e3
    return [ms] * max(1, len(quantiles))


def _flatten(types: Sequence[Any], values: Sequence[Any]) -> Iterator[tuple[str, Any]]:
    """(type, value) of every kernel parameter: constexprs dropped, tuples flattened."""
    for ty, value in zip(types, values, strict=True):
        if isinstance(ty, tuple):
            yield from _flatten(ty, value)
        elif ty != "constexpr":
            yield ty, value


def _argument(ty: str, value: Any) -> Any:
    """A launch argument as the emulator takes it: buffers as themselves (bounds-checked)."""
    if ty.startswith("*"):
        if value is None or hasattr(value, "data_ptr"):
            return value
        if isinstance(value, int):  # a raw address: the emulator sees no buffer behind it
            return value
        raise TypeError(f"a {ty} argument needs a tensor, got {type(value).__name__}")
    if ty == "nvTmaDesc":  # encoded by EmulatorUtils.fill_tma_descriptor_tiled
        return bytes(value)
    if ty in ("fp16", "bf16", "fp32", "f32", "fp64"):
        return float(value)
    return int(value)


def _ptx_of(src: Any, metadata: Any) -> str:
    """The PTX Triton stored beside the cubin in its cache (the launcher gets no binary but
    the metadata, whose hash names the cache entry)."""
    cache = get_cache_manager(metadata.hash)
    path = cache.get_file(f"{src.name[:150]}.ptx")
    if path is None:
        raise RuntimeError(
            f"{metadata.name}: Triton's cache holds no PTX for it (TRITON_STORE_BINARY_ONLY?); "
            "the emulator runs PTX"
        )
    with open(path) as f:
        return f.read()


def _kernel_args(*args: Any) -> Any:
    """The innermost "launcher" of Triton's descriptor expansion: the expanded arguments."""
    return args[-1]


def launcher_for(arch: str) -> type[EmulatorLauncher]:
    """Triton builds launchers as ``driver.launcher_cls(src, metadata)``: bind the arch."""

    class Launcher(EmulatorLauncher):
        ARCH = arch

    return Launcher


class EmulatorLauncher:
    """``CompiledKernel.run``: called as Triton's CUDA launcher is, it runs the PTX instead."""

    ARCH = "sm_80"

    def __init__(self, src: Any, metadata: Any) -> None:
        self.name = str(metadata.name)
        self.ptx = _ptx_of(src, metadata)
        # Host-side tensor descriptors expand as Triton's CUDA launcher expands them: into
        # base pointer, shape and strides, or (where the kernel uses TMA) a tensor map.
        tensordesc_meta = getattr(metadata, "tensordesc_meta", None)
        self.types = expand_signature(list(src.signature.values()), tensordesc_meta, "nvTmaDesc")
        self.expand = wrap_handle_tensordesc_impl(
            _kernel_args, src.signature, tensordesc_meta, make_tensordesc_arg
        )
        self.block = 32 * int(metadata.num_warps)
        self.shared = int(metadata.shared)
        self.num_ctas = int(getattr(metadata, "num_ctas", 1) or 1)
        self.scratch = [
            int(getattr(metadata, "global_scratch_size", 0) or 0),
            int(getattr(metadata, "profile_scratch_size", 0) or 0),
        ]

    def __call__(
        self,
        grid_x: int,
        grid_y: int,
        grid_z: int,
        stream: Any,
        function: Any,
        packed_metadata: Any,
        launch_metadata: Any,
        enter_hook: Callable[[Any], None] | None,
        exit_hook: Callable[[Any], None] | None,
        *args: Any,
    ) -> None:
        import torch

        from .. import emulator

        programs = grid_x * grid_y * grid_z
        if programs == 0:
            return
        kernel_args = [_argument(ty, v) for ty, v in _flatten(self.types, self.expand(args))]
        hidden = [
            torch.zeros(programs * self.num_ctas * size, dtype=torch.uint8) if size else None
            for size in self.scratch
        ]
        grid = (grid_x * self.num_ctas, grid_y, grid_z)
        cluster = (self.num_ctas, 1, 1) if self.num_ctas > 1 else None
        if enter_hook is not None:
            enter_hook(launch_metadata)
        result = emulator.launch(
            self.ptx,
            self.name,
            grid,
            self.block,
            [*kernel_args, *hidden],
            shared_bytes=self.shared,
            arch=self.ARCH,
            cluster=cluster,
        )
        _LAST.append(Launched(self.name, self.ARCH, grid, (self.block, 1, 1), result))
        if exit_hook is not None:
            exit_hook(launch_metadata)
        if result.findings:
            raise EmulatorFindings(self.name, result.findings)


def install(arch: str) -> None:
    """Make the emulator Triton's active driver (the emulated device's activation calls it)."""
    active = getattr(triton_driver, "_active", None)
    if isinstance(active, EmulatorDriver) and active.arch == arch:
        return
    triton_driver.set_active(EmulatorDriver(arch))


def interpreted(kernel: Any) -> bool:
    """Whether ``kernel`` was decorated under ``TRITON_INTERPRET=1``: an interpreted function,
    which has no compiler behind it (the module was imported before the device was active).
    Wrappers (``triton.autotune``, ``triton.heuristics``) are looked through."""
    from triton.runtime.interpreter import InterpretedFunction
    from triton.runtime.jit import JITFunction

    while not isinstance(kernel, (JITFunction, InterpretedFunction)) and hasattr(kernel, "fn"):
        kernel = kernel.fn
    return isinstance(kernel, InterpretedFunction)
