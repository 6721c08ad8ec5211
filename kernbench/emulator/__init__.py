"""A PTX emulator: CUDA and Triton kernels executed on the CPU, checked like compute-sanitizer.

It implements the PTX ISA, not any particular kernel: parse (:mod:`.ptx`), lower
(:mod:`.program`), and run a launch (:mod:`.machine`) with every thread's registers held as
numpy arrays over lanes, warps and CTAs. :func:`launch` is the public entry point.
"""

from .api import LaunchResult, launch
from .findings import Finding
from .hopper.tensormap import TensorMapError, encode_tiled
from .program import UnsupportedKernel
from .sources import compile_cuda

__all__ = [
    "Finding",
    "LaunchResult",
    "TensorMapError",
    "UnsupportedKernel",
    "compile_cuda",
    "encode_tiled",
    "launch",
]
