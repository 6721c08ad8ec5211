"""Kernel parameters sit where the CUDA driver puts them: each at its own type's alignment.

In ``.param .u64 .ptr .global .align 1 p`` (LLVM's and so Triton's spelling) the ``.align``
is the alignment of the memory ``p`` points to (PTX ISA, kernel parameter attributes), not
of the parameter: a .u64 after one .u32 is at byte 8, not byte 4. Triton puts its global
scratch pointer after the kernel's scalars, so a wrong offset loads half of two parameters.
"""

from __future__ import annotations

import numpy as np

from kernbench import emulator

# out[0] = n; scratch[0] = n + 1. Parameters: out at 0, n (.u32) at 8, scratch at 16.
PTX = """
.version 8.0
.target sm_80
.address_size 64
.visible .entry k(
    .param .u64 .ptr .global .align 1 k_param_0,
    .param .u32 k_param_1,
    .param .u64 .ptr .global .align 1 k_param_2
)
{
    .reg .b32 %r<3>;
    .reg .b64 %rd<3>;
    ld.param.u64 %rd1, [k_param_0];
    ld.param.u32 %r1, [k_param_1];
    ld.param.u64 %rd2, [k_param_2];
    st.global.u32 [%rd1], %r1;
    add.u32 %r2, %r1, 1;
    st.global.u32 [%rd2], %r2;
    ret;
}
"""


def test_a_pointer_after_a_u32_is_8_byte_aligned() -> None:
    out, scratch = np.zeros(1, np.uint32), np.zeros(1, np.uint32)
    result = emulator.launch(PTX, "k", 1, 1, [out, 41, scratch])
    assert result.ok, result.findings
    assert (int(out[0]), int(scratch[0])) == (41, 42)


# LLVM (and so Triton) takes a by-value parameter's address with a 32-bit mov: a .param
# state-space address is an offset in the parameter buffer, 32 bits wide; cvta.param turns it
# into the generic address a generic load (or a TMA copy, for a tensor map) reads through.
# Parameters: out at 0, two words a, b at 8 and 12 (.align 4 .b8 [8]); out[0] = b via the
# generic address of the buffer's second word, out[1] = a via ld.param through a register.
BY_VALUE = """
.version 8.0
.target sm_90a
.address_size 64
.visible .entry k(
    .param .u64 .ptr .global .align 1 k_param_0,
    .param .align 4 .b8 k_param_1[8]
)
{
    .reg .b32 %r<4>;
    .reg .b64 %rd<5>;
    ld.param.u64 %rd1, [k_param_0];
    mov.b32 %r1, k_param_1;
    cvt.u64.u32 %rd2, %r1;
    cvta.param.u64 %rd3, %rd2;
    ld.u32 %r2, [%rd3+4];
    st.global.u32 [%rd1], %r2;
    ld.param.u32 %r3, [%rd2];
    st.global.u32 [%rd1+4], %r3;
    ret;
}
"""


def test_a_by_value_parameter_is_addressed_through_32_bit_param_addresses() -> None:
    out = np.zeros(2, np.uint32)
    words = np.array([7, 9], np.uint32).tobytes()
    result = emulator.launch(BY_VALUE, "k", 1, 1, [out, words], arch="sm_90a")
    assert result.ok, result.findings
    assert out.tolist() == [9, 7]
