"""The calibrate family and reading measured ceilings back from records."""

from __future__ import annotations

import pytest

from kernbench import device as devices
from kernbench.calibrate import CALIBRATION, JOBS, PLUGIN_REF, measured_ceilings
from kernbench.measure.outcome import Status
from kernbench.measure.run import Candidate, measure
from kernbench.measure.settings import QUICK
from kernbench.registry import Registry
from kernbench.store import Record, open_store

SYNTHETIC_GPU = {"name": "Test GPU (synthetic record)", "timing_kind": "gpu"}


def test_cost_model_counts_matmul_flops_and_copy_bytes_both_ways():
    mm = CALIBRATION.parse("op=matmul,n=8192")
    cp = CALIBRATION.parse("op=copy,n=1000")
    assert CALIBRATION.flops(mm) == 2 * 8192**3
    assert CALIBRATION.min_bytes(cp, "bf16") == 2 * 1000 * 2  # read + write
    assert CALIBRATION.flops(cp) == 0


def test_the_jobs_are_the_large_matmuls_and_a_copy_over_l2():
    names = {name for name, _, _ in JOBS}
    assert names == {"matmul_bf16", "matmul_fp16", "copy"}
    copy = next(CALIBRATION.parse(p) for n, p, _ in JOBS if n == "copy")
    assert CALIBRATION.min_bytes(copy, "bf16") / 2 > 2 * 126 * 2**20  # each way, twice any L2


def test_inputs_are_random_not_zeros():
    inputs = CALIBRATION.make_inputs(CALIBRATION.parse("op=matmul,n=32"), "bf16", "cpu", 0)
    assert float(inputs["a"].float().abs().mean()) > 0.5


@pytest.mark.parametrize(
    ("variant", "problem", "dtype"),
    [
        ("matmul_bf16", "op=matmul,n=48", "bf16"),
        ("copy", "op=copy,n=4096", "bf16"),
    ],
)
def test_calibration_variants_pass_the_gate_on_the_cpu(variant, problem, dtype):
    device = devices.activate("cpu")
    registry = Registry.discover()
    registry.add_reference(PLUGIN_REF)
    outcome = measure(registry, device, Candidate("calibrate", variant, problem, dtype, {}), QUICK)
    assert outcome.status == Status.OK, outcome.message


def _record(
    variant: str, dtype: str, median: float, flops: float = 0.0, nbytes: float = 0.0, device=None
):
    return Record(
        family="calibrate",
        variant=variant,
        problem="synthetic",
        dtype=dtype,
        config={},
        status=Status.OK,
        stats={"median": median},
        flops=flops,
        bytes=nbytes,
        device=device or SYNTHETIC_GPU,
    )


def test_measured_ceilings_come_from_the_latest_gpu_records(tmp_path):
    store = open_store(tmp_path)
    name = SYNTHETIC_GPU["name"]
    assert measured_ceilings(store, name) is None
    store.add(_record("matmul_bf16", "bf16", 2.0, flops=1e12))
    store.add(_record("matmul_bf16", "bf16", 1.0, flops=1e12))  # a later calibration wins
    store.add(_record("copy", "bf16", 1e-3, nbytes=3e9))
    store.add(
        _record(
            "copy",
            "bf16",
            1e-6,
            nbytes=3e9,
            device={"name": name, "timing_kind": "cpu-interpreter"},
        )
    )
    ceilings = measured_ceilings(store, name)
    assert ceilings is not None and ceilings.source == "measured"
    assert ceilings.compute == {"bf16": 1e12}
    assert ceilings.memory["hbm"] == pytest.approx(3e12)
    assert "record" in ceilings.notes["bf16"]
    assert measured_ceilings(store, "another GPU") is None
