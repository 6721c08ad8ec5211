"""cp.async: data lands in shared memory at the wait that covers its group, not before."""

from __future__ import annotations

import numpy as np

from ..kit import kinds, run, store

PARAMS = ".param .u64 out, .param .u64 x"
SMEM = ".shared .align 16 .b8 buf[1024];"

COPY = """
    ld.param.u64 %rd5, [x];
    mul.wide.u32 %rd6, %r0, 16;
    add.s64 %rd6, %rd5, %rd6;
    mov.u32 %r3, buf;
    shl.b32 %r4, %r0, 4;
    add.u32 %r4, %r3, %r4;
    cp.async.cg.shared.global [%r4], [%rd6], 16{extra};
    cp.async.commit_group;
    {between}
    ld.shared.u32 %r1, [%r4+4];
"""


def test_data_visible_after_wait() -> None:
    x = np.arange(128, dtype=np.uint32)
    out, r = run(
        COPY.format(extra="", between="cp.async.wait_group 0;") + store("%r1"),
        args=[x],
        params=PARAMS,
        decls=SMEM,
    )
    assert r.ok, r.findings
    np.testing.assert_array_equal(out, 4 * np.arange(32) + 1)


def test_read_before_wait_is_a_finding() -> None:
    x = np.arange(128, dtype=np.uint32)
    _, r = run(
        COPY.format(extra="", between="") + store("%r1"), args=[x], params=PARAMS, decls=SMEM
    )
    assert kinds(r) == ["async-copy-read-before-wait"]


def test_wait_group_one_leaves_the_newest_group_pending() -> None:
    # two groups: wait_group 1 lands the first only; reading the second is early
    x = np.arange(128, dtype=np.uint32)
    body = (
        COPY.format(
            extra="",
            between="""
    add.u32 %r5, %r4, 512;
    cp.async.ca.shared.global [%r5], [%rd6], 16;
    cp.async.commit_group;
    cp.async.wait_group 1;""",
        )
        + store("%r1")
        + """
    ld.shared.u32 %r6, [%r5];
"""
    )
    out, r = run(body, args=[x], params=PARAMS, decls=SMEM)
    np.testing.assert_array_equal(out, 4 * np.arange(32) + 1)
    assert kinds(r) == ["async-copy-read-before-wait"]
    assert r.findings[0].line > 0 and "ld.shared.u32 %r6" in r.findings[0].instruction


def test_src_size_zero_fills_and_skips_the_source() -> None:
    # src-size 4: bytes 4..15 are zero; src-size 0 never touches the (bad) source
    x = np.arange(128, dtype=np.uint32)
    out, r = run(
        COPY.format(extra=", 4", between="cp.async.wait_all;") + store("%r1"),
        args=[x],
        params=PARAMS,
        decls=SMEM,
    )
    assert r.ok, r.findings
    np.testing.assert_array_equal(out, 0)
    body = COPY.format(extra=", 0", between="cp.async.wait_all;").replace(
        "add.s64 %rd6, %rd5, %rd6;", "mov.u64 %rd6, 16;"
    ) + store("%r1")
    out, r = run(body, args=[x], params=PARAMS, decls=SMEM)
    assert r.ok, r.findings
    np.testing.assert_array_equal(out, 0)


def test_ignore_src_predicate() -> None:
    x = np.arange(128, dtype=np.uint32) + 1
    body = COPY.format(extra=", %p3", between="cp.async.wait_all;").replace(
        "cp.async.cg", "setp.ge.u32 %p3, %r0, 16;\n    cp.async.cg"
    ) + store("%r1")
    out, r = run(body, args=[x], params=PARAMS, decls=SMEM)
    assert r.ok, r.findings
    np.testing.assert_array_equal(out, np.where(np.arange(32) < 16, 4 * np.arange(32) + 2, 0))
