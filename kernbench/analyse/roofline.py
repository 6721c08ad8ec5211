"""The roofline of one record: where it sits under the ceilings of the device it ran on.

Ceilings come from ``kernbench calibrate`` where the store holds a calibration of that
device, and from the datasheet table otherwise; every ceiling carries which one it is, so a
percentage can always be read with its yardstick.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from ..ceilings import Ceilings, datasheet_for
from ..store.records import Record

if TYPE_CHECKING:
    from ..registry import Registry
    from ..store.sqlstore import ResultsStore

CALIBRATE_FAMILY = "calibrate"
"""Records of ``kernbench calibrate``: ceilings, not kernels, so they get no roofline point."""


@dataclass(frozen=True)
class RooflinePoint:
    intensity: float
    """FLOPs per byte of minimum traffic (the family's cost model)."""
    flops_per_s: float
    bytes_per_s: float
    attainable: float
    """min(compute ceiling, intensity x HBM ceiling), in FLOP/s."""
    fraction: float
    """Achieved over attainable; above 1 the data came from a cache (or the ceiling is low)."""
    bound: str
    """``compute`` or ``memory``: which ceiling binds at this intensity."""
    precision: str
    source: str
    """``measured`` or ``datasheet``: the kind of the ceiling that binds."""
    ceiling: str = ""
    """Name of the binding ceiling: a precision (``bf16``) or a memory level (``hbm``)."""
    l2_resident: bool = False
    """Achieved bytes/s above the HBM ceiling: the working set was served from L2."""

    @property
    def above_roof(self) -> bool:
        return self.fraction > 1.0


def point(
    record: Record, ceilings: Ceilings, precision: str, memory: str = "hbm"
) -> RooflinePoint | None:
    """The roofline point of a timed record, or None when it has no time or no ceiling applies."""
    median = record.median_s
    if (
        not median
        or median <= 0
        or precision not in ceilings.compute
        or memory not in ceilings.memory
    ):
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
        intensity, attainable, bound = math.inf, peak, "compute"
    fraction = bytes_s / bandwidth if bound == "memory" else flops / attainable
    binding = memory if bound == "memory" else precision
    return RooflinePoint(
        intensity,
        flops,
        bytes_s,
        attainable,
        fraction,
        bound,
        precision,
        source_of(ceilings, binding),
        binding,
        l2_resident=bytes_s > bandwidth,
    )


def source_of(ceilings: Ceilings, name: str) -> str:
    """Whether one ceiling was measured or read from the datasheet."""
    return ceilings.notes.get(name, ceilings.source)


def merge(measured: Ceilings | None, sheet: Ceilings | None) -> Ceilings | None:
    """Measured ceilings where calibrated, datasheet ones for the rest, each labelled."""
    if measured is None or sheet is None:
        return measured or sheet
    notes = {name: "datasheet" for name in (*sheet.compute, *sheet.memory)}
    notes.update(
        {
            name: measured.notes.get(name, measured.source)
            for name in (*measured.compute, *measured.memory)
        }
    )
    return replace(
        sheet,
        compute={**sheet.compute, **measured.compute},
        memory={**sheet.memory, **measured.memory},
        source="measured+datasheet",
        notes=notes,
    )


def measured_for(stores: Sequence[ResultsStore], device_name: str) -> Ceilings | None:
    """The calibration of a device in the first store that holds one."""
    from ..calibrate import measured_ceilings  # late: calibrate imports the measuring side

    for store in stores:
        found = measured_ceilings(store, device_name)
        if found is not None:
            return found
    return None


@dataclass
class Rooflines:
    """Ceilings per device (measured where calibrated, datasheet otherwise) and records' points."""

    stores: Sequence[ResultsStore] = ()
    registry: Registry | None = None
    precision_of: Mapping[str, str] = field(default_factory=dict)
    """Family name -> compute precision, for callers that already know it."""
    _ceilings: dict[str, Ceilings | None] = field(default_factory=dict, repr=False)

    def ceilings(self, device_name: str) -> Ceilings | None:
        if device_name not in self._ceilings:
            self._ceilings[device_name] = merge(
                measured_for(self.stores, device_name), datasheet_for(device_name)
            )
        return self._ceilings[device_name]

    def precision(self, record: Record) -> str:
        """The family's compute precision for the record's dtype (the dtype when unknown)."""
        if record.family in self.precision_of:
            return self.precision_of[record.family]
        if self.registry is not None and record.family in self.registry.families:
            return self.registry.families[record.family].compute_precision(record.dtype)
        return record.dtype

    def point(self, record: Record) -> RooflinePoint | None:
        """None for untimed records, calibrations and devices without ceilings (the CPU)."""
        if record.family == CALIBRATE_FAMILY or record.timing_kind != "gpu":
            return None
        ceilings = self.ceilings(record.device_name)
        return point(record, ceilings, self.precision(record)) if ceilings else None
