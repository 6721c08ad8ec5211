"""Each sm_80 CUDA ladder step's targeted counter moves the way its description says,
counted by the PTX emulator (exact, so the assertions are equalities where the arithmetic
allows). Problems are one block tile (128x128x64, fp16) so a step's work is its own: a larger
tile than the problem would count the zero-filled part too.
"""

from __future__ import annotations

import shutil
from typing import Any

import pytest

from kernbench.analyse.compare import Verdict, compare
from kernbench.config import GateConfig
from kernbench.registry import Registry
from kernbench.store.records import Record

pytestmark = [
    pytest.mark.skipif(shutil.which("nvcc") is None, reason="needs nvcc"),
    pytest.mark.slow,
    pytest.mark.xdist_group("cuda_ladder_counters"),  # one worker runs the module's fixtures
]

SHAPE = "128x128x64"
WIDE = "128x256x64"
OUTPUTS = 128 * 128


@pytest.fixture(scope="module")
def registry() -> Registry:
    return Registry.discover()


@pytest.fixture(scope="module")
def counted(registry: Registry, emu: Any) -> Any:
    """``counted(step, shape, **config changes)``: the step's stored emulator counters, each
    measured once for the module."""
    from kernbench.measure.run import Candidate, measure
    from kernbench.measure.settings import QUICK

    cache: dict[tuple[Any, ...], Any] = {}

    def get(name: str, shape: str = SHAPE, **change: Any) -> Any:
        key = (name, shape, tuple(sorted(change.items())))
        if key not in cache:
            config = {**registry.variant(name).default_configs()[0], **change}
            cand = Candidate("gemm", name, shape, "fp16", config)
            outcome = measure(registry, emu, cand, QUICK)
            assert outcome.status == "ok", f"{name}: {outcome.message}"
            cache[key] = (outcome, cand)
        return cache[key]

    return get


def counters(counted: Any, name: str, shape: str = SHAPE, **change: Any) -> dict[str, float]:
    outcome, _ = counted(name, shape, **change)
    return dict(outcome.method["emulator"]["counters"])


def test_smem_simt_cuts_global_traffic_by_the_tile_and_reads_tm_plus_tn(counted: Any) -> None:
    naive, simt = counters(counted, "cuda_naive"), counters(counted, "cuda_smem_simt")
    # naive: every output reads a K-long row of A and column of B: 2 * 64 * 2 bytes
    assert naive["global_load_bytes"] == OUTPUTS * 2 * 64 * 2
    # 64x64 tiles: each block reads its 64 x K of A and K x 64 of B once: 64x fewer bytes
    assert simt["global_load_bytes"] * 64 == naive["global_load_bytes"]
    # each thread (16 outputs, TM = TN = 4) reads TM + TN shared values per k
    assert simt["thread.ld.shared"] == (OUTPUTS // 16) * 64 * (4 + 4)


def test_mma_moves_the_math_to_tensor_cores_with_conflicted_fragment_reads(counted: Any) -> None:
    simt, mma = counters(counted, "cuda_smem_simt"), counters(counted, "cuda_mma")
    # one m16n8k16 = 2048 multiply-adds = 4096 FLOPs; all of them, once: K per output
    assert mma["tensor_macs.f16"] == 2048 * mma["warp.tensor"] == OUTPUTS * 64
    assert mma["thread.fp32"] * 20 < simt["thread.fp32"]
    # unpadded shared rows: the fragment reads replay (4-way: 4 wavefronts per request)
    assert mma["shared_load_wavefronts_per_request"] == 4.0


def test_vectorized_loads_an_eighth_and_padding_removes_the_conflicts(counted: Any) -> None:
    mma, vec = counters(counted, "cuda_mma"), counters(counted, "cuda_vectorized")
    per_byte = vec["warp.ld.global"] / vec["global_load_bytes"]
    assert per_byte * 8 == mma["warp.ld.global"] / mma["global_load_bytes"]
    assert vec["global_load_bytes"] == mma["global_load_bytes"]
    # the padded fragment reads: one wavefront per request, none replayed
    assert vec["shared_load_wavefronts"] == vec["shared_load_ideal"]
    assert vec["shared_load_wavefronts_per_request"] == 1.0
    # PAD = 0 keeps the conflicts (the description's control experiment)
    unpadded = counters(counted, "cuda_vectorized", PAD=0)
    assert unpadded["shared_load_wavefronts_per_request"] == 4.0
    assert unpadded["shared_bank_conflicts"] > vec["shared_bank_conflicts"]


def test_cp_async_skips_the_registers(counted: Any) -> None:
    vec, cp = counters(counted, "cuda_vectorized"), counters(counted, "cuda_cp_async")
    assert cp.get("warp.ld.global", 0) == 0 and cp.get("warp.st.shared", 0) == 0
    assert cp["warp.cp.async"] == vec["warp.ld.global"]
    assert cp["global_load_sectors"] == vec["global_load_sectors"]


def test_ldmatrix_needs_fewer_shared_loads_and_instructions(counted: Any) -> None:
    cp, ldm = counters(counted, "cuda_cp_async"), counters(counted, "cuda_ldmatrix")
    before = cp["warp.ld.shared"]
    after = ldm.get("warp.ld.shared", 0) + ldm["warp.ldmatrix"]
    assert after * 6 == before  # one x4 for 4 A loads, one x4.trans for 8 B loads
    assert ldm["shared_load_wavefronts"] == ldm["shared_load_ideal"]  # conflict-free
    assert ldm["warp_instructions"] < cp["warp_instructions"]


def test_tuned_stores_coalesced_and_loads_less_per_output(counted: Any) -> None:
    ldm, tuned = counters(counted, "cuda_ldmatrix", WIDE), counters(counted, "cuda_tuned", WIDE)
    # the epilogue through shared memory: 16 bytes a lane, whole warps, every sector full
    assert tuned["global_store_bytes"] / tuned["global_store_requests"] == 32 * 16
    assert ldm["global_store_bytes"] / ldm["global_store_requests"] == 32 * 2
    assert tuned["global_store_efficiency"] == 1.0 > ldm["global_store_efficiency"]
    # one 128x256 tile instead of two 128x128: B is read once, A once instead of twice
    assert tuned["global_load_bytes"] * 4 == ldm["global_load_bytes"] * 3


# --- Hopper (sm_90a, bf16): steps 8-10 -------------------------------------------------

HOPPER = "256x256x128"


@pytest.fixture(scope="module")
def hopper(registry: Registry) -> Any:
    """``hopper(step, shape)``: a Hopper step's counters on the emulated sm_90a device."""
    from kernbench import device
    from kernbench.measure.run import Candidate, measure
    from kernbench.measure.settings import QUICK

    before = device.active()
    emu = device.activate("emu:sm_90a")
    cache: dict[tuple[str, str], dict[str, float]] = {}

    def get(name: str, shape: str = HOPPER) -> dict[str, float]:
        if (name, shape) not in cache:
            config = dict(registry.variant(name).default_configs()[0])
            outcome = measure(registry, emu, Candidate("gemm", name, shape, "bf16", config), QUICK)
            assert outcome.status == "ok", f"{name}: {outcome.message}"
            cache[(name, shape)] = dict(outcome.method["emulator"]["counters"])
        return cache[(name, shape)]

    yield get
    device._ACTIVE = before


def test_wgmma_multiplies_from_shared_memory_16x_the_work_per_instruction(
    counted: Any, hopper: Any
) -> None:
    mma, wg = counters(counted, "cuda_ldmatrix"), hopper("cuda_wgmma", SHAPE)
    # m64n128k16 per warpgroup: 131072 multiply-adds, 32768 per warp-instruction
    per_instruction = wg["tensor_macs.bf16"] / wg["warp.tensor"]
    assert per_instruction == 32768 == 16 * mma["tensor_macs.f16"] / mma["warp.tensor"]
    assert wg["tensor_macs.bf16"] == OUTPUTS * 64
    # no ldmatrix, no shared loads: A and B go from TMA into shared memory, wgmma reads them
    assert wg.get("warp.ldmatrix", 0) == 0 and wg.get("shared_load_requests", 0) == 0
    assert wg["tma_load_bytes"] == (128 * 64 + 64 * 128) * 2 == wg["global_load_bytes"]
    # per wgmma: B (128 x 16) and A (64 x 16) bf16 from shared memory
    assert wg["wgmma_shared_operand_bytes"] == (wg["warp.tensor"] // 4) * (128 + 64) * 16 * 2


def test_ws_wider_tile_halves_a_per_flop(hopper: Any) -> None:
    """Step 9's tile is 128 x 256 (step 8's 128 x 128): A is read by half as many blocks, B
    as often, so TMA bytes per multiply-add fall to 3/4 (A and B weigh the same here), and
    each wgmma (m64n256k16) reads A once for twice the columns."""
    wg, ws = hopper("cuda_wgmma"), hopper("cuda_ws")
    assert wg["tensor_macs.bf16"] == ws["tensor_macs.bf16"] == 256 * 256 * 128
    assert ws["tma_load_bytes"] * 4 == wg["tma_load_bytes"] * 3
    assert ws["tensor_macs.bf16"] / ws["warp.tensor"] == 65536  # 64 * 256 * 16 / 4
    # shared operand bytes per multiply-add: B 1/32 either way, A 1/64 -> 1/128
    assert ws["wgmma_shared_operand_bytes"] * 6 == wg["wgmma_shared_operand_bytes"] * 5


def test_persistent_multicasts_b_and_stores_by_tma(hopper: Any) -> None:
    ws, pe = hopper("cuda_ws"), hopper("cuda_persistent")
    # a 2-block cluster loads B once for both: global B bytes halve (A 64 KiB, B 128 -> 64)
    assert ws["global_load_bytes"] == 65536 + 131072
    assert pe["global_load_bytes"] == 65536 + 65536
    assert pe["tma_load_bytes"] == ws["tma_load_bytes"]  # both blocks still receive B
    # the epilogue: swizzled shared staging (conflict-free), then TMA stores, no st.global
    assert pe.get("warp.st.global", 0) == 0 and ws["warp.st.global"] > 0
    assert pe["tma_store_bytes"] == 256 * 256 * 2
    assert pe["shared_store_wavefronts"] == pe["shared_store_ideal"]


def _record(outcome: Any, cand: Any) -> Record:
    return Record(
        family="gemm",
        variant=cand.variant,
        problem=cand.problem,
        dtype=cand.dtype,
        config={k: v for k, v in cand.config.items() if k != "PAD"},
        status="ok",
        samples=list(outcome.samples),
        stats=dict(outcome.stats),
        method=dict(outcome.method),
        device={"kind": "emu", "name": "PTX emulator sm_80", "timing_kind": "emulated"},
    )


def test_compare_fails_when_the_padding_is_removed_and_passes_unchanged(counted: Any) -> None:
    """The same record name with PAD = 0 stands for a change that removed the padding."""
    base = _record(*counted("cuda_vectorized"))
    planted = _record(*counted("cuda_vectorized", PAD=0))
    bad = compare([base], [planted], GateConfig())
    assert bad.exit_code == 1 and bad.pairs[0].verdict == Verdict.WORSE
    worse = {c.metric.key for c in bad.pairs[0].counted if c.worse}
    assert {"shared_bank_conflicts", "shared_wavefronts_per_ideal"} <= worse
    same = compare([base], [_record(*counted("cuda_vectorized"))], GateConfig())
    assert same.exit_code == 0 and same.pairs[0].verdict == Verdict.UNCHANGED
    # a tolerance wide enough lets the change through
    loose = compare([base], [planted], GateConfig(), counter_tolerances={"*": 100.0})
    assert loose.exit_code == 0


CHILD = """
import json
from kernbench import device
from kernbench.measure.run import Candidate, measure
from kernbench.measure.settings import QUICK
from kernbench.registry import Registry

reg = Registry.discover()
config = dict(reg.variant("cuda_vectorized").default_configs()[0])
out = measure(reg, device.activate("emu:sm_80"), Candidate("gemm", "cuda_vectorized", {shape!r},
              "fp16", config), QUICK)
print(json.dumps(out.method["emulator"]["counters"], sort_keys=True))
"""


@pytest.mark.heavy
def test_the_same_counts_in_another_process(counted: Any) -> None:
    """(tests/emulator/test_counters.py checks the same on hand-written PTX in every run.)"""
    import json
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[3]
    child = subprocess.run(
        [sys.executable, "-c", CHILD.format(shape=SHAPE)],
        capture_output=True,
        text=True,
        check=True,
        cwd=root,
    )
    there = json.loads(child.stdout.strip().splitlines()[-1])
    assert there == json.loads(json.dumps(counters(counted, "cuda_vectorized"), sort_keys=True))
