"""The public launch API: arguments, refusals, functions, module variables, results."""

from __future__ import annotations

import numpy as np
import pytest

from kernbench.emulator import UnsupportedKernel, launch

from .kit import ptx, run, store


def test_scalar_params_are_converted_per_declared_type() -> None:
    params = ".param .u64 out, .param .s32 a, .param .f32 b, .param .u16 c"
    body = """
    ld.param.s32 %r1, [a];
    ld.param.f32 %r2, [b];
    ld.param.u16 %h1, [c];
    cvt.rzi.s32.f32 %r2, %r2;
    cvt.u32.u16 %r3, %h1;
    add.s32 %r1, %r1, %r2;
    add.s32 %r1, %r1, %r3;
""" + store("%r1")
    out, r = run(body, args=[-5, 2.75, 40000], params=params)
    assert r.ok
    np.testing.assert_array_equal(out, -5 + 2 + 40000)


def test_bytes_by_value_into_b8_array_param_and_null_pointer() -> None:
    # a 16-byte struct: word 2 is read; the second pointer is null and never used
    params = ".param .u64 out, .param .align 8 .b8 s[16], .param .u64 unused"
    body = "    ld.param.u32 %r1, [s+8];\n" + store("%r1")
    blob = np.array([1, 2, 77, 4], np.uint32).tobytes()
    out, r = run(body, args=[blob, None], params=params)
    assert r.ok
    np.testing.assert_array_equal(out, 77)


def test_refusals() -> None:
    text = ptx(store("%r0"))
    out = np.zeros(2048, np.uint32)
    with pytest.raises(ValueError, match="at most 1024"):
        launch(text, "k", 1, 2048, [out])
    with pytest.raises(ValueError, match="takes 1 arguments, got 2"):
        launch(text, "k", 1, 32, [out, 1])
    with pytest.raises(ValueError, match="shared"):
        launch(text, "k", 1, 32, [out], shared_bytes=200 * 1024)
    with pytest.raises(ValueError, match="not a 64-bit pointer"):
        launch(ptx(store("%r0"), ".param .u64 out, .param .u32 n"), "k", 1, 32, [out, out])
    with pytest.raises(ValueError, match="does not fit"):
        launch(ptx(store("%r0"), ".param .u64 out, .param .u8 n"), "k", 1, 32, [out, 300])
    with pytest.raises(KeyError, match="no kernel"):
        launch(text, "nope", 1, 32, [out])


def test_unsupported_instructions_are_all_listed_at_load() -> None:
    body = """
    tex.1d.v4.f32.s32 {%r1, %r2, %r3, %r4}, [%rd1, {%r5}];
    madc.hi.u32 %r1, %r2, %r3, %r4;
"""
    with pytest.raises(UnsupportedKernel) as e:
        launch(ptx(body), "k", 1, 32, [np.zeros(32, np.uint32)])
    assert len(e.value.problems) == 2 and "line" in e.value.problems[0]


def test_func_call_is_inlined_with_params_and_return() -> None:
    decls = """
.func (.param .b32 ret) twice_plus(.param .b32 x, .param .b32 y)
{
    .reg .b32 %t<3>;
    ld.param.b32 %t0, [x];
    ld.param.b32 %t1, [y];
    shl.b32 %t2, %t0, 1;
    add.u32 %t2, %t2, %t1;
    st.param.b32 [ret], %t2;
    ret;
}
"""
    body = """
    {
    .param .b32 a0;
    .param .b32 a1;
    .param .b32 rv;
    st.param.b32 [a0], %r0;
    st.param.b32 [a1], 7;
    call.uni (rv), twice_plus, (a0, a1);
    ld.param.b32 %r1, [rv];
    }
""" + store("%r1")
    out, r = run(body, decls=decls)
    assert r.ok, r.findings
    np.testing.assert_array_equal(out, 2 * np.arange(32) + 7)


def test_const_variable_initializer_and_brx_idx() -> None:
    decls = ".const .align 4 .u32 table[4] = {10, 20, 30, 40};"
    body = """
    and.b32 %r2, %r0, 3;
    shl.b32 %r3, %r2, 2;
    mov.u64 %rd2, table;
    cvt.u64.u32 %rd3, %r3;
    add.s64 %rd2, %rd2, %rd3;
    ld.const.u32 %r1, [%rd2];
    and.b32 %r4, %r0, 1;
ts: .branchtargets EVEN, ODD;
    brx.idx %r4, ts;
EVEN:
    add.u32 %r1, %r1, 1;
    bra.uni DONE;
ODD:
    add.u32 %r1, %r1, 2;
DONE:
""" + store("%r1")
    out, r = run(body, decls=decls)
    assert r.ok, r.findings
    t = np.arange(32)
    np.testing.assert_array_equal(out, 10 * (t % 4 + 1) + 1 + t % 2)


def test_result_counts_per_line_and_multiple_waves() -> None:
    out, r = run(store("%r0"), n=64, grid=3)
    np.testing.assert_array_equal(out, np.tile(np.arange(64), 3))
    # mov + 7 store instructions + ret per thread, 192 threads, 6 warps
    assert r.thread_instructions == 9 * 192
    assert r.warp_instructions == 9 * 6
    assert sum(r.line_counts.values()) == r.thread_instructions


def test_maxntid_and_reqntid_are_enforced() -> None:
    text = ptx(store("%r0")).replace(
        ".visible .entry k(.param .u64 out)", ".visible .entry k(.param .u64 out) .maxntid 64, 1, 1"
    )
    out = np.zeros(128, np.uint32)
    assert launch(text, "k", 1, 64, [out]).ok
    with pytest.raises(ValueError, match="maxntid"):
        launch(text, "k", 1, 128, [out])
    text = text.replace(".maxntid 64, 1, 1", ".reqntid 32")
    assert launch(text, "k", 1, 32, [out]).ok
    with pytest.raises(ValueError, match="reqntid"):
        launch(text, "k", 1, 64, [out])


def test_many_waves_reuse_one_machine(monkeypatch: pytest.MonkeyPatch) -> None:
    # cap a wave at one 64-thread CTA: 5 CTAs run as 5 waves (the last machine is reused,
    # its state reset in place) with each CTA's %ctaid and shared memory right
    from kernbench.emulator import api

    monkeypatch.setattr(api, "MAX_WAVE_THREADS", 64)
    decls = ".shared .align 4 .b8 buf[256];"
    body = """
    mov.u32 %r2, buf;
    shl.b32 %r3, %r0, 2;
    add.u32 %r3, %r2, %r3;
    mov.u32 %r4, %ctaid.x;
    add.u32 %r4, %r4, %r0;
    st.shared.u32 [%r3], %r4;
    bar.sync 0;
    xor.b32 %r5, %r0, 1;
    shl.b32 %r5, %r5, 2;
    add.u32 %r5, %r2, %r5;
    ld.shared.u32 %r1, [%r5];
""" + store("%r1")
    out, r = run(body, n=64, grid=5, decls=decls)
    assert r.ok, r.findings
    assert r.waves == 5
    cta, t = np.divmod(np.arange(320), 64)
    np.testing.assert_array_equal(out, cta + (t ^ 1))
