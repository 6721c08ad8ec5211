"""The sanitizer tracks cells, not bytes: the verdicts must be the per-byte ones.

Every kernel here first makes 16-byte accesses (the sanitizer's widest cell) and then
narrower ones inside the same 16 bytes, so each verdict depends on a cell being split with
its history intact: threads writing different bytes of one 16-byte vector never race, a
byte read races with the thread that wrote that byte (not a neighbour), and a pending
``cp.async`` stays pending in every byte it covers.
"""

from __future__ import annotations

import numpy as np

from .kit import kinds, run, store

SMEM = ".shared .align 16 .b8 buf[64];"

VECTOR_THEN_BYTES = """
    mov.u32 %r2, buf;
    setp.eq.u32 %p1, %r0, 0;
    mov.u32 %r9, 0x04030201;
    @%p1 st.shared.v4.u32 [%r2], {{%r9, %r9, %r9, %r9}};
    bar.sync 0;
    add.u32 %r3, %r2, %r0;
    add.u32 %r4, %r0, 100;
    st.shared.u8 [%r3], %r4;
    {between}
    {read}
"""
"""Thread 0 writes bytes 0..15 as one vector; after a barrier, thread t (of 16) writes byte
t. ``read`` then reads shared memory into ``%r7``, after ``between``."""

OWN_BYTE = "ld.shared.u8 %r7, [%r3];"
NEIGHBOUR_BYTE = """
    xor.b32 %r5, %r0, 1;
    add.u32 %r5, %r2, %r5;
    ld.shared.u8 %r7, [%r5];
"""
WORD = """
    and.b32 %r5, %r0, 12;
    add.u32 %r5, %r2, %r5;
    ld.shared.u32 %r7, [%r5];
"""


def test_bytes_of_one_vector_written_by_different_threads_do_not_race() -> None:
    body = VECTOR_THEN_BYTES.format(between="", read=OWN_BYTE) + store("%r7")
    out, r = run(body, n=16, decls=SMEM)
    assert r.ok, r.findings
    np.testing.assert_array_equal(out, np.arange(16) + 100)


def test_a_word_gathers_four_threads_bytes_after_a_barrier() -> None:
    body = VECTOR_THEN_BYTES.format(between="bar.sync 0;", read=WORD) + store("%r7")
    out, r = run(body, n=16, decls=SMEM)
    assert r.ok, r.findings
    t = np.arange(16)
    base = (t & 12) + 100  # the word at byte 4 * (t // 4) holds bytes base .. base + 3
    expected = base | (base + 1) << 8 | (base + 2) << 16 | (base + 3) << 24
    np.testing.assert_array_equal(out, expected)


def test_a_neighbours_byte_without_a_barrier_races_with_that_neighbour() -> None:
    body = VECTOR_THEN_BYTES.format(between="", read=NEIGHBOUR_BYTE) + store("%r7")
    _, r = run(body, n=16, decls=SMEM)
    assert kinds(r) == ["shared-race"]
    f = r.findings[0]
    assert "ld.shared.u8" in f.instruction
    # thread 0 reads byte 1, written by thread 1 (not by thread 0's earlier vector)
    assert f.thread == (0, 0, 0) and f.detail is not None
    assert f.detail["shared_offset"] == 1
    assert f.detail["other_thread"] == 1


def test_a_byte_of_a_vector_read_without_a_barrier_races_with_its_writer() -> None:
    # thread 0 writes 16 bytes; thread 5 reads byte 5 in the same epoch: the byte's record
    # (writer thread 0) must survive the cell being split
    body = """
    mov.u32 %r2, buf;
    setp.eq.u32 %p1, %r0, 0;
    mov.u32 %r9, 7;
    @%p1 st.shared.v4.u32 [%r2], {%r9, %r9, %r9, %r9};
    setp.eq.u32 %p2, %r0, 5;
    add.u32 %r3, %r2, %r0;
    @%p2 ld.shared.u8 %r7, [%r3];
""" + store("%r7")
    _, r = run(body, n=32, decls=SMEM)
    assert kinds(r) == ["shared-race"]
    f = r.findings[0]
    assert f.thread == (5, 0, 0) and f.detail is not None
    assert f.detail["shared_offset"] == 5 and f.detail["other_thread"] == 0


CP_ASYNC_THEN_BYTE = """
    ld.param.u64 %rd2, [src];
    mov.u32 %r2, buf;
    setp.eq.u32 %p1, %r0, 0;
    @%p1 cp.async.cg.shared.global [%r2], [%rd2], 16;
    cp.async.commit_group;
    {wait}
    add.u32 %r3, %r2, 11;
    ld.shared.u8 %r7, [%r3];
"""


def test_a_byte_of_a_pending_cp_async_is_pending() -> None:
    src = np.arange(16, dtype=np.uint8)
    body = CP_ASYNC_THEN_BYTE.format(wait="") + store("%r7")
    _, r = run(body, n=1, args=[src], params=".param .u64 out, .param .u64 src", decls=SMEM)
    assert "async-copy-read-before-wait" in kinds(r)


def test_a_byte_of_a_landed_cp_async_reads_what_it_copied() -> None:
    src = np.arange(16, dtype=np.uint8) + 40
    body = CP_ASYNC_THEN_BYTE.format(wait="cp.async.wait_all;") + store("%r7")
    out, r = run(body, n=1, args=[src], params=".param .u64 out, .param .u64 src", decls=SMEM)
    assert r.ok, r.findings
    assert out[0] == 51
