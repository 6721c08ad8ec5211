"""Checking CUDA driver results: the one helper every driver-facing module imports.

Kept apart from :mod:`.cuda_launch` and :mod:`.cuda_tensormap` so that neither imports the
other (launching packs tensor maps; encoding a tensor map checks a driver result).
"""

from __future__ import annotations

from typing import Any


class CudaError(RuntimeError):
    """A CUDA driver call failed; the message has the call, the error name and its text."""


def check(result: Any, call: str) -> Any:
    """Unpack a driver result ``(err, *values)`` or a bare status, raising on any error.

    A bare ``int`` is a ``CUresult`` returned by a driver function called through ctypes.
    """
    from cuda.bindings import driver

    err, *values = result if isinstance(result, tuple) else (result,)
    if isinstance(err, int):
        err = driver.CUresult(err)
    if err != driver.CUresult.CUDA_SUCCESS:
        raise CudaError(f"{call} failed: {getattr(err, 'name', err)}{_text(err)}")
    if not values:
        return None
    return values[0] if len(values) == 1 else tuple(values)


def _text(err: Any) -> str:
    """The driver's description of ``err``, or nothing where the driver cannot be asked."""
    from cuda.bindings import driver

    try:
        _, text = driver.cuGetErrorString(err)
    except Exception:  # no driver library on this machine: the error's name still says it
        return ""
    return f": {text.decode()}" if isinstance(text, bytes) else ""
