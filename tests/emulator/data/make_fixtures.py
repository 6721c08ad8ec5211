"""Regenerate the PTX fixtures of the parser tests (needs nvcc and Triton; no GPU).

    cd <repo> && PYTHONPATH=$PWD python tests/emulator/data/make_fixtures.py [--out DIR] [--full]

Each CUDA kernel of ``kernels/`` is compiled with ``nvcc -ptx -lineinfo`` at a small config
of its own space (so the committed files stay a few KB), sm_80 or sm_90a as the variant
targets, and ``features.cu`` (what the kernels do not use: calls, printf, jump tables...); Triton kernels are compiled for sm_90 without a GPU through ``triton.compile``.
``--full`` uses each variant's default config instead (large PTX: the coverage check,
not committed).
"""

from __future__ import annotations

import argparse
import gzip
import importlib
import subprocess
import sys
import tempfile
from collections.abc import Callable, Mapping
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


def _nvcc(source: Path, arch: str, defines: Mapping[str, Any]) -> str:
    rel = source.resolve().relative_to(ROOT)  # .file paths that name no checkout
    cmd = ["nvcc", "-ptx", f"-arch={arch}", "-lineinfo", "-std=c++17", f"-I{rel.parent}"]
    cmd += [f"-D{k}={int(v) if isinstance(v, bool) else v}" for k, v in defines.items()]
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "out.ptx"
        subprocess.run([*cmd, str(rel), "-o", str(out)], check=True, cwd=ROOT)
        return out.read_text()


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


def _triton_ptx(fn: Any, signature: dict[str, str], constexprs: dict[str, Any]) -> str:
    import triton
    from triton.backends.compiler import GPUTarget
    from triton.compiler import ASTSource

    names = list(fn.arg_names)
    sig = {n: signature.get(n, "constexpr" if n in constexprs else _guess(n)) for n in names}
    src = ASTSource(
        fn=fn, signature=sig, constexprs={(names.index(k),): v for k, v in constexprs.items()}
    )
    compiled = triton.compile(src, target=GPUTarget("cuda", 90, 32), options={"num_warps": 4})
    return str(compiled.asm["ptx"])


def _portable(ptx: str) -> str:
    """``.file`` paths relative to the checkout (the committed files name no machine)."""
    return ptx.replace(f"{ROOT}/kernbench_kernels/", "kernels/").replace(f"{ROOT}/", "")


def _guess(name: str) -> str:
    if name.endswith("_ptr"):
        return "*bf16"
    if name in ("alpha", "beta", "qk_scale", "scale"):
        return "fp32"
    return "i32"


def triton_kernels(out: Path, full: bool) -> None:
    block = 64 if full else 32
    gemm = {"BLOCK_M": block, "BLOCK_N": block, "BLOCK_K": 32, "HAS_C": False}
    jobs: list[tuple[str, Callable[[], str]]] = []
    naive = importlib.import_module("kernbench_kernels.gemm.triton_naive")
    jobs.append(("triton_naive", lambda: _triton_ptx(naive.gemm_naive_kernel, {}, gemm)))
    tma = importlib.import_module("kernbench_kernels.gemm.triton_tma")
    tma_consts = {**gemm, "GROUP_M": 8, "A_COL": False, "B_COL": False, "WARP_SPECIALIZE": False}
    jobs.append(("triton_tma", lambda: _triton_ptx(tma.gemm_tma_kernel, {}, tma_consts)))
    common = importlib.import_module("kernbench_kernels.attention.triton_common")
    attn = {"GROUP": 4, "HEADS": 4, "TILES": 1, "ROWS": 16, "PAGE": 16, "BLOCK_N": 16,
            "HEAD_DIM": 64, "USE_DOT": True}  # fmt: skip
    jobs.append(
        (
            "triton_split_kv",
            lambda: _triton_ptx(
                common.partial_kernel,
                {"acc_ptr": "*fp32", "ml_ptr": "*fp32", "table_ptr": "*i32", "lens_ptr": "*i32"},
                attn,
            ),
        )
    )
    jobs.append(
        (
            "triton_lse_reduce",
            lambda: _triton_ptx(
                common.lse_reduce_kernel,
                {"acc_ptr": "*fp32", "ml_ptr": "*fp32"},
                {"SLOTS": 4, "HEAD_DIM": 64},
            ),
        )
    )
    for name, make in jobs:
        try:
            _save(out, name, make(), full)
            print(name)
        except Exception as e:  # a Triton that cannot compile one kernel still makes the rest
            print(f"{name}: {type(e).__name__}: {e}", file=sys.stderr)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=HERE)
    ap.add_argument("--full", action="store_true", help="default configs (large PTX)")
    ap.add_argument("--only", choices=("cuda", "triton"), default=None)
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    sys.path.insert(0, str(ROOT))
    if args.only in (None, "cuda"):
        _save(args.out, "features", _nvcc(HERE / "features.cu", "sm_80", {}), args.full)
        cuda_gemm(args.out, args.full)
        cuda_split_kv(args.out, args.full)
    if args.only in (None, "triton"):
        triton_kernels(args.out, args.full)


if __name__ == "__main__":
    main()
