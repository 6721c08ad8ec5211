"""CTA barriers: ordering, races without them, divergent barriers and deadlocks."""

from __future__ import annotations

import numpy as np

from .kit import kinds, run, store

SMEM = ".shared .align 4 .b8 buf[512];"

# every thread writes buf[tid] = tid + 1, then reads its neighbour buf[(tid + 1) % n]
WRITE_READ = """
    mov.u32 %r5, %ntid.x;
    shl.b32 %r1, %r0, 2;
    mov.u32 %r2, buf;
    add.u32 %r3, %r2, %r1;
    add.u32 %r4, %r0, 1;
    st.shared.u32 [%r3], %r4;
    {sync}
    rem.u32 %r6, %r4, %r5;
    shl.b32 %r6, %r6, 2;
    add.u32 %r6, %r2, %r6;
    ld.shared.u32 %r7, [%r6];
"""


def test_barrier_orders_shared_memory() -> None:
    out, r = run(WRITE_READ.format(sync="bar.sync 0;") + store("%r7"), n=64, decls=SMEM)
    assert r.ok, r.findings
    # thread t reads what thread (t + 1) % 64 wrote: ((t + 1) % 64) + 1
    np.testing.assert_array_equal(out, (np.arange(64) + 1) % 64 + 1)


def test_missing_barrier_is_a_race() -> None:
    _, r = run(WRITE_READ.format(sync="") + store("%r7"), n=64, decls=SMEM)
    assert "shared-race" in kinds(r)
    f = next(f for f in r.findings if f.kind == "shared-race")
    assert "ld.shared" in f.instruction and f.block == (0, 0, 0)


def test_warp_sync_orders_within_a_warp_only() -> None:
    # 32 threads, one warp: bar.warp.sync orders the exchange, no race
    _, r = run(WRITE_READ.format(sync="bar.warp.sync -1;") + store("%r7"), n=32, decls=SMEM)
    assert r.ok, r.findings
    # across two warps a warp sync is not enough
    _, r = run(WRITE_READ.format(sync="bar.warp.sync -1;") + store("%r7"), n=64, decls=SMEM)
    assert "shared-race" in kinds(r)


def test_uninitialized_shared_read() -> None:
    body = """
    mov.u32 %r2, buf;
    ld.shared.u32 %r7, [%r2+4];
""" + store("%r7")
    _, r = run(body, n=32, decls=SMEM)
    assert kinds(r) == ["uninitialized-shared-read"]


def test_barrier_in_divergent_branch() -> None:
    # threads < 32 sync at one bar.sync, the others at another: both instances complete
    # with threads from two instructions: a divergent barrier
    body = """
    setp.lt.u32 %p1, %r0, 32;
    @%p1 bra A;
    bar.sync 0;
    bra.uni END;
A:
    bar.sync 0;
END:
"""
    _, r = run(body, n=64)
    assert "divergent-barrier" in kinds(r)


def test_deadlock_is_reported_not_hung() -> None:
    # warp 0 waits at barrier 1 for 64 threads; warp 1 waits at barrier 2 for 64 threads
    body = """
    setp.lt.u32 %p1, %r0, 32;
    @%p1 bra A;
    bar.sync 2, 64;
    bra.uni END;
A:
    bar.sync 1, 64;
END:
"""
    _, r = run(body, n=64)
    assert "barrier-deadlock" in kinds(r)
    f = next(f for f in r.findings if f.kind == "barrier-deadlock")
    assert "never arrive" in f.message


def test_exited_threads_are_not_waited_for() -> None:
    body = """
    setp.ge.u32 %p1, %r0, 40;
    @%p1 exit;
    bar.sync 0;
    mov.u32 %r1, 5;
""" + store("%r1")
    out, r = run(body, n=64)
    assert r.ok, r.findings
    np.testing.assert_array_equal(out[:40], 5)


def test_bar_red_popc_and_or() -> None:
    # predicate: tid % 3 == 0 over 64 threads -> popc 22; .and false; .or true
    body = """
    rem.u32 %r2, %r0, 3;
    setp.eq.u32 %p1, %r2, 0;
    bar.red.popc.u32 %r3, 0, %p1;
    bar.red.and.pred %p2, 1, %p1;
    bar.red.or.pred %p3, 2, %p1;
    selp.u32 %r4, 1, 0, %p2;
    selp.u32 %r5, 2, 0, %p3;
    shl.b32 %r3, %r3, 4;
    or.b32 %r3, %r3, %r4;
    or.b32 %r3, %r3, %r5;
""" + store("%r3")
    out, r = run(body, n=64)
    assert r.ok, r.findings
    np.testing.assert_array_equal(out, (22 << 4) | 2)


def test_producer_consumer_named_barrier() -> None:
    # warp 1 writes buf then bar.arrive 1, 64; warp 0 bar.sync 1, 64 then reads: ordered
    body = """
    mov.u32 %r2, buf;
    setp.lt.u32 %p1, %r0, 32;
    @%p1 bra CONSUME;
    and.b32 %r1, %r0, 31;
    shl.b32 %r3, %r1, 2;
    add.u32 %r3, %r2, %r3;
    add.u32 %r4, %r0, 1000;
    st.shared.u32 [%r3], %r4;
    bar.arrive 1, 64;
    exit;
CONSUME:
    bar.sync 1, 64;
    shl.b32 %r3, %r0, 2;
    add.u32 %r3, %r2, %r3;
    ld.shared.u32 %r7, [%r3];
""" + store("%r7")
    out, r = run(body, n=64, decls=SMEM)
    assert r.ok, r.findings
    np.testing.assert_array_equal(out[:32], np.arange(32) + 1032)


def test_write_after_broadcast_read_races() -> None:
    # every thread reads buf[0]; then thread 0 writes it with no barrier: a race with the
    # other readers (even though thread 0 was among them)
    body = """
    mov.u32 %r2, buf;
    shl.b32 %r3, %r0, 2;
    add.u32 %r3, %r2, %r3;
    st.shared.u32 [%r3], %r0;
    bar.sync 0;
    ld.shared.u32 %r7, [%r2];
    setp.ne.u32 %p1, %r0, 0;
    @%p1 bra END;
    st.shared.u32 [%r2], %r0;
END:
"""
    _, r = run(body, n=64, decls=SMEM)
    assert kinds(r) == ["shared-race"]


def test_aligned_barrier_in_warp_divergent_code() -> None:
    # lanes 0..15 of every warp sync at one bar.sync, lanes 16..31 at another: the warps
    # diverged at an aligned barrier
    body = """
    and.b32 %r1, %r0, 31;
    setp.ge.u32 %p1, %r1, 16;
    @%p1 bra OTHER;
    bar.sync 0;
    bra.uni END;
OTHER:
    bar.sync 0;
END:
"""
    _, r = run(body, n=64)
    assert "divergent-barrier" in kinds(r)
    # early exit of part of a warp (a bounds guard) then __syncthreads: exits release the
    # barrier, no finding, whichever order the lanes run in
    for guard in ("@%p1 exit;", "@%p1 bra END;"):
        body2 = f"""
    and.b32 %r1, %r0, 31;
    setp.ge.u32 %p1, %r1, 16;
    {guard}
    bar.sync 0;
END:
"""
        _, r = run(body2, n=64)
        assert r.ok, r.findings


def test_counted_aligned_barrier_completed_by_part_of_a_warp() -> None:
    # bar.sync 1, 32 completes with 16 lanes of warp 0 and 16 of warp 1 while the other
    # lanes of both warps are still running: each warp diverged at an aligned barrier
    body = """
    and.b32 %r1, %r0, 31;
    setp.ge.u32 %p1, %r1, 16;
    @%p1 bra LATER;
    bar.sync 1, 32;
LATER:
"""
    _, r = run(body, n=64)
    assert kinds(r) == ["divergent-barrier"]
    assert "only lanes" in r.findings[0].message
