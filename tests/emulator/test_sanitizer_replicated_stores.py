"""Replicated stores: lanes of one instruction that write the same bytes with the same values.

Triton stores a tensor whose layout replicates it across warps (a row reduced in every warp,
say) to shared memory from every thread holding a copy, unpredicated: the warps write the
same bytes with the same values, whatever their order, so the result is determined and
there is no race. Different values are a race.
"""

from __future__ import annotations

import numpy as np

from kernbench import emulator

# Two warps. Every thread stores VALUE to the word at byte 0 and to the word at byte 4 (one
# st.shared.v2), then after bar.sync thread t copies word t % 2 to out[t].
# VALUE = 7: all 64 threads write 7 to bytes 0..7; out is all 7, no finding.
# VALUE = %r1 (the thread index): warps 0 and 1 write different values to the same bytes
# in one instruction: a shared-race finding on the store.
PTX = """
.version 8.0
.target sm_80
.address_size 64
.visible .entry rep(.param .u64 out)
{
    .reg .b32 %r<6>;
    .reg .b64 %rd<4>;
    .shared .align 8 .b32 cell[2];
    mov.u32 %r1, %tid.x;
    mov.u32 %r2, VALUE;
    st.shared.v2.u32 [cell], {%r2, %r2};
    bar.sync 0;
    and.b32 %r3, %r1, 1;
    shl.b32 %r3, %r3, 2;
    mov.u32 %r4, cell;
    add.u32 %r4, %r4, %r3;
    ld.shared.u32 %r5, [%r4];
    ld.param.u64 %rd1, [out];
    mul.wide.u32 %rd2, %r1, 4;
    add.s64 %rd3, %rd1, %rd2;
    st.global.u32 [%rd3], %r5;
    ret;
}
"""


def test_every_warp_writing_the_same_values_is_no_race() -> None:
    out = np.zeros(64, np.uint32)
    result = emulator.launch(PTX.replace("VALUE", "7"), "rep", 1, 64, [out])
    assert result.ok, result.findings
    assert (out == 7).all()


def test_warps_writing_different_values_race() -> None:
    out = np.zeros(64, np.uint32)
    result = emulator.launch(PTX.replace("VALUE", "%r1"), "rep", 1, 64, [out])
    assert {f.kind for f in result.findings} == {"shared-race"}
    assert all(f.line == 12 for f in result.findings)  # the st.shared.v2 (PTX line 12)
