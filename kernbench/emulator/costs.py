"""A speed-of-light model of an emulated launch: a lower bound on its GPU time from its counts.

Model, not a measurement. Each bound is a count divided by a GPU ceiling, spread over the
SMs the launch can use (no more than its blocks):

- tensor: tensor-core multiply-adds x 2 at the dtype's peak (FLOP/s);
- fp32: fp32 thread-instructions at the FMA rate (peak fp32 FLOP/s / 2);
- dram: the distinct 32-byte sectors touched (a lower bound: no cache is modelled) at the
  memory bandwidth;
- shared: shared-memory wavefronts at one per SM per clock (128 bytes/clock/SM);
- issue: warp-instructions at four per SM per clock (one per scheduler).

The launch takes at least the largest; that one is the bound that dominates. Ceilings come
from :mod:`kernbench.ceilings` (calibrated where a store holds a calibration, the
datasheet otherwise); the SM clock is the datasheet's boost clock.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

LABEL = "model, not a measurement"

SM_CLOCK_HZ = {"A100": 1.41e9, "H100": 1.83e9, "H200": 1.83e9, "L40S": 2.52e9, "B200": 1.965e9}
"""Boost clocks by model name (datasheets); the shared and issue rates are per clock."""
DEFAULT_CLOCK_HZ = 1.5e9
SCHEDULERS = 4
SHARED_WAVEFRONTS_PER_CLOCK = 1
DEFAULT_DEVICE = "NVIDIA A100-SXM4-80GB"
"""sm_80's reference GPU: what ``--device emu`` is modelled on unless told otherwise."""

PRECISION = {"f16": "fp16", "bf16": "bf16", "tf32": "tf32", "f64": "fp64_tensor",
             "e4m3": "fp8", "e5m2": "fp8", "s8": "int8", "u8": "int8"}  # fmt: skip


@dataclass(frozen=True)
class Bound:
    """A launch's modelled lower bound: seconds per resource and the one that dominates."""

    device: str
    seconds: dict[str, float]
    sms: int
    source: str

    @property
    def time_s(self) -> float:
        return max(self.seconds.values(), default=0.0)

    @property
    def dominant(self) -> str:
        return max(self.seconds, key=lambda k: self.seconds[k]) if self.seconds else "-"

    def as_dict(self) -> dict[str, Any]:
        return {
            "label": LABEL,
            "device": self.device,
            "ceilings": self.source,
            "sms": self.sms,
            "seconds": dict(self.seconds),
            "time_s": self.time_s,
            "bound": self.dominant,
        }


def default_gpu(arch: str) -> str:
    """The GPU an architecture is modelled on unless told otherwise."""
    return "NVIDIA H100-SXM5-80GB" if arch.startswith("sm_90") else DEFAULT_DEVICE


def clock_hz(device: str) -> float:
    upper = device.upper()
    return next((hz for k, hz in SM_CLOCK_HZ.items() if k in upper), DEFAULT_CLOCK_HZ)


def speed_of_light(counters: dict[str, float], ceilings: Any, ctas: int = 0) -> Bound:
    """The lower bound of one record's launches on the GPU whose ``ceilings`` are given."""
    sms = int(ceilings.sm_count or 1)
    used = min(sms, ctas) if ctas else sms
    hz = clock_hz(ceilings.device)
    s: dict[str, float] = {}
    tensor = 0.0
    for key, macs in counters.items():
        if key.startswith("tensor_macs."):
            prec = PRECISION.get(key.split(".", 1)[1], "fp16")
            peak = ceilings.compute.get(prec) or ceilings.compute.get("bf16", 0.0)
            if peak:
                tensor += 2 * macs / peak
    if tensor:
        s["tensor"] = tensor * sms / used
    fp32 = counters.get("thread.fp32", 0)
    if fp32 and ceilings.compute.get("fp32"):
        s["fp32"] = fp32 / (ceilings.compute["fp32"] / 2) * sms / used
    dram = counters.get("dram_read_bytes_lower_bound", 0) + counters.get(
        "dram_write_bytes_lower_bound", 0
    )
    bw = max(ceilings.memory.values(), default=0.0)
    if dram and bw:
        s["dram"] = dram / bw
    waves = counters.get("shared_load_wavefronts", 0) + counters.get("shared_store_wavefronts", 0)
    if waves:
        s["shared"] = waves / (used * SHARED_WAVEFRONTS_PER_CLOCK * hz)
    warps = counters.get("warp_instructions", 0)
    if warps:
        s["issue"] = warps / (used * SCHEDULERS * hz)
    return Bound(ceilings.device, s, used, ceilings.source)


def ceilings_for(device: str | None = None, stores: Any = ()) -> Any:
    """The ceilings the model uses: calibrated in ``stores`` where held, else the datasheet."""
    from ..analyse.roofline import measured_for, merge
    from ..ceilings import datasheet_for

    name = device or DEFAULT_DEVICE
    found = merge(measured_for(stores, name), datasheet_for(name))
    if found is None:
        raise ValueError(f"no ceilings known for {name!r} (datasheet or calibration)")
    return found
