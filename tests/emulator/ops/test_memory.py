"""Loads, stores and atomics: lane collisions in lane order, bounds findings, no host damage."""

from __future__ import annotations

import numpy as np

from ..kit import kinds, run, store

PARAMS = ".param .u64 out, .param .u64 x"
X = "ld.param.u64 %rd5, [x];\n"


def test_atomic_add_collisions_return_lane_order() -> None:
    # every thread adds 1 to x[0]: old values are 0..63 in thread order; x[0] ends at 64
    x = np.zeros(4, np.uint32)
    body = X + "    atom.global.add.u32 %r1, [%rd5], 1;\n" + store("%r1")
    out, r = run(body, n=64, args=[x], params=PARAMS)
    assert r.ok
    np.testing.assert_array_equal(out, np.arange(64))
    assert x[0] == 64


def test_atomic_inc_wraps_and_cas_first_wins() -> None:
    # inc with limit 5: old >= 5 -> 0, so thread t sees t % 6
    x = np.zeros(4, np.uint32)
    body = X + "    atom.global.inc.u32 %r1, [%rd5], 5;\n" + store("%r1")
    out, _ = run(body, args=[x], params=PARAMS)
    np.testing.assert_array_equal(out, np.arange(32) % 6)
    # cas(x[1], 0, tid + 1): thread 0 swaps (old 0), every later one sees 1
    x = np.zeros(4, np.uint32)
    body = (
        X
        + """
    add.u32 %r2, %r0, 1;
    atom.global.cas.b32 %r1, [%rd5+4], 0, %r2;
"""
        + store("%r1")
    )
    out, _ = run(body, args=[x], params=PARAMS)
    np.testing.assert_array_equal(out, np.r_[0, np.ones(31)])
    assert x[1] == 1


def test_shared_atomics_and_float_red() -> None:
    x = np.zeros(4, np.float32)
    body = (
        X
        + """
    mov.u32 %r3, buf;
    atom.shared.add.u32 %r1, [%r3], 2;
    red.global.add.f32 [%rd5], 0f3FC00000;
    bar.sync 0;
    ld.shared.u32 %r4, [%r3];
"""
        + store("%r1")
    )
    out, _r = run(body, n=64, args=[x], params=PARAMS, decls=".shared .align 4 .b8 buf[16];")
    np.testing.assert_array_equal(out, 2 * np.arange(64))  # 0, 2, 4 ... in thread order
    assert x[0] == 96.0  # 64 * 1.5


def test_vector_loads_and_stores() -> None:
    x = np.arange(128, dtype=np.uint32)
    body = (
        X
        + """
    mul.wide.u32 %rd6, %r0, 16;
    add.s64 %rd6, %rd5, %rd6;
    ld.global.v4.u32 {%r1, %r2, %r3, %r4}, [%rd6];
    add.u32 %r1, %r1, %r4;
    st.global.v2.u32 [%rd6], {%r4, %r1};
"""
        + store("%r1")
    )
    out, r = run(body, args=[x], params=PARAMS)
    assert r.ok
    np.testing.assert_array_equal(out, 8 * np.arange(32) + 3)  # x[4t] + x[4t + 3]
    np.testing.assert_array_equal(x.reshape(32, 4)[:, 0], 4 * np.arange(32) + 3)


def test_one_element_past_the_end_names_the_buffer_and_spares_memory() -> None:
    # thread t loads and stores x[t] of a 10-element view of a larger array
    backing = np.full(16, 0xDEAD, np.uint32)
    x = backing[:10]
    x[:] = np.arange(10)
    body = (
        X
        + """
    mul.wide.u32 %rd6, %r0, 4;
    add.s64 %rd6, %rd5, %rd6;
    ld.global.u32 %r1, [%rd6];
    add.u32 %r2, %r1, 100;
    st.global.u32 [%rd6], %r2;
"""
        + store("%r1")
    )
    out, r = run(body, n=11, args=[x], params=PARAMS)
    assert kinds(r) == ["global-out-of-bounds"] * 2
    f = r.findings[0]
    assert f.thread == (10, 0, 0) and f.detail is not None
    assert f.detail["distance"] == 0 and "argument 1 (x" in f.detail["buffer"]
    assert "past the end" in f.message
    np.testing.assert_array_equal(out[:10], np.arange(10))
    assert out[10] == 0  # the bad load read zero
    np.testing.assert_array_equal(backing[10:], 0xDEAD)  # the bad store was dropped
    np.testing.assert_array_equal(x, np.arange(10) + 100)


def test_misaligned_and_shared_out_of_bounds() -> None:
    x = np.zeros(8, np.uint32)
    body = (
        X
        + """
    ld.global.u32 %r1, [%rd5+2];
    mov.u32 %r3, buf;
    st.shared.u32 [%r3+16], %r0;
"""
    )
    _, r = run(body, n=1, args=[x], params=PARAMS, decls=".shared .align 4 .b8 buf[16];")
    assert kinds(r) == ["misaligned", "shared-out-of-bounds"]


def test_generic_addressing_of_shared_and_local() -> None:
    body = """
    .local .align 4 .b8 scratch[8];
    mov.u32 %r3, buf;
    cvt.u64.u32 %rd2, %r3;
    cvta.shared.u64 %rd3, %rd2;
    shl.b32 %r4, %r0, 2;
    cvt.u64.u32 %rd4, %r4;
    add.s64 %rd3, %rd3, %rd4;
    st.u32 [%rd3], %r0;
    mov.u64 %rd7, scratch;
    cvta.local.u64 %rd8, %rd7;
    add.u32 %r5, %r0, 7;
    st.u32 [%rd8+4], %r5;
    ld.local.u32 %r6, [scratch+4];
    bar.sync 0;
    ld.shared.u32 %r7, [%r3+4];
    add.u32 %r6, %r6, %r7;
""" + store("%r6")
    # local: tid + 7; shared buf[1] was written by thread 1 with 1
    out, r = run(body, n=32, decls=".shared .align 4 .b8 buf[128];")
    assert r.ok, r.findings
    np.testing.assert_array_equal(out, np.arange(32) + 7 + 1)


def test_packed_half_atomics_and_isspacep() -> None:
    # bf16x2 add of (1.0, 2.0) from 4 threads into (0.5, 0.25): (4.5, 8.25), exact in bf16
    x = np.array([0x3E803F00, 0], np.uint32)  # hi 0.25 (0x3E80), lo 0.5 (0x3F00)
    body = (
        X
        + """
    atom.global.add.noftz.bf16x2 %r1, [%rd5], 0x40003F80;
    isspacep.global %p1, %rd5;
    mov.u32 %r3, buf;
    cvt.u64.u32 %rd7, %r3;
    cvta.shared.u64 %rd7, %rd7;
    isspacep.shared %p2, %rd7;
    and.pred %p3, %p1, %p2;
    selp.u32 %r2, 1, 0, %p3;
"""
        + store("%r2")
    )
    out, r = run(body, n=4, args=[x], params=PARAMS, decls=".shared .align 4 .b8 buf[16];")
    assert r.ok, r.findings
    np.testing.assert_array_equal(out, 1)
    # 4.5 = 0x4090 (lo), 8.25 = 0x4104 (hi)
    assert x[0] == 0x41044090


def test_trap_and_local_out_of_bounds() -> None:
    body = """
    .local .align 4 .b8 scratch[8];
    st.local.u32 [scratch+8], %r0;
    trap;
"""
    _, r = run(body, n=2)
    assert kinds(r) == ["local-out-of-bounds", "trap"]


def test_shared_cluster_rank_bits() -> None:
    # bits 24.. of a shared address hold the target CTA's cluster rank + 1: rank 0 (1 << 24)
    # is the CTA itself in a cluster of one; rank 1 (2 << 24) does not exist
    body = """
    mov.u32 %r3, buf;
    st.shared.u32 [%r3], 41;
    or.b32 %r4, %r3, 0x1000000;
    ld.shared::cluster.u32 %r1, [%r4];
    or.b32 %r5, %r3, 0x2000000;
    ld.shared::cluster.u32 %r2, [%r5];
""" + store("%r1")
    out, r = run(body, n=1, decls=".shared .align 4 .b8 buf[16];")
    assert out[0] == 41
    assert kinds(r) == ["shared-out-of-bounds"]
