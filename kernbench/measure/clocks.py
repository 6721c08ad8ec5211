"""GPU clocks during a measurement, read through NVML; never changed.

A background thread reads the SM and memory clocks, temperature, power and the driver's
clock-event reasons every ``poll_s``. A sample is kept when no reading taken during it shows
the SM clock under ``throttle_fraction`` of the maximum SM clock; the others stay in the raw
samples and are left out of the statistics. A sample during which no reading was taken
(shorter than the poll) is kept and counted as unjudged. Without NVML or a GPU the monitor does nothing
and says so in the record's method.
"""

from __future__ import annotations

import contextlib
import statistics
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

Window = tuple[float, float]
"""Host ``time.perf_counter`` span of one sample."""

_REASONS = (
    ("GpuIdle", "gpu_idle"),
    ("ApplicationsClocksSetting", "applications_clocks"),
    ("SwPowerCap", "sw_power_cap"),
    ("HwSlowdown", "hw_slowdown"),
    ("SyncBoost", "sync_boost"),
    ("SwThermalSlowdown", "sw_thermal"),
    ("HwThermalSlowdown", "hw_thermal"),
    ("HwPowerBrakeSlowdown", "hw_power_brake"),
    ("DisplayClockSetting", "display_clock"),
)


@dataclass(frozen=True)
class Reading:
    t: float
    sm_mhz: int
    mem_mhz: int
    temp_c: int
    power_w: float
    reasons: int = 0


def inside(window: Window, readings: Sequence[Reading]) -> list[Reading]:
    """The readings taken during ``window``: the only ones that saw the sample run."""
    t0, t1 = window
    return [r for r in readings if t0 <= r.t <= t1]


def keep_flags(
    windows: Sequence[Window], readings: Sequence[Reading], threshold_mhz: float
) -> list[bool]:
    """One flag per sample window: False when a reading taken during it was under ``threshold_mhz``.

    A window shorter than the poll interval may hold no reading; it is kept, since the reading
    before it may have been taken while the GPU idled at a low clock and says nothing about
    the sample (the monitor counts such samples as unjudged).
    """
    return [all(r.sm_mhz >= threshold_mhz for r in inside(w, readings)) for w in windows]


def describe_readings(readings: Sequence[Reading]) -> dict[str, Any]:
    """Ranges of what was read, for the record's method."""
    if not readings:
        return {"readings": 0}

    def span(values: list[float]) -> dict[str, float]:
        return {"min": min(values), "median": statistics.median(values), "max": max(values)}

    reasons = 0
    for r in readings:
        reasons |= r.reasons
    return {
        "readings": len(readings),
        "sm_mhz": span([r.sm_mhz for r in readings]),
        "mem_mhz": span([r.mem_mhz for r in readings]),
        "temp_c": span([r.temp_c for r in readings]),
        "power_w": span([r.power_w for r in readings]),
        "clock_event_reasons": reason_names(reasons),
    }


def reason_names(mask: int) -> list[str]:
    """Names of the bits of NVML's clock-event (throttle) reasons mask."""
    try:
        import pynvml
    except ImportError:
        return [hex(mask)] if mask else []
    names = []
    for suffix, label in _REASONS:
        bit = getattr(pynvml, f"nvmlClocksEventReason{suffix}", None)
        bit = bit if bit is not None else getattr(pynvml, f"nvmlClocksThrottleReason{suffix}", 0)
        if bit and mask & bit:
            names.append(label)
    return names


class ClockMonitor(ABC):
    """Watches the GPU while samples are taken and says which samples to keep."""

    @abstractmethod
    def start(self) -> None: ...

    @abstractmethod
    def stop(self) -> None: ...

    @abstractmethod
    def keep(self, windows: Sequence[Window]) -> list[bool]:
        """Keep flags for samples taken in these host time windows."""

    @abstractmethod
    def describe(self) -> dict[str, Any]:
        """What was monitored and seen, for the record's method."""


class NoMonitor(ClockMonitor):
    """Keeps every sample; used where NVML or a GPU is absent, and says why."""

    def __init__(self, why: str) -> None:
        self.why = why

    def start(self) -> None:
        pass

    def stop(self) -> None:
        pass

    def keep(self, windows: Sequence[Window]) -> list[bool]:
        return [True] * len(windows)

    def describe(self) -> dict[str, Any]:
        return {"monitor": "none", "why": self.why, "throttled_detection": False}


class NvmlMonitor(ClockMonitor):
    """Polls one GPU through NVML on a daemon thread. Reads only: never sets clocks or power."""

    def __init__(self, handle: Any, throttle_fraction: float, poll_s: float = 0.01) -> None:
        import pynvml

        self._nvml = pynvml
        self.handle = handle
        self.poll_s = poll_s
        self.max_sm_mhz = int(pynvml.nvmlDeviceGetMaxClockInfo(handle, pynvml.NVML_CLOCK_SM))
        self.threshold_mhz = throttle_fraction * self.max_sm_mhz
        self.readings: list[Reading] = []
        self.errors = 0
        self.judged = 0
        self.unjudged = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def _reasons(self) -> int:
        nv = self._nvml
        get = getattr(nv, "nvmlDeviceGetCurrentClocksEventReasons", None) or getattr(
            nv, "nvmlDeviceGetCurrentClocksThrottleReasons", None
        )
        return int(get(self.handle)) if get is not None else 0

    def read(self) -> Reading:
        nv = self._nvml
        return Reading(
            t=time.perf_counter(),
            sm_mhz=int(nv.nvmlDeviceGetClockInfo(self.handle, nv.NVML_CLOCK_SM)),
            mem_mhz=int(nv.nvmlDeviceGetClockInfo(self.handle, nv.NVML_CLOCK_MEM)),
            temp_c=int(nv.nvmlDeviceGetTemperature(self.handle, nv.NVML_TEMPERATURE_GPU)),
            power_w=float(nv.nvmlDeviceGetPowerUsage(self.handle)) / 1000.0,
            reasons=self._reasons(),
        )

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                reading = self.read()
            except Exception:
                self.errors += 1
            else:
                with self._lock:
                    self.readings.append(reading)
            self._stop.wait(self.poll_s)

    def start(self) -> None:
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name="kernbench-nvml", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
            with contextlib.suppress(Exception):
                self._nvml.nvmlShutdown()  # balances the nvmlInit of open_monitor

    def keep(self, windows: Sequence[Window]) -> list[bool]:
        with self._lock:
            readings = list(self.readings)
        seen = sum(1 for w in windows if inside(w, readings))
        self.judged += seen
        self.unjudged += len(windows) - seen
        return keep_flags(windows, readings, self.threshold_mhz)

    def describe(self) -> dict[str, Any]:
        with self._lock:
            readings = list(self.readings)
        return {
            "monitor": "nvml",
            "poll_s": self.poll_s,
            "sm_clock_max_mhz": self.max_sm_mhz,
            "throttle_below_mhz": round(self.threshold_mhz, 1),
            "throttled_detection": True,
            "read_errors": self.errors,
            "samples_judged": self.judged,
            "samples_unjudged": self.unjudged,
            **describe_readings(readings),
        }


def _nvml_handle(torch_index: int) -> Any:
    """The NVML handle of a torch CUDA device: by UUID, then PCI bus id, then the only GPU."""
    import pynvml
    import torch

    props = torch.cuda.get_device_properties(torch_index)
    uuid = str(getattr(props, "uuid", "") or "")
    if uuid:
        try:
            return pynvml.nvmlDeviceGetHandleByUUID(
                uuid if uuid.startswith("GPU-") else f"GPU-{uuid}"
            )
        except pynvml.NVMLError:
            pass
    domain, bus_id, dev_id = (
        getattr(props, f"pci_{k}_id", None) for k in ("domain", "bus", "device")
    )
    if bus_id is not None and dev_id is not None:
        bus = f"{domain or 0:08X}:{bus_id:02X}:{dev_id:02X}.0"
        try:
            return pynvml.nvmlDeviceGetHandleByPciBusId(bus)
        except pynvml.NVMLError:
            pass
    if pynvml.nvmlDeviceGetCount() == 1:
        return pynvml.nvmlDeviceGetHandleByIndex(0)
    raise LookupError("cannot match the CUDA device to an NVML device")


def open_monitor(is_gpu: bool, throttle_fraction: float, poll_s: float = 0.01) -> ClockMonitor:
    """An NVML monitor for the current CUDA device, or a NoMonitor saying why not."""
    if not is_gpu:
        return NoMonitor("not a GPU device")
    try:
        import pynvml
        import torch

        pynvml.nvmlInit()
        return NvmlMonitor(_nvml_handle(torch.cuda.current_device()), throttle_fraction, poll_s)
    except Exception as exc:  # no driver library, no permission, unmatched device
        return NoMonitor(f"NVML unavailable: {type(exc).__name__}: {exc}"[:200])
