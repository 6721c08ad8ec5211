"""The roofline of one record: where it sits under the ceilings of the device it ran on."""

from __future__ import annotations

from dataclasses import dataclass

from ..ceilings import Ceilings
from ..store.records import Record


@dataclass(frozen=True)
class RooflinePoint:
    intensity: float
    """FLOPs per byte of minimum traffic (the family's cost model)."""
    flops_per_s: float
    bytes_per_s: float
    attainable: float
    """min(compute ceiling, intensity x memory ceiling), in FLOP/s."""
    fraction: float
    """Achieved over attainable; above 1 means the data came from a cache (L2-resident)."""
    bound: str
    """``compute`` or ``memory``: which ceiling binds at this intensity."""
    precision: str
    source: str

    @property
    def above_roof(self) -> bool:
        return self.fraction > 1.0


def point(record: Record, ceilings: Ceilings, precision: str, memory: str = "hbm") -> RooflinePoint | None:
    """The roofline point of a timed record, or None when it has no time or no ceiling applies."""
    median = record.median_s
    if not median or median <= 0 or precision not in ceilings.compute or memory not in ceilings.memory:
        return None
    peak = ceilings.compute[precision]
    bandwidth = ceilings.memory[memory]
    flops = record.flops / median
    bytes_s = record.bytes / median
    if record.bytes > 0:
        intensity = record.flops / record.bytes
        mem_roof = intensity * bandwidth
        attainable = min(peak, mem_roof)
        bound = "memory" if mem_roof < peak else "compute"
    else:
        intensity, attainable, bound = float("inf"), peak, "compute"
    if bound == "memory" or record.flops == 0:
        fraction = bytes_s / bandwidth
    else:
        fraction = flops / attainable
    return RooflinePoint(intensity, flops, bytes_s, attainable, fraction, bound, precision, ceilings.source)
