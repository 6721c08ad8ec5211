"""Every elementwise spelling nvcc 13 emitted for the sm_80 GEMM ladder and a test file of
CUDA intrinsics (sm_90, fp16/bf16/fp8 and fast-math), with its operand kinds (r = register,
i = immediate, v = brace list; destination first): each builds and runs on random bits
without a numpy warning, returning integer or bool arrays."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from kernbench.emulator.ptx.ir import Imm, Instruction, Reg, Vec

from .numerics_util import TABLE

SPELLINGS = [
    ("abs.f16x2", "rr"),
    ("abs.f32", "rr"),
    ("abs.s32", "rr"),
    ("add.bf16", "rrr"),
    ("add.bf16x2", "rrr"),
    ("add.f16", "rrr"),
    ("add.f16x2", "rrr"),
    ("add.f32", "rrr"),
    ("add.f64", "rrr"),
    ("add.rz.f32", "rrr"),
    ("add.rz.f64", "rrr"),
    ("add.s32", "rrr"),
    ("add.s64", "rrr"),
    ("and.b16", "rri"),
    ("and.b32", "rri"),
    ("and.b64", "rri"),
    ("and.pred", "rrr"),
    ("bfi.b32", "rrrii"),
    ("bfind.shiftamt.u32", "rr"),
    ("brev.b32", "rr"),
    ("clz.b32", "rr"),
    ("clz.b64", "rr"),
    ("copysign.f32", "rrr"),
    ("cos.approx.f32", "rr"),
    ("cvt.f32.bf16", "rr"),
    ("cvt.f32.f16", "rr"),
    ("cvt.rmi.f32.f32", "rr"),
    ("cvt.rn.bf16.f32", "rr"),
    ("cvt.rn.bf16.f64", "rr"),
    ("cvt.rn.bf16x2.f32", "rrr"),
    ("cvt.rn.f16.f32", "rr"),
    ("cvt.rn.f16.s32", "rr"),
    ("cvt.rn.f16x2.f32", "rrr"),
    ("cvt.rn.f64.s64", "rr"),
    ("cvt.rn.f64.u32", "rr"),
    ("cvt.rn.satfinite.e4m3x2.f32", "rrr"),
    ("cvt.rn.satfinite.e5m2x2.f32", "rrr"),
    ("cvt.rni.f32.f32", "rr"),
    ("cvt.rni.s32.f32", "rr"),
    ("cvt.rni.s64.f32", "rr"),
    ("cvt.rni.u32.f64", "rr"),
    ("cvt.rpi.f32.f32", "rr"),
    ("cvt.rz.bf16.f32", "rr"),
    ("cvt.rz.f16.f32", "rr"),
    ("cvt.rzi.f32.f32", "rr"),
    ("cvt.rzi.s32.f32", "rr"),
    ("cvt.rzi.s32.f64", "rr"),
    ("cvt.rzi.u32.f32", "rr"),
    ("cvt.s64.s32", "rr"),
    ("cvt.sat.f32.f32", "rr"),
    ("cvt.u32.u16", "rr"),
    ("cvt.u32.u64", "rr"),
    ("cvt.u64.u32", "rr"),
    ("div.approx.f32", "rrr"),
    ("div.rn.f32", "rrr"),
    ("div.rn.f64", "rrr"),
    ("div.rz.f32", "rrr"),
    ("div.s32", "rrr"),
    ("div.s64", "rrr"),
    ("div.u32", "rrr"),
    ("dp4a.s32.s32", "rrrr"),
    ("ex2.approx.f32", "rr"),
    ("ex2.approx.ftz.f32", "rr"),
    ("fma.rm.f32", "rrrr"),
    ("fma.rn.bf16x2", "rrrr"),
    ("fma.rn.f16x2", "rrrr"),
    ("fma.rn.f32", "rrrr"),
    ("fma.rn.f64", "rrrr"),
    ("fma.rn.relu.bf16x2", "rrrr"),
    ("lg2.approx.f32", "rr"),
    ("mad.lo.s32", "rrir"),
    ("max.bf16x2", "rrr"),
    ("max.f16x2", "rrr"),
    ("max.f32", "rrr"),
    ("max.s32", "rri"),
    ("min.NaN.f16x2", "rrr"),
    ("min.f32", "rrr"),
    ("min.s32", "rri"),
    ("mov.b32", "rv"),
    ("mov.f32", "ri"),
    ("mov.u16", "rr"),
    ("mov.u32", "rr"),
    ("mov.u64", "rr"),
    ("mul.bf16", "rrr"),
    ("mul.f16x2", "rrr"),
    ("mul.f32", "rrr"),
    ("mul.hi.s64", "rrr"),
    ("mul.hi.u32", "rrr"),
    ("mul.lo.s32", "rri"),
    ("mul.lo.s64", "rrr"),
    ("mul.rp.f32", "rrr"),
    ("mul.wide.s32", "rri"),
    ("mul.wide.u32", "rri"),
    ("neg.f16x2", "rr"),
    ("not.pred", "rr"),
    ("or.b32", "rrr"),
    ("or.b64", "rrr"),
    ("or.pred", "rrr"),
    ("popc.b32", "rr"),
    ("popc.b64", "rr"),
    ("prmt.b32", "rrrr"),
    ("rcp.approx.ftz.f32", "rr"),
    ("rcp.rn.f32", "rr"),
    ("rem.u32", "rrr"),
    ("rsqrt.approx.f32", "rr"),
    ("rsqrt.approx.f64", "rr"),
    ("sad.s32", "rrrr"),
    ("selp.b32", "riir"),
    ("selp.f32", "rirr"),
    ("selp.u16", "riir"),
    ("setp.eq.f32", "rri"),
    ("setp.eq.s16", "rri"),
    ("setp.eq.s32", "rri"),
    ("setp.eq.s64", "rri"),
    ("setp.ge.f16", "rrr"),
    ("setp.ge.f32", "rri"),
    ("setp.ge.s32", "rrr"),
    ("setp.geu.f32", "rri"),
    ("setp.gt.s32", "rri"),
    ("setp.gtu.f32", "rri"),
    ("setp.lt.s32", "rri"),
    ("setp.lt.u32", "rri"),
    ("setp.ne.s32", "rri"),
    ("setp.neu.f32", "rri"),
    ("shf.l.wrap.b32", "rrrr"),
    ("shl.b32", "rri"),
    ("shl.b64", "rri"),
    ("shr.s32", "rri"),
    ("shr.s64", "rri"),
    ("shr.u32", "rri"),
    ("shr.u64", "rri"),
    ("sin.approx.f32", "rr"),
    ("sqrt.rn.f32", "rr"),
    ("sqrt.rn.f64", "rr"),
    ("sub.s32", "rrr"),
    ("sub.s64", "rrr"),
    ("xor.b32", "rri"),
]


@pytest.mark.parametrize(("name", "kinds"), SPELLINGS)
def test_spelling_builds_and_runs(name, kinds):
    rng = np.random.default_rng(0)
    op, *mods = name.split(".")
    operands = []
    args = []
    for i, k in enumerate(kinds):
        if k == "i":
            operands.append(Imm(3))
            args.append(Imm(3))
        elif k == "v":
            operands.append(Vec((Reg("%a"), Reg("%b"))))
            args.append((rng.integers(0, 1 << 16, 8).astype(np.uint16),) * 2)
        else:
            operands.append(Reg(f"%r{i}"))
            args.append(rng.integers(0, 1 << 32, 8, dtype=np.uint64).astype(np.uint32))
    ins = Instruction(op, tuple(mods), tuple(operands))
    fn = TABLE[op].factory(ins)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = fn(*args[1:])
    for o in out if isinstance(out, tuple) else (out,):
        assert np.asarray(o).dtype.kind in "uib", name
