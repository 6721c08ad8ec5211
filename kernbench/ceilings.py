"""Device ceilings: datasheet peaks for common data-centre GPUs, and measured ones.

Datasheet figures are dense (no sparsity) peaks. ``kernbench calibrate`` measures what the
present device really reaches and stores it; the roofline prefers measured ceilings and
always says which kind it used.
"""

from __future__ import annotations

from dataclasses import dataclass, field

TERA = 1e12


@dataclass(frozen=True)
class Ceilings:
    """Compute ceilings by precision (FLOP/s) and memory ceilings (bytes/s)."""

    device: str
    compute: dict[str, float]
    memory: dict[str, float]
    l2_bytes: int = 0
    sm_count: int = 0
    source: str = "datasheet"
    """``datasheet`` or ``measured`` (with the record id of the calibration)."""
    notes: dict[str, str] = field(default_factory=dict)


def _sheet(device: str, bf16: float, tf32: float, fp32: float, hbm_tbs: float, l2_mb: int, sms: int) -> Ceilings:
    return Ceilings(
        device=device,
        compute={"bf16": bf16 * TERA, "fp16": bf16 * TERA, "tf32": tf32 * TERA, "fp32": fp32 * TERA},
        memory={"hbm": hbm_tbs * TERA},
        l2_bytes=l2_mb * 1024 * 1024,
        sm_count=sms,
    )


DATASHEET: dict[str, Ceilings] = {
    "A100-SXM": _sheet("NVIDIA A100-SXM4-80GB", 312, 156, 19.5, 2.039, 40, 108),
    "A100-PCIE": _sheet("NVIDIA A100-PCIE-40GB", 312, 156, 19.5, 1.555, 40, 108),
    "H100-SXM": _sheet("NVIDIA H100 80GB HBM3", 989, 494, 67, 3.35, 50, 132),
    "H100-PCIE": _sheet("NVIDIA H100 PCIe", 756, 378, 51, 2.0, 50, 114),
    "H200": _sheet("NVIDIA H200", 989, 494, 67, 4.8, 60, 132),
    "L40S": _sheet("NVIDIA L40S", 362, 183, 91.6, 0.864, 96, 142),
    "B200": _sheet("NVIDIA B200", 2250, 1100, 80, 8.0, 126, 148),
}

_MATCH = (
    ("H100", "PCIE", "H100-PCIE"),
    ("H100", "", "H100-SXM"),
    ("H200", "", "H200"),
    ("A100", "PCIE", "A100-PCIE"),
    ("A100", "", "A100-SXM"),
    ("L40S", "", "L40S"),
    ("B200", "", "B200"),
)


def datasheet_for(device_name: str) -> Ceilings | None:
    """The datasheet entry whose model appears in a device name, or None."""
    upper = device_name.upper()
    for model, qualifier, key in _MATCH:
        if model in upper and qualifier in upper:
            return DATASHEET[key]
    return None
