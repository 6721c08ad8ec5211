"""The PTX parser: every committed fixture parses, and each syntactic form gives the ir it should.

Expected objects are written from the PTX ISA's syntax (the forms as nvcc, NVRTC and Triton
print them), never from the parser's output.
"""

from __future__ import annotations

import gzip
import math
import re
from pathlib import Path

import pytest

from kernbench.emulator.ptx import ir
from kernbench.emulator.ptx.parse import PtxSyntaxError, parse_module

DATA = Path(__file__).resolve().parents[1] / "data"
FIXTURES = sorted(DATA.glob("*.ptx.gz"))

HEADER = ".version 8.0\n.target sm_80\n.address_size 64\n"

R = ir.Reg


def kernel(body: str, head: str = "", decls: str = "") -> ir.Function:
    """The one kernel of a module around ``body`` (registers %r, %rd, %p, %f declared): the
    header is lines 1-3, ``head`` line 4, the registers lines 7-10, ``body`` from line 11."""
    regs = decls or (
        ".reg .b32 %r<10>;\n.reg .b64 %rd<10>;\n.reg .pred %p<10>;\n.reg .f32 %f<10>;\n"
    )
    text = f"{HEADER}{head}\n.visible .entry k(.param .u64 k_param_0)\n{{\n{regs}{body}\n}}\n"
    return parse_module(text).kernel("k")


def ins(line: str, **kw: str) -> ir.Instruction:
    """The single instruction of a kernel whose body is ``line``."""
    body = kernel(line, **kw).body
    found = [s.instruction for s in body if s.instruction is not None]
    assert len(found) == 1, found
    return found[0]


def ops(line: str) -> tuple[ir.Operand, ...]:
    return ins(line).operands


# ---- fixtures -------------------------------------------------------------------------------

SPECIAL = re.compile(
    r"%(tid|ntid|ctaid|nctaid|laneid|warpid|nwarpid|smid|nsmid|gridid|clock|clock64|clock_hi"
    r"|lanemask_\w+|globaltimer\w*|cluster_\w+|clusterid|nclusterid|is_explicit_cluster"
    r"|\w*smem_size|envreg\d+|pm\d+\w*|current_graph_exec)$"
)


def _declared(fn: ir.Function) -> set[str]:
    names: set[str] = set()
    for d in fn.regs:
        if d.count is None:
            names.add(d.name)
        else:
            names.update(f"{d.name}{i}" for i in range(d.count))
    return names


def _regs_in(op: object) -> list[ir.Reg]:
    if isinstance(op, ir.Reg):
        return [op]
    if isinstance(op, ir.Pair):
        return [op.first, op.second]
    if isinstance(op, ir.Addr):
        return _regs_in(op.base)
    if isinstance(op, ir.TensorAddr):
        return [*_regs_in(op.base), *(r for c in op.coords for r in _regs_in(c))]
    if isinstance(op, ir.Vec):
        return [r for x in op.items for r in _regs_in(x)]
    return []


def test_fixtures_are_there() -> None:
    names = {p.name.removesuffix(".ptx.gz") for p in FIXTURES}
    assert {"cuda_naive", "cuda_tuned", "cuda_wgmma", "cuda_ws", "cuda_persistent",
            "cuda_split_kv", "triton_naive", "triton_tma", "features"} <= names  # fmt: skip


@pytest.mark.parametrize("path", FIXTURES, ids=lambda p: p.name.removesuffix(".ptx.gz"))
def test_fixture_parses_and_resolves(path: Path) -> None:
    """Every register an instruction names is declared (or special); every branch target and
    every jump-table entry is a label of the body; every instruction has its line, text and
    (compiled with line info) its CUDA or Python source position."""
    text = gzip.decompress(path.read_bytes()).decode()
    mod = parse_module(text)
    assert mod.kernels and mod.address_size == 64 and mod.version >= (7, 0)
    assert mod.files
    lines = text.splitlines()
    for fn in mod.functions:
        declared = _declared(fn)
        labels = {s.label for s in fn.body if s.label is not None}
        assert len(labels) == sum(s.label is not None for s in fn.body)
        for s in fn.body:
            i = s.instruction
            if i is None:
                continue
            regs = [*_regs_in(i.guard), *(r for o in i.operands for r in _regs_in(o))]
            for r in regs:
                assert r.name in declared or SPECIAL.match(r.name), (r, i.text)
            for o in i.operands:
                targets = o.items if isinstance(o, ir.Vec) and i.opcode == "brx" else (o,)
                for t in targets:
                    if isinstance(t, ir.Label):
                        assert t.name in labels, (t, i.text)
            assert i.text.endswith(";") and i.text.startswith("@" if i.guard else i.name)
            assert i.name in lines[i.line - 1]
            if fn.entry:
                assert i.loc is not None and i.loc.file in mod.files.values()


def test_fixture_kernels_and_features() -> None:
    """What the features fixture holds, checked against features.cu."""
    mod = parse_module(gzip.decompress((DATA / "features.ptx.gz").read_bytes()).decode())
    k = mod.kernel("features")
    assert k.directives == {"maxntid": (128, 1, 1), "minnctapersm": (2,)}
    names = [f.name for f in mod.functions]
    assert "vprintf" in names and names.count("_Z4add3iii") == 1
    vprintf = next(f for f in mod.functions if f.name == "vprintf")
    assert vprintf.body == () and not vprintf.entry
    variables = {v.name: v for v in mod.variables}
    # __constant__ float table[4] = {1, 2, 0.5, -3}: nvcc writes it as 16 bytes.
    assert variables["table"] == ir.Variable(
        "const", "table", "b8", 16, 4,
        init=(0, 0, 128, 63, 0, 0, 0, 64, 0, 0, 0, 63, 0, 0, 64, 192), array=(16,),
    )  # fmt: skip
    assert variables["scale"] == ir.Variable("global", "scale", "f64", 8, 8, init=(0.25,))
    calls = [s.instruction for s in k.body if s.instruction and s.instruction.opcode == "call"]
    assert [c.operands[1] for c in calls if isinstance(c.operands[1], ir.Sym)] == [
        ir.Sym("_Z5twicef"), ir.Sym("vprintf"), ir.Sym("_Z7trap_ifi")
    ]  # fmt: skip
    brx = next(s.instruction for s in k.body if s.instruction and s.instruction.opcode == "brx")
    table = brx.operands[1]
    assert isinstance(table, ir.Vec) and len(table.items) == 3


# ---- header and module scope ----------------------------------------------------------------


def test_header_forms() -> None:
    text = (
        "//\n// Generated by NVIDIA NVVM Compiler\n//\n"
        ".version 9.4\n.target sm_90a, texmode_independent, debug\n.address_size 64\n"
        '.file 1 "/src/a.cu", 1700000000, 1234\n.file\t2 "b.cuh"\n'
        '.pragma "nounroll";\n'
    )
    mod = parse_module(text)
    assert mod.version == (9, 4)
    assert mod.target == ("sm_90a", "texmode_independent", "debug")
    assert mod.address_size == 64
    assert mod.files == {1: "/src/a.cu", 2: "b.cuh"}
    assert mod.functions == ()


@pytest.mark.parametrize(
    ("decl", "expected"),
    [
        (".extern .shared .align 16 .b8 smem[];",
         ir.Variable("shared", "smem", "b8", 0, 16, extern=True, array=(0,))),
        (".shared .align 4 .b8 buf[4096];", ir.Variable("shared", "buf", "b8", 4096, 4,
                                                       array=(4096,))),
        (".global .align 4 .u32 counts[2][3] = {{1, 2, 3}, {4, 5, 6}};",
         ir.Variable("global", "counts", "u32", 24, 4, init=(1, 2, 3, 4, 5, 6), array=(2, 3))),
        (".const .f32 one = 0f3F800000;", ir.Variable("const", "one", "f32", 4, 4, init=(1.0,))),
        (".visible .const .align 8 .f64 half = 0d3FE0000000000000;",
         ir.Variable("const", "half", "f64", 8, 8, init=(0.5,))),
        (".global .v4 .f32 v;", ir.Variable("global", "v", "v4.f32", 16, 16)),
        (".global .align 1 .b8 s[] = {104, 105, 0};",
         ir.Variable("global", "s", "b8", 3, 1, init=(104, 105, 0), array=(3,))),
        (".weak .global .align 8 .u64 p = generic(s)+4;",
         ir.Variable("global", "p", "u64", 8, 8, init=(0,))),
        (".common .global .s32 c = -0x10;", ir.Variable("global", "c", "s32", 4, 4, init=(-16,))),
        (".global .align 8 .b8 w[8] = {1, 2};",
         ir.Variable("global", "w", "b8", 8, 8, init=(1, 2), array=(8,))),
    ],
)  # fmt: skip
def test_module_variables(decl: str, expected: ir.Variable) -> None:
    """Size = element bytes x vector length x array elements; align defaults to the element;
    ``[]`` with an initializer takes its length from it; an address initializer (``generic``)
    is kept as 0 (ir.Variable.init holds numbers)."""
    assert parse_module(HEADER + decl).variables == (expected,)


# ---- functions --------------------------------------------------------------------------


def test_entry_params_and_directives() -> None:
    text = HEADER + (
        ".visible .entry k(\n"
        "\t.param .u64 .ptr .global .align 16 k_param_0,\n"
        "\t.param .align 64 .b8 k_param_1[128],\n"
        "\t.param .f32 k_param_2,\n"
        "\t.param .align 8 .b8 k_param_3[2][12]\n)\n"
        ".maxntid 128, 1, 1\n.reqntid 128\n.minnctapersm 2\n.maxnreg 255\n"
        ".reqnctapercluster 2, 1, 1\n.explicitcluster\n.maxclusterrank 8\n"
        ".blocksareclusters\n"
        '.pragma "nounroll";\n'
        "{\n\tret;\n}\n"
    )
    (k,) = parse_module(text).functions
    assert k.entry and k.name == "k" and k.line == 4
    assert k.params == (
        ir.Param("k_param_0", "u64", 8, 8, "global"),  # .align 16 is the pointee's
        ir.Param("k_param_1", "b8", 128, 64),
        ir.Param("k_param_2", "f32", 4, 4),
        ir.Param("k_param_3", "b8", 24, 8),
    )
    assert k.directives == {
        "maxntid": (128, 1, 1),
        "reqntid": (128,),
        "minnctapersm": (2,),
        "maxnreg": (255,),
        "reqnctapercluster": (2, 1, 1),
        "explicitcluster": (),
        "maxclusterrank": (8,),
        "blocksareclusters": (),
        "pragma nounroll": (),
    }
    assert k.body == (ir.Statement(instruction=ir.Instruction("ret", line=20, text="ret;")),)


def test_funcs_declarations_and_definitions() -> None:
    text = HEADER + (
        ".extern .func (.param .b32 func_retval0) vprintf(.param .b64 a, .param .b64 b);\n"
        ".func (.param .b32 func_retval0) f(.param .b32 f_param_0);\n"
        ".weak .func (.param .align 16 .b8 func_retval0[16]) g()\n{\n\tret;\n}\n"
        ".func h() .noreturn\n{\n\ttrap;\n}\n"
        ".func (.param .b32 func_retval0) f(.param .b32 f_param_0)\n{\n\tret;\n}\n"
        ".entry e\n{\n\texit;\n}\n"
    )
    fns = parse_module(text).functions
    assert [(f.name, f.entry, len(f.body)) for f in fns] == [
        ("vprintf", False, 0), ("g", False, 1), ("h", False, 1), ("f", False, 1), ("e", True, 1)
    ]  # fmt: skip
    vprintf, g, h, f, _ = fns
    assert vprintf.returns == (ir.Param("func_retval0", "b32", 4, 4),)
    assert vprintf.params == (ir.Param("a", "b64", 8, 8), ir.Param("b", "b64", 8, 8))
    assert g.returns == (ir.Param("func_retval0", "b8", 16, 16),) and g.params == ()
    assert h.directives == {"noreturn": ()}
    assert f.params == (ir.Param("f_param_0", "b32", 4, 4),)


def test_register_parameters() -> None:
    """The old ``.reg`` parameter form: the parameters are registers of the body."""
    text = HEADER + ".func (.reg .b32 r) f(.reg .b32 a)\n{\n\tadd.s32 r, a, 1;\n\tret;\n}\n"
    (f,) = parse_module(text).functions
    assert f.regs == (ir.RegDecl("b32", "r"), ir.RegDecl("b32", "a"))
    assert f.params == (ir.Param("a", "b32", 4, 4),)
    assert f.body[0].instruction is not None
    assert f.body[0].instruction.operands == (R("r"), R("a"), ir.Imm(1))


# ---- declarations in bodies --------------------------------------------------------------


def test_register_declarations() -> None:
    k = kernel(
        "\tret;",
        decls=(
            ".reg .pred %p<3>;\n.reg .b16 %rs<2>;\n.reg .b32 a, b;\n.reg .v4 .f32 v;\n"
            ".reg .f64 %fd1;\n.reg .b32 q<2>;\n"
            ".local .align 8 .b8 __local_depot0[32];\n.shared .align 4 .b8 tile[256];\n"
        ),
    )
    assert k.regs == (
        ir.RegDecl("pred", "%p", 3),
        ir.RegDecl("b16", "%rs", 2),
        ir.RegDecl("b32", "a"),
        ir.RegDecl("b32", "b"),
        ir.RegDecl("v4.f32", "v"),
        ir.RegDecl("f64", "%fd1"),
        ir.RegDecl("b32", "q", 2),
    )
    assert k.variables == (
        ir.Variable("local", "__local_depot0", "b8", 32, 8, array=(32,)),
        ir.Variable("shared", "tile", "b8", 256, 4, array=(256,)),
    )


def test_nested_scopes_rename_what_they_declare() -> None:
    """nvcc's inline asm blocks declare registers (and labels) in ``{ }``, possibly shadowing
    the function's and each other's; each scope's declarations get a unique suffix."""
    k = kernel(
        "\t{\n\t.reg .pred p;\n\t.reg .b32 %r<2>;\n"
        "\tsetp.ne.b32 p, %r1, 0;\n"
        "\t{\n\t.reg .pred p;\n\tnot.pred p, p;\n\t}\n"
        "\tselp.u32 %r5, 1, 0, p;\n"
        "LAB_WAIT:\n\t@p bra LAB_WAIT;\n\t}\n"
        "\t{ .reg .pred p; mov.pred p, %p1; }\n"
        "\tmov.u32 %r1, %r2;\n"
        "LAB_WAIT:\n\tbra LAB_WAIT;\n"
    )
    assert k.regs[4:] == (
        ir.RegDecl("pred", "p$s1"),
        ir.RegDecl("b32", "%r0$s1"),
        ir.RegDecl("b32", "%r1$s1"),
        ir.RegDecl("pred", "p$s2"),
        ir.RegDecl("pred", "p$s3"),
    )
    got = [s.label or (s.instruction.operands if s.instruction else ()) for s in k.body]
    guard = next(s.instruction.guard for s in k.body if s.instruction and s.instruction.guard)
    assert guard == R("p$s1")
    assert got == [
        (R("p$s1"), R("%r1$s1"), ir.Imm(0)),
        (R("p$s2"), R("p$s2")),
        (R("%r5"), ir.Imm(1), ir.Imm(0), R("p$s1")),
        "LAB_WAIT$s1",
        (ir.Label("LAB_WAIT$s1"),),
        (R("p$s3"), R("%p1")),
        (R("%r1"), R("%r2")),
        "LAB_WAIT",
        (ir.Label("LAB_WAIT"),),
    ]


# ---- instructions ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "opcode", "mods"),
    [
        ("ret;", "ret", ()),
        ("exit;", "exit", ()),
        ("cp.async.commit_group;", "cp", ("async", "commit_group")),
        ("mbarrier.try_wait.parity.shared::cta.b64 %p1, [%r1], %r2;", "mbarrier",
         ("try_wait", "parity", "shared::cta", "b64")),
        ("cp.async.bulk.tensor.2d.shared::cluster.global.mbarrier::complete_tx::bytes "
         "[%r1], [%rd1, {%r2, %r3}], [%r4];", "cp",
         ("async", "bulk", "tensor", "2d", "shared::cluster", "global",
          "mbarrier::complete_tx::bytes")),
        ("ld.global.L1::evict_last.L2::cache_hint.v4.u32 {%r1, %r2, %r3, %r4}, [%rd1], %rd2;",
         "ld", ("global", "L1::evict_last", "L2::cache_hint", "v4", "u32")),
        ("cp.async.cg.shared.global.L2::128B [%r1], [%rd1], 16;", "cp",
         ("async", "cg", "shared", "global", "L2::128B")),
    ],
)  # fmt: skip
def test_opcodes_and_modifiers(line: str, opcode: str, mods: tuple[str, ...]) -> None:
    i = ins("\t" + line)
    assert (i.opcode, i.mods, i.text) == (opcode, mods, line)


def test_guards_lines_and_text() -> None:
    k = kernel("\t@%p1 bra $L__BB0_2;\n\t@!%p2 add.s32 %r1, %r1, 1;\n$L__BB0_2:\n\tret;")
    a, b, label, c = k.body
    assert a.instruction == ir.Instruction(
        "bra", (), (ir.Label("$L__BB0_2"),), R("%p1"), 11, None, "@%p1 bra $L__BB0_2;"
    )
    assert b.instruction is not None and b.instruction.guard == R("%p2", negated=True)
    assert b.instruction.line == 12
    assert label == ir.Statement(label="$L__BB0_2")
    assert c.instruction is not None and c.instruction.line == 14


@pytest.mark.parametrize(
    ("operand", "expected"),
    [
        ("%r1", R("%r1")),
        ("%tid.x", R("%tid", "x")),
        ("%ctaid.y", R("%ctaid", "y")),
        ("%cluster_ctaid.x", R("%cluster_ctaid", "x")),
        ("%clock64", R("%clock64")),
        ("%lanemask_lt", R("%lanemask_lt")),
        ("!%p1", R("%p1", negated=True)),
        ("0", ir.Imm(0)),
        ("42", ir.Imm(42)),
        ("-7", ir.Imm(-7)),
        ("0xFF", ir.Imm(255)),
        ("0XfF", ir.Imm(255)),
        ("0x80000000U", ir.Imm(0x80000000)),
        ("017", ir.Imm(15)),
        ("0b101", ir.Imm(5)),
        ("7U", ir.Imm(7)),
        ("-0x10", ir.Imm(-16)),
        ("0f3F800000", ir.Imm(1.0, 0x3F800000, 32)),
        ("0FBF800000", ir.Imm(-1.0, 0xBF800000, 32)),
        ("0d3FF8000000000000", ir.Imm(1.5, 0x3FF8000000000000, 64)),
        ("1.0", ir.Imm(1.0)),
        ("2.5e-3", ir.Imm(0.0025)),
        ("1e3", ir.Imm(1000.0)),
        ("-0.5", ir.Imm(-0.5)),
        ("smem", ir.Sym("smem")),
        ("k_param_0", ir.Sym("k_param_0")),
        ("smem+8", ir.Sym("smem", 8)),
        ("[%rd1]", ir.Addr(R("%rd1"))),
        ("[%rd1+16]", ir.Addr(R("%rd1"), 16)),
        ("[%rd1+-16]", ir.Addr(R("%rd1"), -16)),
        ("[%rd1-16]", ir.Addr(R("%rd1"), -16)),
        ("[ %rd1 + 0 ]", ir.Addr(R("%rd1"), 0)),
        ("[smem+128]", ir.Addr(ir.Sym("smem"), 128)),
        ("[0x10]", ir.Addr(None, 16)),
        ("[k_param_0]", ir.Addr(ir.Sym("k_param_0"))),
        ("[%rd1, {%r1, %r2}]", ir.TensorAddr(R("%rd1"), (R("%r1"), R("%r2")))),
        ("[k_param_0, {%r1}]", ir.TensorAddr(ir.Sym("k_param_0"), (R("%r1"),))),
        ("{%r1, %r2, _, %r3}", ir.Vec((R("%r1"), R("%r2"), None, R("%r3")))),
        ("{ %r1, %r2 }", ir.Vec((R("%r1"), R("%r2")))),
        ("{0, %r2}", ir.Vec((ir.Imm(0), R("%r2")))),
        ("%p1|%p2", ir.Pair(R("%p1"), R("%p2"))),
        # constant expressions: C operators and precedence, division toward zero
        ("(4*8)", ir.Imm(32)),
        ("((1 << 12) - 1)", ir.Imm(4095)),
        ("(-7 / 2)", ir.Imm(-3)),
        ("(-7 % 2)", ir.Imm(-1)),
        ("(1 + 2 * 3)", ir.Imm(7)),
        ("(0x10 | 0b1)", ir.Imm(17)),
        ("(~0)", ir.Imm(-1)),
        ("(10 - 2 - 3)", ir.Imm(5)),
        ("(2 * 3 == 6 && 1)", ir.Imm(1)),
        ("[%rd1+(2*8)]", ir.Addr(R("%rd1"), 16)),
    ],
)
def test_operand_forms(operand: str, expected: ir.Operand) -> None:
    """Each operand form, as the second operand of a made-up instruction."""
    head = ".shared .align 4 .b8 smem[256];"
    i = ins(f"\tfoo.b32 %r9, {operand};", head=head)
    assert i.operands == (R("%r9"), expected)


def test_float_literal_bits_survive() -> None:
    """A NaN payload is kept in ``bits`` (the value alone would lose it)."""
    (imm,) = ops("\tmov.b32 0f7FC00001;")
    assert isinstance(imm, ir.Imm) and math.isnan(imm.value)
    assert (imm.bits, imm.width, imm.is_float) == (0x7FC00001, 32, True)
    (neg,) = ops("\tmov.b32 -0f3F800000;")
    assert neg == ir.Imm(-1.0, 0xBF800000, 32)


def test_setp_pair_and_sink() -> None:
    assert ops("\tsetp.lt.s32 %p1|%p2, %r1, %r2;") == (
        ir.Pair(R("%p1"), R("%p2")), R("%r1"), R("%r2")
    )  # fmt: skip
    # a bare ``_`` (sink destination) is the symbol "_"
    assert ops("\tmbarrier.arrive.shared::cta.b64 _, [%r1];") == (
        ir.Sym("_"), ir.Addr(R("%r1"))
    )  # fmt: skip


def test_user_register_names() -> None:
    """Registers declared without % (CUTLASS inline asm) are registers, not symbols."""
    i = ins("\tsetp.ne.b32 p, q, 0;", decls=".reg .pred p;\n.reg .b32 q;\n")
    assert i.operands == (R("p"), R("q"), ir.Imm(0))
    i = ins("\t@!p bra L;\nL:", decls=".reg .pred p;\n")
    assert i.guard == R("p", negated=True) and i.operands == (ir.Label("L"),)
    selp = ops("\tselp.b32 %r1, %r2, %r3, !p;")
    assert selp == (R("%r1"), R("%r2"), R("%r3"), R("p", negated=True))


def test_vector_register_elements_and_sinks() -> None:
    i = ins("\tmov.f32 %f1, v.y;", decls=".reg .v4 .f32 v;\n.reg .f32 %f<2>;\n")
    assert i.operands == (R("%f1"), R("v", "y"))
    assert ops("\telect.sync _|%p1, -1;") == (ir.Pair(R("_"), R("%p1")), ir.Imm(-1))
    assert ops("\tst.global.v4.f32 [%rd1], {%f1, 0f00000000, %f2, _};") == (
        ir.Addr(R("%rd1")),
        ir.Vec((R("%f1"), ir.Imm(0.0, 0, 32), R("%f2"), None)),
    )


def test_managed_attribute() -> None:
    mod = parse_module(HEADER + ".global .attribute(.managed) .align 4 .b32 m;\n")
    assert mod.variables == (ir.Variable("global", "m", "b32", 4, 4),)


def test_calls() -> None:
    k = kernel(
        "\t{ // callseq 0, 0\n"
        "\t.param .b32 param0;\n\tst.param.b32 [param0+0], %r1;\n"
        "\t.param .b32 retval0;\n"
        "\tcall.uni (retval0), \n\tf, \n\t(\n\tparam0\n\t);\n"
        "\tld.param.b32 %r2, [retval0+0];\n\t}\n"
        "\t{\n\t.param .b64 param0;\n\tcall.uni g, (param0);\n\t}\n"
        "\tcall h;\n"
        "\t{\n\t.param .b32 param0;\n\t.param .b32 retval0;\n"
        "\tprototype_0 : .callprototype (.param .b32 _) _ (.param .b32 _);\n"
        "\tcall (retval0), %rd1, (param0), prototype_0;\n\t}\n",
    )
    calls = [s.instruction for s in k.body if s.instruction and s.instruction.opcode == "call"]
    assert [c.operands for c in calls] == [
        (ir.Vec((ir.Sym("retval0$s1"),)), ir.Sym("f"), ir.Vec((ir.Sym("param0$s1"),))),
        (ir.Vec(()), ir.Sym("g"), ir.Vec((ir.Sym("param0$s2"),))),
        (ir.Vec(()), ir.Sym("h"), ir.Vec(())),
        (ir.Vec((ir.Sym("retval0$s3"),)), R("%rd1"), ir.Vec((ir.Sym("param0$s3"),)),
         ir.Sym("prototype_0")),
    ]  # fmt: skip
    assert calls[0].text == "call.uni (retval0), f, ( param0 );"
    assert calls[0].mods == ("uni",)
    st = k.body[0].instruction
    assert st is not None and st.operands == (ir.Addr(ir.Sym("param0$s1"), 0), R("%r1"))
    assert [v.name for v in k.variables] == [
        "param0$s1", "retval0$s1", "param0$s2", "param0$s3", "retval0$s3"
    ]  # fmt: skip
    assert k.variables[2] == ir.Variable("param", "param0$s2", "b64", 8, 8)


def test_brx_idx_jump_table() -> None:
    """``brx.idx`` names a ``.branchtargets`` list: the operand is the list of its labels."""
    k = kernel(
        "$L_brx_0: .branchtargets $L1, $L2, $L3;\n\tbrx.idx %r1, $L_brx_0;\n"
        "$L1:\n\tret;\n$L2:\n\tret;\n$L3:\n\tret;"
    )
    assert k.body[0].instruction is not None
    assert k.body[0].instruction.operands == (
        R("%r1"), ir.Vec((ir.Label("$L1"), ir.Label("$L2"), ir.Label("$L3")))
    )  # fmt: skip
    assert [s.label for s in k.body if s.label] == ["$L1", "$L2", "$L3"]


def test_loc_directives() -> None:
    head = '.file 1 "a.cu"\n.file 2 "b.cuh"\n'
    k = kernel(
        "\t.loc 1 10 5\n\tmov.u32 %r1, %tid.x;\n"
        "\t.loc\t2 7 3, function_name $L__info_string0, inlined_at 1 12 9\n"
        "\tadd.s32 %r1, %r1, 1;\n\tret;",
        head=head,
    )
    locs = [s.instruction.loc for s in k.body if s.instruction]
    assert locs == [ir.Location("a.cu", 10, 5), ir.Location("b.cuh", 7, 3),
                    ir.Location("b.cuh", 7, 3)]  # fmt: skip


def test_comments_sections_and_pragmas() -> None:
    text = HEADER + (
        "/* a block\n comment { } */\n"
        ".visible .entry k()\n{\n"
        "\t.reg .b32 %r<2>; // trailing\n"
        '\t.pragma "nounroll";\n'
        "\t// begin inline asm\n\t{ mov.b32 %r1, 0; /* inside */ }\n\t// end inline asm\n"
        "\tret;\n}\n"
        "\t.section\t.debug_str\n\t{\n$L__info_string0:\n.b8 95 // a } in a comment\n"
        ".b8 0\n\t}\n\t.section\t.debug_macinfo\t{\t}\n"
    )
    k = parse_module(text).kernel("k")
    assert [s.instruction.text for s in k.body if s.instruction] == ["mov.b32 %r1, 0;", "ret;"]


def test_syntax_errors_name_line_column_and_text() -> None:
    text = HEADER + ".visible .entry k()\n{\n\t.reg .b32 %r<2>;\n\tadd.s32 %r1, %r1 %r1;\n}\n"
    with pytest.raises(PtxSyntaxError) as e:
        parse_module(text)
    assert (e.value.line, e.value.column) == (7, 19)
    assert "line 7, column 19" in str(e.value) and "add.s32 %r1, %r1 %r1;" in str(e.value)
    with pytest.raises(PtxSyntaxError, match=r"unexpected 'ret' \(expected .*';'"):
        parse_module(HEADER + ".visible .entry k()\n{\n\tmov.u32 %r1, 1\n\tret;\n}\n")
    with pytest.raises(PtxSyntaxError, match=r"unexpected '\]' \(expected an integer\)"):
        parse_module(HEADER + ".visible .entry k()\n{\n\tld.u32 %r1, [%r2+];\n}\n")
    with pytest.raises(PtxSyntaxError, match="line 4"):
        parse_module(HEADER + ".visible .entry k() { ret; ")
    with pytest.raises(PtxSyntaxError, match="unexpected character"):
        parse_module(HEADER + ".visible .entry k() { ret; } #")


def test_windows_text() -> None:
    """CRLF line ends and a Windows path in ``.file`` (backslashes escaped in PTX strings)."""
    text = (
        HEADER + '.file 1 "C:\\\\src\\\\k.cu"\n.visible .entry k()\n{\n.loc 1 3 1\nret;\n}\n'
    ).replace("\n", "\r\n")
    mod = parse_module(text)
    assert mod.files == {1: "C:\\src\\k.cu"}
    (st,) = mod.kernel("k").body
    assert st.instruction == ir.Instruction(
        "ret", line=8, loc=ir.Location("C:\\src\\k.cu", 3, 1), text="ret;"
    )


def test_text_without_version_is_refused() -> None:
    with pytest.raises(PtxSyntaxError, match=r"line 1, column 1: .*\.version"):
        parse_module("// not PTX\n.entry k() { ret; }\n")


def test_constant_expressions_elsewhere() -> None:
    mod = parse_module(HEADER + ".global .u32 x[2] = {(4*2), ((1<<4)+1)};\n")
    assert mod.variables[0].init == (8, 17)
    with pytest.raises(PtxSyntaxError, match=r"line 6, column 15: .*division by zero"):
        parse_module(HEADER + ".entry k()\n{\n\tmov.u32 %r1, (1/0);\n}\n")


def test_keywords_need_a_word_boundary() -> None:
    """``generic_x`` is a name, not ``generic`` then ``_x``; ``.funcx`` is no ``.func``."""
    mod = parse_module(HEADER + ".global .u32 generic_x = 3;\n.entry k() .funcx { ret; }\n")
    assert mod.variables == (ir.Variable("global", "generic_x", "u32", 4, 4, init=(3,)),)
    assert mod.functions[0].directives == {"funcx": ()}


def test_parse_is_cached() -> None:
    text = HEADER + ".visible .entry cached() { ret; }\n"
    assert parse_module(text) is parse_module("".join(list(text)))
