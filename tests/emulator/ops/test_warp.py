"""Warp collectives against the PTX ISA's definitions, worked by hand per lane."""

from __future__ import annotations

import numpy as np
import pytest

from ..kit import kinds, run, store

LANE = np.arange(32)

SHFL = """
    mul.lo.u32 %r1, %r0, 10;
    shfl.sync.{mode}.b32 %r2|%p1, %r1, {b}, {c}, -1;
    selp.u32 %r3, 1, 0, %p1;
    shl.b32 %r2, %r2, 1;
    or.b32 %r2, %r2, %r3;
"""


def shfl(mode: str, b: int, c: int) -> np.ndarray:
    out, r = run(SHFL.format(mode=mode, b=b, c=c) + store("%r2"))
    assert r.ok, r.findings
    return out


@pytest.mark.parametrize(
    ("mode", "b", "c", "src", "valid"),
    [
        # down 3, clamp 31: j = lane + 3 valid while j <= 31; else own value, p false
        ("down", 3, 0x1F, np.minimum(LANE + 3, 31), LANE + 3 <= 31),
        # up 2, c = 0: maxLane 0, j = lane - 2 valid while j >= 0
        ("up", 2, 0, np.where(LANE >= 2, LANE - 2, LANE), LANE >= 2),
        # bfly 5: j = lane ^ 5, always <= 31
        ("bfly", 5, 0x1F, LANE ^ 5, np.ones(32, bool)),
        # idx 7 with width 8 (c = (32 - 8) << 8 | 0x1f): segmask 0x18 -> j = (lane & 24) | 7
        ("idx", 7, 0x181F, (LANE & 24) | 7, np.ones(32, bool)),
        # down 3 with width 8: maxLane = (lane & 24) | 7; out of segment -> own lane
        ("down", 3, 0x181F, np.where((LANE & 7) + 3 <= 7, LANE + 3, LANE), (LANE & 7) + 3 <= 7),
        # idx 40: b & 31 = 8 in a full warp
        ("idx", 40, 0x1F, np.full(32, 8), np.ones(32, bool)),
    ],
)
def test_shfl_modes(mode: str, b: int, c: int, src: np.ndarray, valid: np.ndarray) -> None:
    out = shfl(mode, b, c)
    np.testing.assert_array_equal(out >> 1, 10 * np.where(valid, src, LANE))
    np.testing.assert_array_equal(out & 1, valid.astype(np.uint32))


PARTIAL = """
    mul.lo.u32 %r1, %r0, 10;
    setp.lt.u32 %p2, %r0, 16;
    @!%p2 bra SKIP;
    shfl.sync.idx.b32 %r2, %r1, {src}, 0x1f, {mask};
SKIP:
"""


def test_shfl_partial_mask_of_arrived_lanes_is_fine() -> None:
    # lanes 0..15 shuffle among themselves with mask 0xffff: lane reads lane 3
    out, r = run(PARTIAL.format(src=3, mask="0xffff") + store("%r2"))
    assert r.ok, r.findings
    np.testing.assert_array_equal(out[:16], 30)


def test_shfl_mask_naming_diverged_lanes_is_a_finding() -> None:
    _, r = run(PARTIAL.format(src=3, mask="-1") + store("%r2"))
    assert kinds(r) == ["warp-sync-mask"]
    assert "do not arrive" in r.findings[0].message


def test_shfl_mask_without_own_lane_is_a_finding() -> None:
    _, r = run(PARTIAL.format(src=3, mask="0xff") + store("%r2"))
    assert kinds(r) == ["warp-sync-mask"]


def test_shfl_mask_naming_exited_lanes() -> None:
    body = """
    setp.ge.u32 %p2, %r0, 16;
    @%p2 exit;
    shfl.sync.bfly.b32 %r2, %r0, 1, 0x1f, -1;
""" + store("%r2")
    _, r = run(body)
    assert kinds(r) == ["warp-sync-mask"]
    assert "exited" in r.findings[0].message


VOTE = """
    and.b32 %r1, %r0, 1;
    setp.eq.u32 %p1, %r1, 0;
    vote.sync.ballot.b32 %r2, %p1, -1;
    vote.sync.any.pred %p2, %p1, -1;
    vote.sync.all.pred %p3, %p1, -1;
    vote.sync.uni.pred %p4, %p1, -1;
    setp.lt.u32 %p5, %r0, 64;
    vote.sync.all.pred %p6, %p5, -1;
    selp.u32 %r3, 1, 0, %p2;
    selp.u32 %r4, 2, 0, %p3;
    selp.u32 %r5, 4, 0, %p4;
    selp.u32 %r6, 8, 0, %p6;
    or.b32 %r3, %r3, %r4;
    or.b32 %r3, %r3, %r5;
    or.b32 %r3, %r3, %r6;
"""


def test_vote() -> None:
    out, r = run(VOTE + store("%r2"))
    assert r.ok
    np.testing.assert_array_equal(out, 0x55555555)  # even lanes
    out, r = run(VOTE + store("%r3"))
    # any true (1), all false, uni false, all(tid < 64) true (8)
    np.testing.assert_array_equal(out, 1 | 8)


def test_match_any_and_all() -> None:
    body = """
    shr.u32 %r1, %r0, 2;
    match.any.sync.b32 %r2, %r1, -1;
    match.all.sync.b32 %r3|%p1, %r1, -1;
    selp.u32 %r4, 1, 0, %p1;
    add.u32 %r3, %r3, %r4;
    xor.b32 %r2, %r2, %r3;
"""
    out, r = run(body + store("%r2"))
    assert r.ok, r.findings
    # any: the 4 lanes sharing tid >> 2; all: values differ -> 0 and p false
    np.testing.assert_array_equal(out, (0xF << (4 * (LANE // 4))).astype(np.uint32))


def test_redux() -> None:
    body = """
    redux.sync.add.u32 %r1, %r0, -1;
    sub.u32 %r2, %r0, 5;
    redux.sync.min.s32 %r3, %r2, -1;
    redux.sync.max.u32 %r4, %r0, 0xffff;
    redux.sync.or.b32 %r5, %r0, -1;
"""
    out, _ = run(body + store("%r1"))
    np.testing.assert_array_equal(out, 496)
    out, _ = run(body + store("%r3"))
    np.testing.assert_array_equal(out, np.uint32(-5 & 0xFFFFFFFF))
    out, r = run(body + store("%r5"))
    np.testing.assert_array_equal(out, 31)
    assert kinds(r) == ["warp-sync-mask"]  # 0xffff without the upper lanes' own bit


def test_activemask_in_divergent_code() -> None:
    body = """
    setp.lt.u32 %p1, %r0, 5;
    mov.u32 %r1, 0;
    @!%p1 bra SKIP;
    activemask.b32 %r1;
SKIP:
"""
    out, _ = run(body + store("%r1"))
    np.testing.assert_array_equal(out, np.where(LANE < 5, 0x1F, 0))


def test_elect_sync_picks_the_lowest_member() -> None:
    # mask 0xF0F0: lanes 4..7 and 12..15 take part; lane 4 is elected
    body = """
    mov.u32 %r1, 0;
    mov.u32 %r2, 0;
    and.b32 %r3, %r0, 0xF0F0;
    shr.u32 %r4, 0xF0F0, %r0;
    and.b32 %r4, %r4, 1;
    setp.eq.u32 %p3, %r4, 0;
    @%p3 bra SKIP;
    elect.sync %r1|%p1, 0xF0F0;
    selp.u32 %r2, 100, 0, %p1;
SKIP:
    add.u32 %r1, %r1, %r2;
"""
    out, r = run(body + store("%r1"))
    assert r.ok, r.findings
    member = ((0xF0F0 >> LANE) & 1).astype(bool)
    np.testing.assert_array_equal(out, np.where(member, 4 + 100 * (LANE == 4), 0))
