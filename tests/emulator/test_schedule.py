"""Divergence, reconvergence and loops under lowest-pc-first scheduling."""

from __future__ import annotations

from typing import Any

import numpy as np

from kernbench.emulator import launch, opcodes, program
from kernbench.emulator.findings import Findings
from kernbench.emulator.machine import Flow, Linker, Machine
from kernbench.emulator.memory import HostMemory
from kernbench.emulator.ops.table import Semantic
from kernbench.emulator.ptx import ir
from kernbench.emulator.ptx.parse import parse_module
from kernbench.emulator.schedule import WaitList
from kernbench.emulator.state import Layout

from .kit import ptx, run, store


def test_if_else_reconverges() -> None:
    # lanes < 5 take the branch and set 100 + tid; the others set 200 + tid; after the join
    # every lane adds 1 (executed once per lane, so the join really reconverged).
    body = """
    setp.lt.u32 %p1, %r0, 5;
    @%p1 bra THEN;
    add.u32 %r1, %r0, 200;
    bra.uni JOIN;
THEN:
    add.u32 %r1, %r0, 100;
JOIN:
    add.u32 %r1, %r1, 1;
""" + store("%r1")
    out, r = run(body, n=40)
    tid = np.arange(40)
    assert r.ok, r.findings
    np.testing.assert_array_equal(out, np.where(tid < 5, 101 + tid, 201 + tid))


def test_per_thread_trip_counts() -> None:
    # thread t loops t % 7 times adding 3: out = 3 * (t % 7)
    body = """
    rem.u32 %r2, %r0, 7;
    mov.u32 %r1, 0;
    setp.eq.u32 %p1, %r2, 0;
    @%p1 bra DONE;
LOOP:
    add.u32 %r1, %r1, 3;
    sub.u32 %r2, %r2, 1;
    setp.ne.u32 %p2, %r2, 0;
    @%p2 bra LOOP;
DONE:
""" + store("%r1")
    out, r = run(body, n=64, grid=2)
    assert r.ok
    np.testing.assert_array_equal(out, 3 * (np.arange(128) % 64 % 7))


def test_guarded_instruction_and_exit() -> None:
    # odd lanes exit early and store nothing (out stays 7); even lanes store tid * 2
    body = """
    and.b32 %r2, %r0, 1;
    setp.ne.u32 %p1, %r2, 0;
    @%p1 exit;
    shl.b32 %r1, %r0, 1;
""" + store("%r1")
    out = np.full(32, 7, np.uint32)
    out, r = run(body, out=out)
    tid = np.arange(32)
    np.testing.assert_array_equal(out, np.where(tid % 2, 7, 2 * tid))
    # 32 lanes ran the 3 leading instructions + mov, 16 ran the rest
    assert r.thread_instructions > 0 and r.ok


def test_instruction_budget_stops_runaway_loop() -> None:
    body = """
SPIN:
    add.u32 %r1, %r1, 1;
    bra.uni SPIN;
"""
    _, r = run(body, max_instructions=10_000)
    assert [f.kind for f in r.findings] == ["instruction-budget"]


def test_partial_warp_block_and_special_registers() -> None:
    # 40 threads: the second warp has 8 real lanes; %laneid and %warpid follow the layout
    body = """
    mov.u32 %r1, %laneid;
    mov.u32 %r2, %warpid;
    shl.b32 %r2, %r2, 8;
    or.b32 %r1, %r1, %r2;
""" + store("%r1")
    out, _r = run(body, n=40)
    tid = np.arange(40)
    np.testing.assert_array_equal(out, (tid % 32) | ((tid // 32) << 8))


def test_2d_blocks_and_grids() -> None:
    # block (8, 4), grid (2, 3): out[linear block, flat thread] = tid.x + 10 tid.y + 100 ctaid.y
    body = """
    mov.u32 %r1, %tid.y;
    mov.u32 %r2, %ctaid.y;
    mov.u32 %r3, %ctaid.x;
    mov.u32 %r4, %nctaid.x;
    mad.lo.u32 %r5, %r2, %r4, %r3;
    mov.u32 %r6, %ntid.x;
    mad.lo.u32 %r7, %r1, %r6, %r0;
    shl.b32 %r5, %r5, 5;
    add.u32 %r7, %r7, %r5;
    mul.wide.u32 %rd1, %r7, 4;
    ld.param.u64 %rd0, [out];
    add.s64 %rd1, %rd0, %rd1;
    mad.lo.u32 %r8, %r1, 10, %r0;
    mad.lo.u32 %r8, %r2, 100, %r8;
    st.global.u32 [%rd1], %r8;
"""
    out = np.zeros(6 * 32, np.uint32)
    r = launch(ptx(body), "k", (2, 3), (8, 4), [out])
    assert r.ok, r.findings
    blk = np.arange(6)[:, None]
    t = np.arange(32)[None, :]
    np.testing.assert_array_equal(out.reshape(6, 32), t % 8 + 10 * (t // 8) + 100 * (blk // 2))


class _Gate(WaitList):
    kind = "mbarrier-deadlock"


def test_waitlist_blocks_and_releases_threads() -> None:
    # a toy blocking op built on WaitList: "gate" blocks every thread until all 64 of the
    # CTA arrived, like a barrier; proves Hopper-style waitables plug into the scheduler
    table = dict(opcodes.SM80)

    def gate(ins: ir.Instruction) -> Flow:
        def link(L: Linker) -> Any:
            m = L.m

            def step(s: Any) -> Any:
                w = m.extensions.get("gate") or m.extensions.setdefault("gate", _Gate(m))
                w.block(m.tids(s), 7, L.pc + 1)
                if (w.key == 7).sum() == m.size:
                    w.release(w.key == 7)
                return ()

            return step

        return Flow(link)

    table["gate"] = Semantic("gate", "machine", gate, 0)
    body = (
        "    setp.lt.u32 %p1, %r0, 32;\n    @%p1 bra A;\n    gate;\n    bra.uni B;\nA:\n    gate;\nB:\n"
        + store("%r0")
    )
    prog = program.lower(parse_module(ptx(body)), "k", table, "sm_80")
    out = np.zeros(64, np.uint32)
    host = HostMemory()
    host.add_array(out, "out")
    prog.param_buffer[:8] = np.frombuffer(np.uint64(out.ctypes.data).tobytes(), np.uint8)
    host.extend(prog.host.allocs)
    m = Machine(prog, Layout((64, 1, 1), (1, 1, 1), 0, 1), host, Findings())
    m.run()
    np.testing.assert_array_equal(out, np.arange(64))


def test_lanemasks_and_clocks() -> None:
    # lanemask_lt | lanemask_eq == lanemask_le; ge = ~lt; gt = ~le (ISA definitions);
    # %clock64 read later is larger than read earlier
    body = """
    mov.u32 %r1, %lanemask_lt;
    mov.u32 %r2, %lanemask_eq;
    mov.u32 %r3, %lanemask_le;
    mov.u32 %r4, %lanemask_ge;
    mov.u32 %r5, %lanemask_gt;
    mov.u64 %rd2, %clock64;
    or.b32 %r6, %r1, %r2;
    setp.eq.u32 %p1, %r6, %r3;
    not.b32 %r7, %r1;
    setp.eq.and.u32 %p1, %r7, %r4, %p1;
    not.b32 %r8, %r3;
    setp.eq.and.u32 %p1, %r8, %r5, %p1;
    mov.u64 %rd3, %clock64;
    setp.gt.and.u64 %p1, %rd3, %rd2, %p1;
    selp.u32 %r9, 1, 0, %p1;
    xor.b32 %r9, %r9, %r2;
"""
    out, r = run(body + store("%r9"))
    assert r.ok
    np.testing.assert_array_equal(out, (1 << np.arange(32, dtype=np.uint64)).astype(np.uint32) ^ 1)
