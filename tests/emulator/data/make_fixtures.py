"""Regenerate the PTX fixtures of the parser tests (needs nvcc and Triton; no GPU).

    cd <repo> && PYTHONPATH=$PWD python tests/emulator/data/make_fixtures.py [--out DIR] [--full]

Each CUDA kernel of ``kernels/`` is compiled with ``nvcc -ptx -lineinfo`` at a small config
of its own space (so the committed files stay a few KB), sm_80 or sm_90a as the variant
targets, two of them also through NVRTC, and ``features.cu`` (what the kernels do not use:
calls, printf, jump tables...); Triton kernels are compiled for sm_90 (and one for sm_80)
without a GPU through ``triton.compile``. ``--full`` uses each variant's default config
instead, ``--every-triton`` adds every Triton kernel and ``--cutlass`` compiles the CUTLASS
baselines (large PTX: the coverage check, not committed). ``--check DIR`` only parses every
PTX file in DIR and prints each one's parse time.
"""

from __future__ import annotations

import argparse
import gzip
import importlib
import subprocess
import sys
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[3]
HERE = Path(__file__).resolve().parent

# (module, arch, small config). The small config is one the variant's space accepts.
CUDA_GEMM: list[tuple[str, str, dict[str, Any]]] = [
    ("cuda_naive", "sm_80", {"BLOCK_X": 16, "BLOCK_Y": 8}),
    ("cuda_smem_simt", "sm_80", {"BM": 32, "BN": 32, "BK": 8, "TM": 2, "TN": 2}),
    ("cuda_vectorized", "sm_80", {"BM": 32, "BN": 32, "BK": 16, "WARPS_M": 1, "WARPS_N": 1,
                                  "PAD": 8}),
    ("cuda_mma", "sm_80", {"BM": 32, "BN": 32, "BK": 16, "WARPS_M": 2, "WARPS_N": 2}),
    ("cuda_ldmatrix", "sm_80", {"BM": 32, "BN": 32, "BK": 16, "WARPS_M": 2, "WARPS_N": 2,
                                "STAGES": 2}),
    ("cuda_cp_async", "sm_80", {"BM": 32, "BN": 32, "BK": 16, "WARPS_M": 2, "WARPS_N": 2,
                                "STAGES": 2}),
    ("cuda_tuned", "sm_80", {"BM": 64, "BN": 64, "BK": 32, "WARPS_M": 2, "WARPS_N": 2,
                             "STAGES": 2, "GROUP_M": 4}),
    ("cuda_wgmma", "sm_90a", {"BM": 64, "BN": 64}),
    ("cuda_ws", "sm_90a", {"BM": 128, "BN": 64, "STAGES": 2}),
    ("cuda_persistent", "sm_90a", {"BM": 128, "BN": 64, "STAGES": 2, "CLUSTER_M": 2,
                                   "GROUP_M": 8}),
]  # fmt: skip


def _save(out: Path, name: str, ptx: str, full: bool) -> None:
    """Full PTX as ``.ptx``; fixtures gzipped (``.ptx.gz``, no timestamp: reproducible)."""
    ptx = _portable(ptx)
    if full:
        (out / f"{name}.ptx").write_text(ptx)
        return
    with (
        (out / f"{name}.ptx.gz").open("wb") as f,
        gzip.GzipFile(filename="", mode="wb", fileobj=f, mtime=0) as gz,
    ):
        gz.write(ptx.encode())


def _nvcc(source: Path, arch: str, defines: Mapping[str, Any], extra: Sequence[str] = ()) -> str:
    rel = source.resolve().relative_to(ROOT)  # .file paths that name no checkout
    cmd = ["nvcc", "-ptx", f"-arch={arch}", "-lineinfo", "-std=c++17", f"-I{rel.parent}"]
    cmd += [f"-D{k}={int(v) if isinstance(v, bool) else v}" for k, v in defines.items()]
    cmd += extra
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "out.ptx"
        subprocess.run([*cmd, str(rel), "-o", str(out)], check=True, cwd=ROOT)
        return out.read_text()


def _nvrtc(source: Path, arch: str, defines: Mapping[str, Any]) -> str:
    """The PTX NVRTC makes (as the harness's NVRTC compiler does: -lineinfo, includes)."""
    from cuda.bindings import nvrtc

    rel = source.resolve().relative_to(ROOT)
    flags = [f"-arch=compute_{arch.removeprefix('sm_')}", "-lineinfo", "-std=c++17",
             f"-I{source.parent}", "-I/usr/local/cuda/include"]  # fmt: skip
    flags += [f"-D{k}={int(v) if isinstance(v, bool) else v}" for k, v in defines.items()]
    _, prog = nvrtc.nvrtcCreateProgram(source.read_bytes(), str(rel).encode(), 0, [], [])
    (status,) = nvrtc.nvrtcCompileProgram(prog, len(flags), [f.encode() for f in flags])
    if status != nvrtc.nvrtcResult.NVRTC_SUCCESS:
        _, size = nvrtc.nvrtcGetProgramLogSize(prog)
        log = b" " * size
        nvrtc.nvrtcGetProgramLog(prog, log)
        raise RuntimeError(log.decode())
    _, size = nvrtc.nvrtcGetPTXSize(prog)
    ptx = b" " * size
    nvrtc.nvrtcGetPTX(prog, ptx)
    nvrtc.nvrtcDestroyProgram(prog)
    return ptx.rstrip(b"\0").decode()


def _gemm_problem() -> Any:
    from kernbench.problem import Problem

    return Problem.of("gemm", {"m": 256, "n": 256, "k": 256})


def cuda_gemm(out: Path, full: bool) -> None:
    for name, arch, small in CUDA_GEMM:
        mod = importlib.import_module(f"kernbench_kernels.gemm.{name}")
        config = dict(mod.build.defaults[0]) if full or not small else small
        kb = mod.plan(_gemm_problem(), config, "bf16")
        _save(out, name, _nvcc(ROOT / "kernels" / "gemm" / kb.source.name, arch, kb.defines), full)
        print(name, config)


def nvrtc_kernels(out: Path, full: bool) -> None:
    """Two kernels through NVRTC: same NVVM, another driver (its own header and .file forms)."""
    for name, arch, small in CUDA_GEMM:
        if name not in ("cuda_ldmatrix", "cuda_wgmma"):
            continue
        mod = importlib.import_module(f"kernbench_kernels.gemm.{name}")
        config = dict(mod.build.defaults[0]) if full else small
        kb = mod.plan(_gemm_problem(), config, "bf16")
        source = ROOT / "kernels" / "gemm" / kb.source.name
        _save(out, f"nvrtc_{name}", _nvrtc(source, arch, kb.defines), full)
        print(f"nvrtc_{name}", config)


def cuda_split_kv(out: Path, full: bool) -> None:
    from kernbench.problem import Problem

    mod = importlib.import_module("kernbench_kernels.attention.cuda_split_kv")
    problem = Problem.of(
        "attention",
        {"batch": 2, "context": 64, "q_heads": 8, "kv_heads": 2, "head_dim": 64,
         "block_size": 16, "layout": "nhd"},
    )  # fmt: skip
    config = dict(mod.build.defaults[0])
    if not full:
        config.update(TOKENS=2, WARPS=2)
    partial, _ = mod.kernels(problem, config, "bf16")
    source = ROOT / "kernels" / "attention" / partial.source.name
    _save(out, "cuda_split_kv", _nvcc(source, "sm_80", partial.defines), full)
    print("cuda_split_kv", partial.defines)


# Triton kernels: every @triton.jit ``*_kernel`` of these modules (the helpers are inlined
# into them). FIXTURE_TRITON are committed.
TRITON_MODULES = (
    "gemm.triton_naive", "gemm.triton_tma", "gemm.triton_persistent", "gemm.triton_pipelined",
    "gemm.triton_splitk", "gemm.triton_grouped", "attention.triton_common",
    "attention.triton_single_pass", "attention.triton_cascade",
)  # fmt: skip
FIXTURE_TRITON = {
    "gemm_naive_kernel": "triton_naive",
    "gemm_tma_kernel": "triton_tma",
    "partial_kernel": "triton_split_kv",
    "lse_reduce_kernel": "triton_lse_reduce",
}
CONSTEXPRS = {
    "BLOCK_M": 32, "BLOCK_N": 32, "BLOCK_K": 32, "GROUP_M": 8, "HAS_C": False, "SPLIT_K": 2,
    "A_COL": False, "B_COL": False, "WARP_SPECIALIZE": False, "GROUP": 4, "HEADS": 4,
    "TILES": 1, "ROWS": 16, "PAGE": 16, "HEAD_DIM": 64, "USE_DOT": True, "SLOTS": 4,
}  # fmt: skip
POINTERS = {"acc_ptr": "*fp32", "ml_ptr": "*fp32", "table_ptr": "*i32", "lens_ptr": "*i32"}


def _triton_ptx(fn: Any, full: bool, capability: int = 90) -> str:
    import triton
    from triton.backends.compiler import GPUTarget
    from triton.compiler import ASTSource

    names = list(fn.arg_names)
    consts = {n: CONSTEXPRS[n] for n in names if n in CONSTEXPRS}
    if full:
        consts.update({k: 64 for k in ("BLOCK_M", "BLOCK_N") if k in consts})
    sig = {n: "constexpr" if n in consts else POINTERS.get(n, _guess(n)) for n in names}
    src = ASTSource(
        fn=fn, signature=sig, constexprs={(names.index(k),): v for k, v in consts.items()}
    )
    target = GPUTarget("cuda", capability, 32)
    compiled = triton.compile(src, target=target, options={"num_warps": 4, "num_stages": 3})
    return str(compiled.asm["ptx"])


def _portable(ptx: str) -> str:
    """``.file`` paths relative to the checkout (the committed files name no machine)."""
    return ptx.replace(f"{ROOT}/kernbench_kernels/", "kernels/").replace(f"{ROOT}/", "")


def _guess(name: str) -> str:
    if name.endswith("_ptr"):
        return "*bf16"
    if name in ("alpha", "beta", "qk_scale", "scale", "sm_scale"):
        return "fp32"
    return "i32"


def triton_kernels(out: Path, full: bool, every: bool) -> None:
    """The committed Triton fixtures, or (``every``) every kernel of TRITON_MODULES."""
    from triton.runtime.jit import JITFunction

    seen: set[str] = set()
    for module in TRITON_MODULES:
        mod = importlib.import_module(f"kernbench_kernels.{module}")
        for attr, fn in sorted(vars(mod).items()):
            if not isinstance(fn, JITFunction) or fn.fn.__module__ != mod.__name__:
                continue
            if attr in seen or not attr.endswith("_kernel"):
                continue
            seen.add(attr)
            name = FIXTURE_TRITON.get(attr) or (f"triton_{attr}" if every else None)
            if name is None:
                continue
            for suffix, capability in (("", 90), ("_sm80", 80)):
                if suffix and attr != "gemm_naive_kernel":
                    continue  # one kernel as Ampere sees it: cp.async, ldmatrix, mma.sync
                try:
                    _save(out, name + suffix, _triton_ptx(fn, full, capability), full)
                    print(name + suffix)
                except Exception as e:  # one kernel Triton cannot compile here leaves the rest
                    print(f"{name}: {type(e).__name__}: {str(e)[:200]}", file=sys.stderr)


def cutlass_kernels(out: Path) -> None:
    """The two CUTLASS baselines at their default configs (full PTX, minutes to compile)."""
    common = importlib.import_module("kernbench_kernels.gemm.cutlass_common")
    dirs = common.include_dirs()
    if dirs is None:
        print("cutlass: headers not found", file=sys.stderr)
        return
    operands = {
        "KB_ELEMENT": "cutlass::bfloat16_t",
        "KB_LAYOUT_A": "cutlass::layout::RowMajor",
        "KB_LAYOUT_B": "cutlass::layout::RowMajor",
    }
    builds = {
        "cutlass_sm80": ("sm_80", {"KB_TILE_M": 128, "KB_TILE_N": 256, "KB_TILE_K": 32,
                                   "KB_WARP_M": 64, "KB_WARP_N": 64, "KB_STAGES": 3,
                                   "KB_SWIZZLE": 4}),
        "cutlass_sm90": ("sm_90a", {"KB_TILE_M": 128, "KB_TILE_N": 256, "KB_TILE_K": 64,
                                    "KB_CLUSTER_M": 2, "KB_CLUSTER_N": 1, "KB_SCHEDULE": 0,
                                    "KB_STREAMK": 0}),
    }  # fmt: skip
    for name, (arch, defines) in builds.items():
        extra = ["--expt-relaxed-constexpr", *(f"-I{d}" for d in dirs)]
        ptx = _nvcc(ROOT / "kernels" / "gemm" / f"{name}.cu", arch, {**operands, **defines}, extra)
        _save(out, name, ptx, True)
        print(name)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=HERE)
    ap.add_argument("--full", action="store_true", help="default configs (large PTX)")
    ap.add_argument("--only", choices=("cuda", "triton"), default=None)
    ap.add_argument("--every-triton", action="store_true", help="all Triton kernels (coverage)")
    ap.add_argument("--cutlass", action="store_true", help="only the CUTLASS baselines (coverage)")
    ap.add_argument("--check", type=Path, metavar="DIR", help="only parse every PTX file in DIR")
    args = ap.parse_args()
    sys.path.insert(0, str(ROOT))
    if args.check:
        check(args.check)
        return
    args.out.mkdir(parents=True, exist_ok=True)
    if args.cutlass:
        cutlass_kernels(args.out)
    elif args.only in (None, "cuda"):
        _save(args.out, "features", _nvcc(HERE / "features.cu", "sm_80", {}), args.full)
        cuda_gemm(args.out, args.full)
        cuda_split_kv(args.out, args.full)
        nvrtc_kernels(args.out, args.full)
    if args.only in (None, "triton") and not args.cutlass:
        triton_kernels(args.out, args.full, args.every_triton)


def check(out: Path) -> None:
    """Parse every ``.ptx`` / ``.ptx.gz`` in ``out``: lines, statements, and the parse's CPU
    time (best of three: the machine is shared)."""
    import time

    from kernbench.emulator.ptx.parse import _parse, _parser

    _parser()
    for path in sorted([*out.glob("*.ptx"), *out.glob("*.ptx.gz")]):
        data = path.read_bytes()
        text = (gzip.decompress(data) if path.suffix == ".gz" else data).decode()
        times = []
        for _ in range(3):
            start = time.process_time()
            mod = _parse(text)
            times.append(1000 * (time.process_time() - start))
        ms = min(times)
        body = sum(len(f.body) for f in mod.functions)
        print(f"{path.name:45} {text.count(chr(10)):6} lines {body:6} statements {ms:6.0f} ms")


if __name__ == "__main__":
    main()
