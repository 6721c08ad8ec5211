"""How samples are taken: batch sizes, rotation sizes, the CPU timer; GPU paths on a GPU."""

from __future__ import annotations

from dataclasses import replace

import pytest

from kernbench.measure.settings import MeasureSettings
from kernbench.measure.timers import MAX_GRAPH_BATCH, cpu_timed, graph_batch, sets_needed

S = MeasureSettings()


def test_long_kernels_are_timed_one_launch_per_sample():
    assert graph_batch(60e-6, S) == 1
    assert graph_batch(5e-3, S) == 1


def test_short_kernels_are_batched_to_the_batch_time():
    assert graph_batch(5e-6, S) == 100  # 500 us of work per replay
    assert graph_batch(40e-6, S) == 13
    assert graph_batch(1e-9, S) == MAX_GRAPH_BATCH
    assert graph_batch(49e-6, replace(S, graph_batch_s=1e-6)) == 2


def test_rotation_makes_the_other_sets_move_twice_the_l2():
    l2 = 50 * 2**20
    assert sets_needed(l2, 200 * 2**20) == 2  # one set alone overflows L2
    n = sets_needed(l2, 1 * 2**20)
    assert (n - 1) * 2**20 >= 2 * l2
    assert (n - 2) * 2**20 < 2 * l2


def test_cpu_timer_records_host_windows_and_its_method():
    calls = []
    timed = cpu_timed(lambda: calls.append(1))
    (value,) = timed.sample()
    assert value >= 0 and calls == [1]
    ((t0, t1),) = timed.windows
    assert t0 <= t1
    assert timed.method["timer"] == "cpu-wall-clock"


def _gpu_measure(n: int, cache: str):
    from kernbench import device as devices
    from kernbench.measure.run import Candidate, measure
    from kernbench.registry import Registry

    device = devices.activate("cuda")
    registry = Registry.discover()
    registry.add_reference("tests.plugins_faulty:PLUGIN")
    settings = MeasureSettings(cache=cache, min_time_s=0.2, max_time_s=3.0)
    return measure(
        registry,
        device,
        Candidate("toy", "toy_triton_faulty", f"n={n}", "fp32", {"mode": "ok"}),
        settings,
    )


@pytest.mark.gpu
def test_gpu_short_hot_kernel_is_timed_in_graph_batches():
    out = _gpu_measure(1 << 12, "hot")
    assert out.status == "ok", out.message
    m = out.method
    assert m["timer"] == "cuda-graph-events" and m["graph_batch"] > 1 and m["cache"] == "hot"
    assert m["stream"] == "dedicated" and "clocks" in m
    assert out.stats["median"] < 50e-6


@pytest.mark.gpu
def test_gpu_short_cold_kernel_rotates_input_sets():
    out = _gpu_measure(1 << 16, "cold")
    assert out.status == "ok", out.message
    m = out.method
    assert m["cold_method"] == "rotate-input-sets", m
    assert m["input_sets"] >= 2 and m["graph_batch"] % m["input_sets"] == 0


@pytest.mark.gpu
def test_gpu_long_cold_kernel_flushes_l2_before_every_sample():
    out = _gpu_measure(1 << 27, "cold")  # 512 MiB in, 512 MiB out: well over 50 us
    assert out.status == "ok", out.message
    m = out.method
    assert m["timer"] == "cuda-events" and m["cold_method"] == "l2-flush"
    assert m["flush_bytes"] >= 2 * 40 * 2**20


@pytest.mark.gpu
def test_gpu_cold_is_not_faster_than_hot_for_an_l2_resident_kernel():
    hot = _gpu_measure(1 << 20, "hot")  # 8 MiB of traffic fits in L2
    cold = _gpu_measure(1 << 20, "cold")
    assert cold.stats["median"] >= hot.stats["median"] * 0.98
