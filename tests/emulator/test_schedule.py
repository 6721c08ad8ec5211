"""Divergence, reconvergence and loops under lowest-pc-first scheduling."""

from __future__ import annotations

import numpy as np

from .kit import run, store


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
