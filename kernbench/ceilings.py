"""Device ceilings: datasheet peaks for common data-centre GPUs, and measured ones.

Datasheet figures are dense (no sparsity) peaks at boost clock. Compute keys: ``bf16``,
``fp16``, ``tf32``, ``fp8`` and ``fp64_tensor`` are tensor-core peaks; ``fp32`` and ``fp64``
are the vector (CUDA-core) peaks. ``kernbench calibrate`` measures what the present device
really reaches and stores it as records (:func:`kernbench.calibrate.measured_ceilings` reads
them back); the roofline prefers measured ceilings and says which kind it used.
"""

from __future__ import annotations

from dataclasses import dataclass, field

TERA = 1e12
MIB = 1024 * 1024


@dataclass(frozen=True)
class Ceilings:
    """Compute ceilings by precision (FLOP/s) and memory ceilings (bytes/s)."""

    device: str
    compute: dict[str, float]
    memory: dict[str, float]
    l2_bytes: int = 0
    sm_count: int = 0
    source: str = "datasheet"
    """``datasheet``, ``measured``, or ``measured+datasheet`` (see ``notes`` per ceiling)."""
    notes: dict[str, str] = field(default_factory=dict)


def _sheet(
    device: str,
    *,
    bf16: float,
    tf32: float,
    fp32: float,
    fp64: float,
    fp64_tensor: float,
    hbm_tbs: float,
    l2_mb: int,
    sms: int,
    fp8: float = 0.0,
    note: str = "",
) -> Ceilings:
    compute = {
        "bf16": bf16,
        "fp16": bf16,
        "tf32": tf32,
        "fp32": fp32,
        "fp64": fp64,
        "fp64_tensor": fp64_tensor,
    }
    if fp8:
        compute["fp8"] = fp8
    return Ceilings(
        device=device,
        compute={k: v * TERA for k, v in compute.items()},
        memory={"hbm": hbm_tbs * TERA},
        l2_bytes=l2_mb * MIB,
        sm_count=sms,
        notes={"sheet": note} if note else {},
    )


DATASHEET: dict[str, Ceilings] = {
    "A100-SXM": _sheet(
        "NVIDIA A100-SXM4-80GB",
        bf16=312,
        tf32=156,
        fp32=19.5,
        fp64=9.7,
        fp64_tensor=19.5,
        hbm_tbs=2.039,
        l2_mb=40,
        sms=108,
    ),
    "A100-SXM-40GB": _sheet(
        "NVIDIA A100-SXM4-40GB",
        bf16=312,
        tf32=156,
        fp32=19.5,
        fp64=9.7,
        fp64_tensor=19.5,
        hbm_tbs=1.555,
        l2_mb=40,
        sms=108,
    ),
    "A100-PCIE": _sheet(
        "NVIDIA A100-PCIE-40GB",
        bf16=312,
        tf32=156,
        fp32=19.5,
        fp64=9.7,
        fp64_tensor=19.5,
        hbm_tbs=1.555,
        l2_mb=40,
        sms=108,
    ),
    "A100-PCIE-80GB": _sheet(
        "NVIDIA A100 80GB PCIe",
        bf16=312,
        tf32=156,
        fp32=19.5,
        fp64=9.7,
        fp64_tensor=19.5,
        hbm_tbs=1.935,
        l2_mb=40,
        sms=108,
    ),
    "H100-SXM": _sheet(
        "NVIDIA H100 80GB HBM3",
        bf16=989,
        tf32=494,
        fp32=67,
        fp64=34,
        fp64_tensor=67,
        fp8=1979,
        hbm_tbs=3.35,
        l2_mb=50,
        sms=132,
    ),
    "H100-PCIE": _sheet(
        "NVIDIA H100 PCIe",
        bf16=756,
        tf32=378,
        fp32=51,
        fp64=26,
        fp64_tensor=51,
        fp8=1513,
        hbm_tbs=2.0,
        l2_mb=50,
        sms=114,
    ),
    "H100-NVL": _sheet(
        "NVIDIA H100 NVL",
        bf16=835,
        tf32=418,
        fp32=60,
        fp64=30,
        fp64_tensor=60,
        fp8=1670,
        hbm_tbs=3.9,
        l2_mb=50,
        sms=132,
    ),
    "H200": _sheet(
        "NVIDIA H200",
        bf16=989,
        tf32=494,
        fp32=67,
        fp64=34,
        fp64_tensor=67,
        fp8=1979,
        hbm_tbs=4.8,
        l2_mb=50,
        sms=132,
    ),
    "H200-NVL": _sheet(
        "NVIDIA H200 NVL",
        bf16=835,
        tf32=418,
        fp32=60,
        fp64=30,
        fp64_tensor=60,
        fp8=1670,
        hbm_tbs=4.8,
        l2_mb=50,
        sms=132,
    ),
    "L40S": _sheet(
        "NVIDIA L40S",
        bf16=362,
        tf32=183,
        fp32=91.6,
        fp64=1.4,
        fp64_tensor=0,
        fp8=733,
        hbm_tbs=0.864,
        l2_mb=96,
        sms=142,
        note="GDDR6, not HBM",
    ),
    "B200": _sheet(
        "NVIDIA B200",
        bf16=2250,
        tf32=1100,
        fp32=80,
        fp64=40,
        fp64_tensor=40,
        fp8=4500,
        hbm_tbs=8.0,
        l2_mb=126,
        sms=148,
        note="HGX B200 (1000 W) figures; other B200 SKUs differ",
    ),
}

_MATCH: tuple[tuple[tuple[str, ...], str], ...] = (
    (("H100", "NVL"), "H100-NVL"),
    (("H100", "PCIE"), "H100-PCIE"),
    (("H100",), "H100-SXM"),
    (("H200", "NVL"), "H200-NVL"),
    (("H200",), "H200"),
    (("A100", "PCIE", "80GB"), "A100-PCIE-80GB"),
    (("A100", "PCIE"), "A100-PCIE"),
    (("A100", "40GB"), "A100-SXM-40GB"),
    (("A100",), "A100-SXM"),
    (("L40S",), "L40S"),
    (("B200",), "B200"),
)
"""Most specific first: every word must appear in the device name (upper case)."""


def datasheet_for(device_name: str) -> Ceilings | None:
    """The datasheet entry whose model appears in a device name, or None."""
    upper = device_name.upper()
    for words, key in _MATCH:
        if all(w in upper for w in words):
            return DATASHEET[key]
    return None
