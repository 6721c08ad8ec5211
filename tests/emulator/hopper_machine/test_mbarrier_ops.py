"""mbarrier and cluster instructions one at a time, in hand-written PTX on sm_90a.

Expected values follow the PTX ISA: a phase completes when its pending arrivals reach zero
and its tx-count is zero; ``test_wait``/``try_wait`` by state compare the phase the state
came from with the current one, by parity with the current phase's parity; ``elect.sync``
picks the lowest active lane of the mask; ``mapa`` puts the target rank + 1 in bits 24...
"""

from __future__ import annotations

from typing import Any

import numpy as np

from kernbench.emulator import LaunchResult

from ..kit import kinds, run, store

BAR = ".shared .align 8 .b64 bar; .shared .align 8 .b64 bar2;"


def go(body: str, n: int = 32, **kw: Any) -> tuple[np.ndarray, LaunchResult]:
    return run(body, n=n, decls=BAR, arch="sm_90a", **kw)


def peer_write(write: str) -> tuple[np.ndarray, LaunchResult]:
    """Two blocks in a cluster run ``write`` (PTX leaving its block's ``bar`` address in
    ``%r2``), then the cluster barrier; every thread then stores its block's ``bar`` word."""
    return run(
        write
        + """\
    barrier.cluster.arrive.aligned;
    barrier.cluster.wait.aligned;
    ld.shared.u32 %r5, [%r2];
"""
        + store("%r5"),
        n=32,
        grid=2,
        decls=BAR,
        arch="sm_90a",
        cluster=(2, 1, 1),
        check=False,
    )


def test_arrivals_with_counts_and_transactions_complete_a_phase() -> None:
    # 1 thread inits for 3 arrivals; it arrives with count 2 and expects 64 bytes, then
    # completes 48 + 16 bytes and arrives once more: only then is phase 0 over (state 0)
    out, r = go(
        """
    mov.u32 %r1, bar;
    setp.eq.u32 %p1, %r0, 0;
    @!%p1 bra DONE;
    mbarrier.init.shared::cta.b64 [%r1], 3;
    mbarrier.arrive.shared::cta.b64 %rd2, [%r1], 2;
    mbarrier.expect_tx.shared::cta.b64 [%r1], 64;
    mbarrier.test_wait.shared::cta.b64 %p2, [%r1], %rd2;
    mbarrier.complete_tx.shared::cta.b64 [%r1], 48;
    mbarrier.arrive.shared::cta.b64 %rd3, [%r1];
    mbarrier.test_wait.shared::cta.b64 %p3, [%r1], %rd2;
    mbarrier.complete_tx.shared::cta.b64 [%r1], 16;
    mbarrier.test_wait.shared::cta.b64 %p4, [%r1], %rd2;
    mbarrier.test_wait.parity.shared::cta.b64 %p5, [%r1], 0;
    mbarrier.test_wait.parity.shared::cta.b64 %p6, [%r1], 1;
    selp.u32 %r2, 1, 0, %p2;
    selp.u32 %r3, 2, 0, %p3;
    selp.u32 %r4, 4, 0, %p4;
    selp.u32 %r5, 8, 0, %p5;
    selp.u32 %r6, 16, 0, %p6;
    add.u32 %r2, %r2, %r3;
    add.u32 %r2, %r2, %r4;
    add.u32 %r2, %r2, %r5;
    add.u32 %r2, %r2, %r6;
    cvt.u32.u64 %r7, %rd3;
    shl.b32 %r7, %r7, 8;
    add.u32 %r2, %r2, %r7;
"""
        + store("%r2")
        + "DONE:",
        n=32,
    )
    assert r.ok, r
    # p2, p3 false (pending, then tx left); p4 true; parity 0 (completed) true, 1 false;
    # the third arrival's state is phase 0
    assert out[0] == 4 + 8


def test_every_thread_of_a_block_arriving_completes_the_phase_and_releases_try_wait() -> None:
    out, r = go(
        """
    mov.u32 %r1, bar;
    mov.u32 %r9, %ntid.x;
    setp.eq.u32 %p1, %r0, 0;
    @%p1 mbarrier.init.shared::cta.b64 [%r1], %r9;
    bar.sync 0;
    setp.lt.u32 %p2, %r0, 40;
    @%p2 bra WAIT;
    mbarrier.arrive.shared::cta.b64 %rd1, [%r1];
    bra WAIT2;
WAIT:
    mbarrier.arrive.shared::cta.b64 %rd1, [%r1];
WAIT2:
    mbarrier.try_wait.shared::cta.b64 %p3, [%r1], %rd1;
    @!%p3 bra WAIT2;
    selp.u32 %r2, 7, 0, %p3;
"""
        + store("%r2"),
        n=64,
    )
    assert r.ok, r
    np.testing.assert_array_equal(out, 7)


def test_a_missing_arrival_is_a_deadlock_naming_the_barrier() -> None:
    _, r = go("""
    mov.u32 %r1, bar2;
    setp.eq.u32 %p1, %r0, 0;
    @%p1 mbarrier.init.shared::cta.b64 [%r1], 33;
    bar.sync 0;
    mbarrier.arrive.shared::cta.b64 %rd1, [%r1];
LOOP:
    mbarrier.try_wait.parity.shared::cta.b64 %p3, [%r1], 0;
    @!%p3 bra LOOP;
""")
    assert kinds(r) == ["mbarrier-deadlock"]
    [f] = r.findings
    assert f.detail is not None and f.detail["barrier"] == 8 and f.detail["pending"] == 1
    assert f.detail["warps"] == [0] and f.count == 32
    assert "mbarrier at shared offset 8" in f.message and "1 of 33 arrival(s) pending" in f.message


def test_an_arrive_on_an_uninitialised_mbarrier_is_misuse() -> None:
    _, r = go("""
    mov.u32 %r1, bar;
    mbarrier.arrive.shared::cta.b64 %rd1, [%r1];
""")
    assert "mbarrier-misuse" in kinds(r)


def test_elect_sync_picks_the_lowest_lane_of_the_mask() -> None:
    # mask 0xF0F0F0F0: lane 4 leads; every lane gets the leader's id, only lane 4 true
    out, r = go(
        """
    elect.sync %r1|%p1, 0xF0F0F0F0;
    selp.u32 %r2, 1000, 0, %p1;
    add.u32 %r2, %r2, %r1;
"""
        + store("%r2")
    )
    assert r.ok, r
    want = np.full(32, 4)
    want[4] += 1000
    np.testing.assert_array_equal(out, want)


def test_mapa_and_cluster_registers() -> None:
    # 4 CTAs in clusters of 2: rank = ctaid % 2; mapa of offset 0x40 to rank 1 is
    # 0x40 | (2 << 24); getctarank of it is 1
    out, r = run(
        """
    mov.u32 %r1, %cluster_ctarank;
    mov.u32 %r2, 0x40;
    mapa.shared::cluster.u32 %r3, %r2, 1;
    getctarank.shared::cluster.u32 %r4, %r3;
    mov.u32 %r5, %cluster_nctarank;
    mov.u32 %r6, %clusterid.x;
    shl.b32 %r4, %r4, 4;
    shl.b32 %r5, %r5, 8;
    shl.b32 %r6, %r6, 12;
    add.u32 %r7, %r1, %r4;
    add.u32 %r7, %r7, %r5;
    add.u32 %r7, %r7, %r6;
"""
        + store("%r7"),
        n=32,
        grid=4,
        arch="sm_90a",
        cluster=(2, 1, 1),
    )
    assert r.ok, r
    for block in range(4):
        rank, cid = block % 2, block // 2
        assert out[block * 32] == rank + (1 << 4) + (2 << 8) + (cid << 12)


def test_setmaxnreg_must_be_executed_by_a_whole_warpgroup() -> None:
    _, r = go(
        """
    setp.lt.u32 %p1, %r0, 64;
    @%p1 setmaxnreg.inc.sync.aligned.u32 232;
""",
        n=128,
    )
    assert "warp-sync-mask" in kinds(r)
    _, r = go("setmaxnreg.dec.sync.aligned.u32 40;", n=128)
    assert r.ok, r


def test_a_cluster_barrier_waits_for_every_block_of_the_cluster() -> None:
    # block 1 of each pair stores 1 into its peer's shared word before the barrier; block 0
    # reads it after: the barrier orders the remote store before the read
    out, r = peer_write(
        """
    mov.u32 %r1, %cluster_ctarank;
    mov.u32 %r2, bar;
    setp.eq.u32 %p1, %r1, 1;
    setp.eq.u32 %p2, %r0, 0;
    and.pred %p3, %p1, %p2;
    mapa.shared::cluster.u32 %r3, %r2, 0;
    mov.u32 %r4, 5;
    @%p3 st.shared::cluster.u32 [%r3], %r4;
"""
    )
    assert r.ok, r
    assert out[0] == 5 and out[32] == 0


def test_a_test_wait_spin_on_a_phase_that_never_completes_is_a_deadlock_not_a_hang() -> None:
    _, r = go(
        """
    mov.u32 %r1, bar;
    setp.eq.u32 %p1, %r0, 0;
    @%p1 mbarrier.init.shared::cta.b64 [%r1], 64;
    bar.sync 0;
    mbarrier.arrive.shared::cta.b64 %rd1, [%r1];
SPIN:
    mbarrier.test_wait.shared::cta.b64 %p3, [%r1], %rd1;
    @!%p3 bra SPIN;
""",
        max_instructions=100_000,
    )
    assert kinds(r) == ["mbarrier-deadlock"]
    assert "32 of 64 arrival(s) pending" in r.findings[0].message


def test_pending_count_and_arrive_no_complete() -> None:
    # init 5; noComplete arrival of 3 leaves 2 pending; a plain arrival leaves 1; then a
    # noComplete arrival of 1 would complete the phase: misuse (undefined in the ISA)
    out, r = go(
        """
    mov.u32 %r1, bar;
    setp.eq.u32 %p1, %r0, 0;
    @!%p1 bra DONE;
    mbarrier.init.shared::cta.b64 [%r1], 5;
    mbarrier.arrive.noComplete.shared::cta.b64 %rd1, [%r1], 3;
    mbarrier.pending_count.b64 %r2, %rd1;
    mbarrier.arrive.shared::cta.b64 %rd2, [%r1];
    mbarrier.pending_count.b64 %r3, %rd2;
    shl.b32 %r3, %r3, 4;
    add.u32 %r2, %r2, %r3;
"""
        + store("%r2")
        + """
    mbarrier.arrive.noComplete.shared::cta.b64 %rd3, [%r1], 1;
DONE:"""
    )
    assert out[0] == 2 + (1 << 4)
    assert kinds(r) == ["mbarrier-misuse"] and "noComplete" in r.findings[0].message


def test_st_async_and_red_async_complete_bytes_on_the_peer_barrier() -> None:
    # clusters of 2: thread 0 of each block expects 12 bytes on its own barrier, then
    # st.async's two words (rank + 10, rank + 20) and red.async-adds 5 into the peer's
    # buffer (word 2 starts at 100); each block reads what its peer sent once its phase ends
    out, r = run(
        """
    mov.u32 %r1, bar;
    mov.u32 %r2, buf;
    mov.u32 %r3, %cluster_ctarank;
    xor.b32 %r4, %r3, 1;
    setp.eq.u32 %p1, %r0, 0;
    @!%p1 bra WAIT;
    mbarrier.init.shared::cta.b64 [%r1], 1;
    mov.u32 %r5, 100;
    st.shared.u32 [%r2+8], %r5;
    mbarrier.arrive.expect_tx.shared::cta.b64 %rd1, [%r1], 12;
WAIT:
    barrier.cluster.arrive.aligned;
    barrier.cluster.wait.aligned;
    @!%p1 bra READ;
    mapa.shared::cluster.u32 %r6, %r2, %r4;
    mapa.shared::cluster.u32 %r7, %r1, %r4;
    add.u32 %r8, %r3, 10;
    add.u32 %r9, %r3, 20;
    st.async.shared::cluster.mbarrier::complete_tx::bytes.v2.u32 [%r6], {%r8, %r9}, [%r7];
    add.u32 %r6, %r6, 8;
    red.async.relaxed.cluster.shared::cluster.mbarrier::complete_tx::bytes.add.u32 [%r6], 5, [%r7];
READ:
    mbarrier.try_wait.parity.shared::cta.b64 %p2, [%r1], 0;
    @!%p2 bra READ;
    ld.shared.u32 %r10, [%r2];
    ld.shared.u32 %r11, [%r2+4];
    ld.shared.u32 %r12, [%r2+8];
    shl.b32 %r11, %r11, 8;
    shl.b32 %r12, %r12, 16;
    add.u32 %r10, %r10, %r11;
    add.u32 %r10, %r10, %r12;
    barrier.cluster.arrive.aligned;
    barrier.cluster.wait.aligned;
"""
        + store("%r10"),
        n=32,
        grid=2,
        decls=BAR + ".shared .align 16 .b8 buf[16];",
        arch="sm_90a",
        cluster=(2, 1, 1),
    )
    assert r.ok, r
    for block in range(2):
        peer = block ^ 1
        assert out[block * 32] == (peer + 10) + ((peer + 20) << 8) + (105 << 16)


PARAM_MAP = r"""
.version 8.0
.target sm_90a
.address_size 64
.visible .entry k(.param .align 64 .b8 map[128], .param .u64 out)
{
  .reg .b32 %r<8>; .reg .b64 %rd<8>; .reg .pred %p<3>;
  .shared .align 1024 .b8 tile[256];
  .shared .align 8 .b64 bar;
  mov.u32 %r1, tile;
  mov.u32 %r2, bar;
  mbarrier.init.shared::cta.b64 [%r2], 1;
  mbarrier.arrive.expect_tx.shared::cta.b64 %rd1, [%r2], 256;
  mov.u32 %r3, 0;
  cp.async.bulk.tensor.2d.shared::cluster.global.tile.mbarrier::complete_tx::bytes [%r1], [map, {%r3, %r3}], [%r2];
W:
  mbarrier.try_wait.parity.shared::cta.b64 %p1, [%r2], 0;
  @!%p1 bra W;
  ld.shared.u32 %r4, [%r1+4];
  ld.param.u64 %rd2, [out];
  st.global.u32 [%rd2], %r4;
  ret;
}
"""


def test_a_tensor_map_named_by_its_param_symbol() -> None:
    from kernbench.emulator import encode_tiled, launch

    t = (np.arange(8 * 16, dtype=np.uint16) + 1).reshape(8, 16)
    tmap = encode_tiled(1, 2, t.ctypes.data, (16, 8), (32,), (16, 8), (1, 1))  # UINT16
    out = np.zeros(1, np.uint32)
    r = launch(PARAM_MAP, "k", 1, 1, [tmap, out], arch="sm_90a")
    assert r.ok, r
    assert out[0] == 3 | (4 << 16)  # elements 2 and 3 of row 0


def test_generic_addresses_of_a_peers_shared_memory() -> None:
    # block 1 of the pair writes 9 through a generic pointer to block 0's buffer (cvta of a
    # shared::cluster address from mapa); block 0 reads it after the cluster barrier
    out, r = peer_write(
        """
    mov.u32 %r1, %cluster_ctarank;
    mov.u32 %r2, bar;
    mapa.shared::cluster.u32 %r3, %r2, 0;
    cvt.u64.u32 %rd1, %r3;
    cvta.shared::cluster.u64 %rd2, %rd1;
    setp.eq.u32 %p1, %r1, 1;
    setp.eq.u32 %p2, %r0, 0;
    and.pred %p3, %p1, %p2;
    mov.u32 %r4, 9;
    @%p3 st.u32 [%rd2], %r4;
"""
    )
    assert r.ok, r
    assert out[0] == 9 and out[32] == 0
