"""Roofline arithmetic against hand-computed cases on the H100 SXM datasheet ceilings.

H100 SXM: 989 TFLOP/s dense bf16/fp16, 494 tf32, 67 fp32, 3.35 TB/s HBM3.
"""

from __future__ import annotations

import pytest

from kernbench.analyse.roofline import Rooflines, merge, point
from kernbench.ceilings import DATASHEET, Ceilings
from kernbench.registry import Registry
from kernbench.store import Record, open_store

H100 = DATASHEET["H100-SXM"]
GPU = {"name": "NVIDIA H100 80GB HBM3", "kind": "cuda", "timing_kind": "gpu"}


def timed(flops: float, nbytes: float, median: float, **kw: object) -> Record:
    fields: dict = {
        "family": "gemm",
        "variant": "v",
        "problem": "p",
        "dtype": "bf16",
        "config": {},
        "status": "ok",
        "flops": flops,
        "bytes": nbytes,
        "stats": {"median": median},
        "device": dict(GPU),
    }
    fields.update(kw)
    return Record(**fields)


def test_compute_bound_gemm() -> None:
    # bf16 4096^3: 2*4096^3 FLOPs over 3 * 4096^2 * 2 bytes -> 1365.33 FLOP/B, far right of
    # the ridge (989e12 / 3.35e12 = 295 FLOP/B). Timed to run at 494.5 TFLOP/s: half the roof.
    flops, nbytes = 2 * 4096**3, 3 * 4096**2 * 2
    p = point(timed(flops, nbytes, flops / 494.5e12), H100, "bf16")
    assert p is not None
    assert p.intensity == pytest.approx(1365.333, rel=1e-6)
    assert p.bound == "compute" and p.ceiling == "bf16" and p.source == "datasheet"
    assert p.attainable == pytest.approx(989e12)
    assert p.flops_per_s == pytest.approx(494.5e12)
    assert p.fraction == pytest.approx(0.5)
    assert p.bytes_per_s == pytest.approx(nbytes / (flops / 494.5e12))
    assert not p.l2_resident and not p.above_roof


def test_memory_bound_decode() -> None:
    # Paged decode, batch 1, context 4096, 32 q / 8 kv heads of 128, fp16:
    # FLOPs 4*1*32*4096*128; bytes K+V 2*4096*8*128*2 + q and out 2 * 32*128*2.
    flops = 4 * 32 * 4096 * 128
    nbytes = 2 * 4096 * 8 * 128 * 2 + 2 * 32 * 128 * 2
    intensity = flops / nbytes  # about 4 FLOP/B: the GQA group size
    median = nbytes / 1.675e12  # half of HBM bandwidth
    p = point(timed(flops, nbytes, median, family="paged_attention", dtype="fp16"), H100, "fp16")
    assert p is not None
    assert p.intensity == pytest.approx(3.99610, rel=1e-5) == intensity
    assert p.bound == "memory" and p.ceiling == "hbm"
    assert p.attainable == pytest.approx(intensity * 3.35e12)
    assert p.bytes_per_s == pytest.approx(1.675e12)
    assert p.fraction == pytest.approx(0.5)
    assert not p.l2_resident


def test_l2_resident_point_is_flagged_above_the_hbm_roof() -> None:
    # The same decode at 6.7 TB/s: twice what HBM can deliver, so it was served from L2.
    flops, nbytes = 4 * 32 * 4096 * 128, 2 * 4096 * 8 * 128 * 2 + 2 * 32 * 128 * 2
    p = point(timed(flops, nbytes, nbytes / 6.7e12, dtype="fp16"), H100, "fp16")
    assert p is not None
    assert p.bound == "memory"
    assert p.fraction == pytest.approx(2.0)
    assert p.l2_resident and p.above_roof


def test_untimed_record_and_unknown_precision_have_no_point() -> None:
    assert point(timed(1e9, 1e6, 0.0), H100, "bf16") is None
    assert point(timed(1e9, 1e6, 1e-3), H100, "int4") is None


def test_measured_ceilings_override_the_datasheet_and_say_so() -> None:
    measured = Ceilings(
        "NVIDIA H100 80GB HBM3", {"bf16": 800e12}, {"hbm": 3.0e12}, source="measured"
    )
    both = merge(measured, H100)
    assert both is not None
    assert both.compute["bf16"] == 800e12 and both.compute["fp32"] == 67e12
    assert both.notes["bf16"] == "measured" and both.notes["fp32"] == "datasheet"
    flops = 2 * 4096**3
    p = point(timed(flops, 3 * 4096**2 * 2, flops / 400e12), both, "bf16")
    assert p is not None and p.fraction == pytest.approx(0.5) and p.source == "measured"
    assert merge(None, H100) is H100 and merge(measured, None) is measured


def test_rooflines_read_a_calibration_from_the_store(tmp_path) -> None:
    store = open_store(tmp_path)
    # A calibration as `kernbench calibrate` stores it: an 8192^3 bf16 matmul and a copy.
    mm = 2 * 8192**3
    store.add(
        timed(
            mm,
            3 * 8192**2 * 2,
            mm / 780e12,
            family="calibrate",
            variant="matmul_bf16",
            problem="m=8192,n=8192,k=8192",
        )
    )
    store.add(
        timed(
            0.0,
            2 * 2**30,
            2 * 2**30 / 3.0e12,
            family="calibrate",
            variant="copy",
            problem="bytes=1073741824",
            dtype="fp32",
        )
    )
    roofs = Rooflines([store])
    ceilings = roofs.ceilings(GPU["name"])
    assert ceilings is not None
    assert ceilings.compute["bf16"] == pytest.approx(780e12)
    assert ceilings.memory["hbm"] == pytest.approx(3.0e12)
    assert ceilings.compute["tf32"] == 494e12  # not calibrated: datasheet, labelled so
    flops = 2 * 4096**3
    p = roofs.point(timed(flops, 3 * 4096**2 * 2, flops / 390e12))
    assert p is not None and p.fraction == pytest.approx(0.5) and p.source.startswith("measured")
    assert roofs.point(timed(flops, 1.0, 1.0, family="calibrate")) is None


def test_cpu_records_get_no_roofline() -> None:
    cpu = {"name": "CPU (x86_64, 2 cores)", "kind": "cpu", "timing_kind": "cpu-interpreter"}
    assert Rooflines().point(timed(1e9, 1e6, 1e-3, device=cpu)) is None


def test_precision_comes_from_the_family() -> None:
    roofs = Rooflines(registry=Registry.discover())
    # GEMM runs fp32 inputs on tf32 tensor cores: the tf32 ceiling applies.
    assert roofs.precision(timed(1.0, 1.0, 1.0, dtype="fp32")) == "tf32"
    assert roofs.precision(timed(1.0, 1.0, 1.0, family="unknown_family", dtype="fp32")) == "fp32"
