"""Launching cubins on torch tensors through the CUDA driver API (``cuda.bindings.driver``).

Modules load into the primary context that torch uses, kernels launch on torch's current
stream (so CUDA-graph capture and the harness' timing stream see them), and every driver
call's result is checked. Arguments are packed once per launch closure: a tensor becomes
its ``data_ptr()`` as a 64-bit ``CUdeviceptr``, ``int`` an ``int32``, ``float`` a
``float32``, a ctypes scalar itself, and a :class:`TensorMap` its 128 bytes by value (for
``const __grid_constant__ CUtensorMap`` parameters).
"""

from __future__ import annotations

import ctypes
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..variant import Launch
from .cuda import CudaBinary, KernelBuild
from .cuda_driver import check
from .cuda_tensormap import TensorMap

if TYPE_CHECKING:
    from .emu_launch import EmulatedKernel

Dim3 = tuple[int, int, int]


def _current_device() -> int:
    """Make torch's primary context current on this thread and return the device ordinal."""
    import torch
    from cuda.bindings import driver

    index = torch.cuda.current_device()  # initialises torch's CUDA state
    check(driver.cuInit(0), "cuInit")
    ctx = check(driver.cuCtxGetCurrent(), "cuCtxGetCurrent")
    if ctx is None or int(ctx) == 0:
        dev = check(driver.cuDeviceGet(index), "cuDeviceGet")
        primary = check(driver.cuDevicePrimaryCtxRetain(dev), "cuDevicePrimaryCtxRetain")
        check(driver.cuCtxSetCurrent(primary), "cuCtxSetCurrent")
    return int(index)


_MODULES: dict[tuple[str, int], Any] = {}
"""Loaded modules by (cubin key, device): loaded once per process, kept for its lifetime."""


def _module(binary: CudaBinary) -> Any:
    from cuda.bindings import driver

    slot = (binary.key, _current_device())
    if slot not in _MODULES:
        _MODULES[slot] = check(driver.cuModuleLoadData(binary.image), "cuModuleLoadData")
    return _MODULES[slot]


@dataclass
class PackedArgs:
    """A ``void**`` array of argument addresses plus the buffers it points into."""

    address: int
    keep: list[Any] = field(default_factory=list)


def _as_ctype(arg: Any) -> Any:
    if isinstance(arg, TensorMap):
        return arg.buffer
    if isinstance(arg, ctypes._SimpleCData):
        return arg
    if arg is None:
        return ctypes.c_uint64(0)
    if hasattr(arg, "data_ptr"):
        return ctypes.c_uint64(arg.data_ptr())
    if isinstance(arg, bool):
        return ctypes.c_bool(arg)
    if isinstance(arg, int):
        if not -(2**31) <= arg < 2**31:
            raise OverflowError(
                f"{arg} does not fit an int32 parameter: pass ctypes.c_int64({arg})"
            )
        return ctypes.c_int32(arg)
    if isinstance(arg, float):
        return ctypes.c_float(arg)
    raise TypeError(f"cannot pass {type(arg).__name__} to a CUDA kernel")


def pack(args: Sequence[Any]) -> PackedArgs:
    """Pack kernel arguments for ``cuLaunchKernel``'s ``kernelParams``."""
    values = [_as_ctype(a) for a in args]
    pointers = (ctypes.c_void_p * max(len(values), 1))(*(ctypes.addressof(v) for v in values))
    return PackedArgs(ctypes.addressof(pointers), [pointers, *values, *args])


def _dim3(value: int | Sequence[int]) -> Dim3:
    dims = [value] if isinstance(value, int) else list(value)
    if not 1 <= len(dims) <= 3 or any(d < 1 for d in dims):
        raise ValueError(f"bad launch dimensions {value!r}")
    x, y, z = dims + [1] * (3 - len(dims))
    return x, y, z


class Kernel:
    """One kernel of a cubin, loaded on the current device and ready to launch."""

    def __init__(self, binary: CudaBinary, name: str, dynamic_shared: int = 0) -> None:
        from cuda.bindings import driver

        self.binary = binary
        self.name = name
        self.dynamic_shared = dynamic_shared
        self.function = check(
            driver.cuModuleGetFunction(_module(binary), name.encode()), "cuModuleGetFunction"
        )
        if dynamic_shared > 48 * 1024:  # above 48 KB a kernel must opt in
            attr = driver.CUfunction_attribute.CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES
            check(
                driver.cuFuncSetAttribute(self.function, attr, dynamic_shared), "cuFuncSetAttribute"
            )

    def launcher(
        self,
        grid: int | Sequence[int],
        block: int | Sequence[int],
        args: Sequence[Any],
        cluster: int | Sequence[int] | None = None,
    ) -> Launch:
        """A zero-argument launch on torch's current stream; arguments are packed now."""
        import torch
        from cuda.bindings import driver

        grid3, block3, packed = _dim3(grid), _dim3(block), pack(args)
        function, smem = self.function, self.dynamic_shared
        if cluster is None:

            def launch() -> None:
                stream = driver.CUstream(torch.cuda.current_stream().cuda_stream)
                check(
                    driver.cuLaunchKernel(
                        function, *grid3, *block3, smem, stream, packed.address, 0
                    ),
                    "cuLaunchKernel",
                )

            return launch

        cluster3 = _dim3(cluster)
        if any(g % c for g, c in zip(grid3, cluster3, strict=True)):
            raise ValueError(f"grid {grid3} is not a multiple of the cluster {cluster3}")
        config = driver.CUlaunchConfig()
        config.gridDimX, config.gridDimY, config.gridDimZ = grid3
        config.blockDimX, config.blockDimY, config.blockDimZ = block3
        config.sharedMemBytes = smem
        attr = driver.CUlaunchAttribute()
        attr.id = driver.CUlaunchAttributeID.CU_LAUNCH_ATTRIBUTE_CLUSTER_DIMENSION
        attr.value.clusterDim.x, attr.value.clusterDim.y, attr.value.clusterDim.z = cluster3
        config.attrs = [attr]
        config.numAttrs = 1

        def launch_cluster() -> None:
            config.hStream = driver.CUstream(torch.cuda.current_stream().cuda_stream)
            check(driver.cuLaunchKernelEx(config, function, packed.address, 0), "cuLaunchKernelEx")

        return launch_cluster


def device_arch() -> str:
    """The architecture of torch's current GPU, e.g. ``sm_90``, or of the emulated device:
    what a build compiles for."""
    import torch

    from ..device import active

    device = active()
    if device is not None and device.is_emulated:
        return device.arch
    major, minor = torch.cuda.get_device_capability()
    return f"sm_{major}{minor}"


def load(build: KernelBuild, arch: str | None = None) -> Kernel | EmulatedKernel:
    """The kernel of ``build`` ready to launch on this process's device: loaded on the GPU,
    or compiled to PTX for the emulated device. ``arch`` pins one (``sm_90a``)."""
    from ..device import active

    device = active()
    if device is not None and device.is_emulated:
        from .emu_launch import EmulatedKernel

        return EmulatedKernel(build, arch or device.arch)
    return Kernel(build.compile(arch or device_arch()), build.kernel, build.dynamic_shared)
