"""Counters against hand-derived expectations (Nsight Compute's definitions).

Global: a request is one warp's execution of a memory instruction; its sectors are the
distinct 32-byte blocks its active lanes touch. Shared: 32 banks of 4 bytes; a request is
served in phases (32 lanes up to 32-bit accesses, 16 for 64-bit, 8 for 128-bit and per
``ldmatrix`` 8x8 matrix); a phase takes as many wavefronts as the most distinct words one
bank must deliver (the same word to many lanes is a broadcast).
"""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from kernbench.emulator import launch
from kernbench.emulator.counters import classify
from kernbench.emulator.ptx import ir

from .kit import ptx, run

# lane i loads the fp32 word at x + 4 * (i * STRIDE): stride is an immediate below
GLOBAL_LOAD = """
    ld.param.u64 %rd2, [x];
    mul.lo.u32 %r1, %r0, {stride};
    mul.wide.u32 %rd3, %r1, 4;
    add.s64 %rd3, %rd2, %rd3;
    ld.global.u32 %r2, [%rd3];
"""


def global_load(stride: int) -> dict[str, float]:
    x = np.zeros(32 * 33, np.float32)
    _, r = run(GLOBAL_LOAD.format(stride=stride), args=[x], params=".param .u64 out, .param .u64 x")
    assert r.ok, r.findings
    return r.counts.totals


@pytest.mark.parametrize(
    ("stride", "sectors"),
    [
        (1, 4),  # 32 lanes x 4 B = 128 contiguous bytes = 4 sectors
        (2, 8),  # 256 bytes spanned, every sector holds 4 of the words: 8 sectors
        (8, 32),  # 32 B apart: one sector per lane
        (32, 32),  # scattered (128 B apart): one sector per lane
        (0, 1),  # every lane the same word: one sector
    ],
)
def test_global_sectors_per_request(stride: int, sectors: int) -> None:
    t = global_load(stride)
    assert t["global_load_requests"] == 1
    assert t["global_load_sectors"] == sectors
    assert t["global_load_sectors_per_request"] == sectors
    assert t["global_load_bytes"] == 128  # requested: 32 lanes x 4 bytes
    assert t["dram_read_bytes_lower_bound"] == 32 * sectors
    assert "global_store_requests" not in t  # nothing stored


def test_sectors_do_not_depend_on_where_the_host_put_the_buffer() -> None:
    """A buffer 4 bytes off a 32-byte boundary still counts 4 sectors for a coalesced load:
    sectors are taken from the buffer's start (cudaMalloc aligns to 256 bytes)."""
    raw = np.zeros(32 * 33 + 8, np.float32)
    off = next(i for i in range(8) if (raw.ctypes.data + 4 * i) % 32 == 4)
    x = raw[off : off + 32 * 33]
    _, r = run(GLOBAL_LOAD.format(stride=1), args=[x], params=".param .u64 out, .param .u64 x")
    assert r.counts.totals["global_load_sectors"] == 4


def fill(words: int | str) -> str:
    """PTX: the threads (index ``%r0``, 32 of them) fill ``words`` 32-bit words of the shared
    array at ``%r1`` with each word's index, thread i every 32nd word from word i; then
    ``bar.sync 0``. Uses ``%r2``, ``%r3`` and ``%p1``."""
    return (
        """
    mov.u32 %r2, %r0;
$fill:
    shl.b32 %r3, %r2, 2;
    add.u32 %r3, %r1, %r3;
    st.shared.u32 [%r3], %r2;
    add.u32 %r2, %r2, 32;
    setp.lt.u32 %p1, %r2, WORDS;
    @%p1 bra $fill;
    bar.sync 0;
"""
    ).replace("WORDS", str(words))[1:]


# every lane fills its words of a 32 x 33 word array, then lane i reads word (i*STRIDE) % 1056
SHARED = (
    """
    .shared .align 16 .b32 s[1056];
    mov.u32 %r1, s;
"""
    + fill(1056)
    + """\
    mul.lo.u32 %r4, %r0, {stride};
    rem.u32 %r4, %r4, 1056;
    shl.b32 %r4, %r4, 2;
    add.u32 %r4, %r1, %r4;
    ld.shared.{width} %r5, [%r4];
"""
)


def shared_load(stride: int, width: str = "u32") -> dict[str, float]:
    body = SHARED.format(stride=stride, width=width)
    _, r = run(body)
    assert r.ok, r.findings
    return r.counts.totals


@pytest.mark.parametrize(
    ("stride", "wavefronts"),
    [
        (1, 1),  # 32 consecutive words: 32 banks, one each
        (2, 2),  # words 0, 2, ..., 62: banks 0, 2, ..., 30 serve two words each: 2-way
        (32, 32),  # words 0, 32, 64...: all in bank 0, 32 distinct words: 32-way
        (33, 1),  # word 33 i is in bank i: conflict-free (the padding trick)
        (0, 1),  # one word for every lane: a broadcast, no conflict
    ],
)
def test_shared_bank_conflicts(stride: int, wavefronts: int) -> None:
    t = shared_load(stride)
    assert t["shared_load_requests"] == 1
    assert t["shared_load_wavefronts"] == wavefronts
    assert t["shared_load_ideal"] == 1
    assert t["shared_load_bank_conflicts"] == wavefronts - 1
    # the fill: 33 stores of 32 consecutive words, each conflict-free
    assert t["shared_store_requests"] == 33 and t["shared_store_wavefronts"] == 33


def test_64_bit_shared_accesses_are_served_in_half_warps() -> None:
    """Lane i reads 8 bytes at 8 i: 256 bytes, two half-warp phases of 128 bytes over all 32
    banks: 2 wavefronts, both ideal. Then 8 bytes at 32 i (see below)."""
    body = (
        """
    .shared .align 16 .b32 s[1056];
    mov.u32 %r1, s;
"""
        + fill(1056)
        + """\
    mul.lo.u32 %r4, %r0, {bytes};
    add.u32 %r4, %r1, %r4;
    ld.shared.v2.u32 {{%r5, %r6}}, [%r4];
"""
    )
    _, r = run(body.format(bytes=8))
    t = r.counts.totals
    assert (t["shared_load_wavefronts"], t["shared_load_ideal"]) == (2, 2)
    _, r = run(body.format(bytes=32))
    t = r.counts.totals
    # lane i at word 8 i: bank (8 i) % 32 in {0, 8, 16, 24}; a half-warp's 16 lanes spread
    # over 4 bank pairs, 4 lanes (4 distinct words) each: 4 wavefronts per phase, 2 phases
    assert (t["shared_load_wavefronts"], t["shared_load_ideal"]) == (8, 2)


LDMATRIX = (
    """
    .shared .align 16 .b16 tile[{elems}];
    mov.u32 %r1, tile;
"""
    + fill("{words}")
    + """\
    and.b32 %r4, %r0, 7;
    mul.lo.u32 %r4, %r4, {row_bytes};
    add.u32 %r4, %r1, %r4;
    ldmatrix.sync.aligned.m8n8.x1.shared.b16 {{%r5}}, [%r4];
"""
)


@pytest.mark.parametrize(("pad", "wavefronts"), [(0, 8), (8, 1)])
def test_ldmatrix_on_a_64_wide_tile_padded_and_not(pad: int, wavefronts: int) -> None:
    """ldmatrix x1 reads 8 rows of 16 bytes (one phase). A 64-element fp16 row is 128 bytes:
    unpadded, all 8 rows start in bank 0 and each covers banks 0-3 with different words: 8
    wavefronts. Padded by 8 elements (144-byte rows) row r starts at bank 4 r: 8 rows cover
    32 banks once: 1 wavefront."""
    width = 64 + pad
    elems = 8 * width
    body = LDMATRIX.format(elems=elems, words=elems // 2, row_bytes=2 * width)
    _, r = run(body)
    assert r.ok, r.findings
    t = r.counts.totals
    assert t["shared_load_requests"] == 1 and t["warp.ldmatrix"] == 1
    assert t["shared_load_wavefronts"] == wavefronts and t["shared_load_ideal"] == 1


COPY = """
    ld.param.u64 %rd2, [x];
    ld.param.u64 %rd4, [y];
    mul.wide.u32 %rd3, %r0, {size};
    add.s64 %rd5, %rd2, %rd3;
    add.s64 %rd6, %rd4, %rd3;
    ld.global.{vec}u32 {regs}, [%rd5];
    st.global.{vec}u32 [%rd6], {regs};
"""


def test_float4_copy_executes_a_quarter_of_the_scalar_loads() -> None:
    """Copying 1024 floats: 1024 threads of one float (32 warp loads) or 256 threads of four
    (8 warp loads); both move the same 128 sectors."""
    params = ".param .u64 out, .param .u64 x, .param .u64 y"
    x, y = np.ones(1024, np.float32), np.zeros(1024, np.float32)
    scalar = COPY.format(size=4, vec="", regs="%r1")
    _, r1 = run(scalar, n=256, grid=4, args=[x, y], params=params)
    vector = COPY.format(size=16, vec="v4.", regs="{%r1, %r2, %r3, %r4}")
    _, r4 = run(vector, n=256, grid=1, args=[x, y], params=params)
    assert np.array_equal(y, x)
    s, v = r1.counts.totals, r4.counts.totals
    assert (s["warp.ld.global"], v["warp.ld.global"]) == (32, 8)
    assert s["global_load_sectors"] == v["global_load_sectors"] == 128
    assert (s["global_load_sectors_per_request"], v["global_load_sectors_per_request"]) == (4, 16)
    assert s["global_load_efficiency"] == v["global_load_efficiency"] == 1.0


def test_classes_and_lane_efficiency() -> None:
    """mov, setp (integer), a guarded add.f32 on 8 lanes, ret: 4 warp-instructions and
    32 + 32 + 8 + 32 = 104 thread-instructions; lane efficiency 104 / 128."""
    _, r = run(
        """
    setp.lt.u32 %p1, %r0, 8;
    @%p1 add.f32 %r1, %r1, %r2;
"""
    )
    t = r.counts.totals
    assert (t["warp_instructions"], t["thread_instructions"]) == (4, 104)
    assert t["lane_efficiency"] == 104 / 128
    assert (t["warp.integer"], t["warp.fp32"], t["thread.fp32"], t["warp.control"]) == (2, 1, 8, 1)
    assert r.counts.lines  # per PTX line, too


def test_mma_counts_multiply_adds_by_dtype() -> None:
    """One m16n8k16 f16 mma by one warp: 16 * 8 * 16 = 2048 multiply-adds."""
    body = """
    .reg .b32 %a<4>, %b<2>, %c<4>;
    mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32 {%c0, %c1, %c2, %c3},
        {%a0, %a1, %a2, %a3}, {%b0, %b1}, {%c0, %c1, %c2, %c3};
"""
    _, r = run(body)
    assert r.ok, r.findings
    assert r.counts.totals["tensor_macs.f16"] == 2048 and r.counts.totals["warp.tensor"] == 1


def test_classify_at_load_time() -> None:
    def ins(op: str, *mods: str) -> ir.Instruction:
        return ir.Instruction(op, mods, (), None, 1, None, "")

    assert classify(ins("ld", "global", "nc", "v4", "u32")) == "ld.global"
    assert classify(ins("st", "shared", "u32")) == "st.shared"
    assert classify(ins("ld", "u32")) == "ld.generic"
    assert classify(ins("cp", "async", "cg", "shared", "global")) == "cp.async"
    assert classify(ins("cp", "async", "wait_group")) == "async-wait"
    assert classify(ins("cp", "async", "bulk", "tensor", "2d", "shared::cluster")) == "tma"
    assert classify(ins("mbarrier", "try_wait", "parity", "shared::cta", "b64")) == "mbarrier"
    assert classify(ins("fence", "proxy", "async")) == "fence"
    assert classify(ins("fma", "rn", "f32")) == "fp32"
    assert classify(ins("fma", "rn", "f16x2")) == "f16x2"
    assert classify(ins("cvt", "rn", "f16", "f32")) == "convert"
    assert classify(ins("bar", "sync")) == "barrier"
    assert classify(ins("shfl", "sync", "bfly", "b32")) == "warp"
    assert classify(ins("mad", "lo", "s32")) == "integer"


def test_counters_can_be_switched_off() -> None:
    r = launch(
        ptx("    add.u32 %r1, %r0, 1;"), "k", 1, 32, [np.zeros(32, np.uint32)], counters=False
    )
    assert r.counts is None and r.warp_instructions == 3


CHILD = """
import json, sys
import numpy as np
sys.path.insert(0, {root!r})
from tests.emulator.test_counters import global_load, shared_load
print(json.dumps([global_load(2), shared_load(2)], sort_keys=True))
"""


def test_same_counts_in_another_process() -> None:
    import pathlib

    root = str(pathlib.Path(__file__).resolve().parents[2])
    out = subprocess.run(
        [sys.executable, "-c", CHILD.format(root=root)],
        capture_output=True,
        text=True,
        check=True,
        cwd=root,
    ).stdout
    here = json.loads(json.dumps([global_load(2), shared_load(2)], sort_keys=True))
    assert json.loads(out.strip().splitlines()[-1]) == here


def test_wgmma_work_and_shared_operand_bytes_from_the_instruction() -> None:
    """m64n128k16 bf16: 64 * 128 * 16 = 131072 multiply-adds per warpgroup (4 warps share
    one); B (128 x 16 bf16 = 4096 bytes) always from shared memory, A (64 x 16 = 2048 bytes)
    too when it is a descriptor, not when it is in registers."""
    from kernbench.emulator.counters import tensor_work, wgmma_shared_bytes

    mods = ("mma_async", "sync", "aligned", "m64n128k16", "f32", "bf16", "bf16")
    d = ir.Vec((ir.Reg("%f1"),))
    desc = ir.Instruction("wgmma", mods, (d, ir.Reg("%rd1"), ir.Reg("%rd2")), None, 1, None, "")
    regs = ir.Instruction(
        "wgmma", mods, (d, ir.Vec((ir.Reg("%r1"),)), ir.Reg("%rd2")), None, 1, None, ""
    )
    assert classify(desc) == "tensor" and tensor_work(desc) == ("bf16", 131072, 4)
    assert wgmma_shared_bytes(desc) == 4096 + 2048 and wgmma_shared_bytes(regs) == 4096
    fence = ir.Instruction("wgmma", ("fence", "sync", "aligned"), (), None, 1, None, "")
    assert classify(fence) == "async-wait" and wgmma_shared_bytes(fence) == 0


def test_cp_async_with_zero_fill_is_one_request() -> None:
    """32 lanes copy 16 bytes each (lanes 16.. only 8 of them, the rest zero-filled): one
    request of 512 contiguous bytes = 16 sectors, and one shared write of 4 quarter-warp
    phases, conflict-free."""
    body = """
    .shared .align 16 .b8 s[512];
    ld.param.u64 %rd2, [x];
    mul.wide.u32 %rd3, %r0, 16;
    add.s64 %rd3, %rd2, %rd3;
    mov.u32 %r1, s;
    shl.b32 %r2, %r0, 4;
    add.u32 %r1, %r1, %r2;
    setp.lt.u32 %p1, %r0, 16;
    selp.u32 %r3, 16, 8, %p1;
    cp.async.cg.shared.global [%r1], [%rd3], 16, %r3;
    cp.async.wait_all;
"""
    x = np.ones(128, np.float32)
    _, r = run(body, args=[x], params=".param .u64 out, .param .u64 x")
    assert r.ok, r.findings
    t = r.counts.totals
    assert (t["global_load_requests"], t["global_load_sectors"]) == (1, 16)
    assert (t["shared_store_requests"], t["shared_store_wavefronts"]) == (1, 4)
    assert t["shared_store_ideal"] == 4 and t["warp.cp.async"] == 1


def test_an_access_wider_than_a_sector_counts_every_sector() -> None:
    """The hook as a bulk copy uses it: one lane reading 256 bytes from a buffer's start
    touches 8 sectors; 64 bytes at offset 240 touch 3 (sectors 7 to 9), 2 of them new."""
    from types import SimpleNamespace

    from kernbench.emulator.counters import Counters
    from kernbench.emulator.memory import HostMemory

    one = SimpleNamespace(steps=[SimpleNamespace(ins=ir.Instruction("ld", ("global", "u8")))])

    buf = np.zeros(1024, np.uint8)
    host = HostMemory()
    host.add_array(buf, "buf")
    c = Counters(one)  # type: ignore[arg-type]
    base = np.uint64(buf.ctypes.data)
    c.access(0, np.array([0]), "host", np.array([base]), 256, False, host)
    c.access(0, np.array([0]), "host", np.array([base + np.uint64(240)]), 64, False, host)
    t = c.counts(np.array([64]), np.array([2])).totals
    assert t["global_load_sectors"] == 8 + 3
    assert t["dram_read_bytes_lower_bound"] == 10 * 32
