"""stmatrix through the machine: the 16-byte rows it writes land in shared memory whole.

Triton's sm_90 epilogues stage the output tile through shared memory with stmatrix; this
drives the store path (``access.store`` -> ``Region.write`` with 16-byte values) end to end.
"""

from __future__ import annotations

import numpy as np

from kernbench import emulator

# One warp. Thread t packs the b16 pair (2t, 2t + 1) into one register and gives row
# address t * 16 (threads 0-7 address the rows of an .x1 matrix; the others' addresses are
# ignored). The PTX ISA's fragment layout for stmatrix .m8n8.x1.b16: thread t holds row
# t / 4, columns 2 (t % 4) and 2 (t % 4) + 1, so element (r, c) of the 8x8 matrix comes from
# thread 4r + c / 2, and its value is 2 (4r + c / 2) + c % 2 = 8r + c: shared memory holds
# 0, 1, ..., 63 in row-major order (rows 16 bytes apart). Each thread then copies the 32-bit
# word at byte 4t to out[t], so out read as 64 uint16 is 0..63.
# With .trans each thread's pair lands in a column instead: element (r, c) comes from
# thread 4c + r / 2, half r % 2, value 8c + r: shared memory holds the transpose.
PTX = """
.version 8.0
.target sm_90
.address_size 64
.visible .entry st(.param .u64 out)
{
    .reg .b32 %r<8>;
    .reg .b64 %rd<4>;
    .shared .align 16 .b8 tile[128];
    mov.u32 %r1, %tid.x;
    shl.b32 %r2, %r1, 1;
    add.u32 %r3, %r2, 1;
    shl.b32 %r3, %r3, 16;
    or.b32 %r4, %r2, %r3;
    mov.u32 %r5, tile;
    shl.b32 %r6, %r1, 4;
    add.u32 %r6, %r5, %r6;
    stmatrix.sync.aligned.m8n8.x1{TRANS}.shared.b16 [%r6], {%r4};
    bar.sync 0;
    shl.b32 %r6, %r1, 2;
    add.u32 %r6, %r5, %r6;
    ld.shared.u32 %r7, [%r6];
    ld.param.u64 %rd1, [out];
    mul.wide.u32 %rd2, %r1, 4;
    add.s64 %rd3, %rd1, %rd2;
    st.global.u32 [%rd3], %r7;
    ret;
}
"""


def _run(trans: str) -> np.ndarray:
    out = np.zeros(32, np.uint32)
    result = emulator.launch(PTX.replace("{TRANS}", trans), "st", 1, 32, [out], arch="sm_90a")
    assert result.ok, result.findings
    return out.view(np.uint16).reshape(8, 8)


def test_stmatrix_x1_writes_whole_rows() -> None:
    np.testing.assert_array_equal(_run(""), np.arange(64).reshape(8, 8))


def test_stmatrix_x1_trans_writes_the_transpose() -> None:
    np.testing.assert_array_equal(_run(".trans"), np.arange(64).reshape(8, 8).T)
