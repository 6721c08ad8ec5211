"""What a GPU architecture allows per block, and what one compiled kernel uses.

The lowest layer of the static check: plain data, no knowledge of variants, so the variant
contract and the static check can both build on it without importing each other.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from .device import Device


@dataclass(frozen=True)
class Target:
    """Per-block and per-thread limits of a GPU architecture."""

    arch: str = "sm_90"
    compute_capability: tuple[int, int] = (9, 0)
    shared_per_block: int = 227 * 1024
    registers_per_thread: int = 255
    registers_per_block: int = 65536
    max_threads_per_block: int = 1024

    @classmethod
    def for_device(cls, device: Device) -> Target:
        if device.is_emulated:  # the emulated architecture, with its documented limits
            return cls(
                arch=device.arch,
                compute_capability=device.compute_capability,
                shared_per_block=device.shared_per_block_optin,
            )
        if not device.is_gpu:
            return cls()
        return cls(
            arch=device.arch,
            compute_capability=device.compute_capability,
            shared_per_block=device.shared_per_block_optin or cls.shared_per_block,
            registers_per_block=device.registers_per_sm or cls.registers_per_block,
            max_threads_per_block=device.max_threads_per_block or cls.max_threads_per_block,
        )


HOPPER = Target()


@dataclass(frozen=True)
class Resources:
    """What one compiled kernel of a config uses, as the compiler reports it."""

    kernel: str
    registers: int
    shared_bytes: int
    threads: int
    spill_bytes: int = 0
    local_bytes: int = 0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def over_limits(res: Resources, target: Target) -> str | None:
    """Why ``res`` cannot launch on ``target``, or None."""
    if res.shared_bytes > target.shared_per_block:
        return (
            f"{res.kernel}: {res.shared_bytes} B shared memory > "
            f"{target.shared_per_block} B per block on {target.arch}"
        )
    if res.threads > target.max_threads_per_block:
        return f"{res.kernel}: {res.threads} threads > {target.max_threads_per_block} per block"
    if res.registers > target.registers_per_thread:
        return f"{res.kernel}: {res.registers} registers > {target.registers_per_thread} per thread"
    if res.registers * res.threads > target.registers_per_block:
        return (
            f"{res.kernel}: {res.registers} registers x {res.threads} threads > "
            f"{target.registers_per_block} per block"
        )
    return None
