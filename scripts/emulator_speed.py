"""Thread-instructions per second of the PTX emulator on cuda_tuned (256x256x256, bf16).

Compiles ``kernels/gemm/cuda_tuned.cu`` at its first default config with nvcc, launches it
once to warm the caches (parse, lower, link), then times ``--repeat`` launches and prints
the best wall-clock rate and the CPU time (the machine may be shared: CPU time is the
steadier figure). Usage::

    python scripts/emulator_speed.py [--no-check] [--repeat 3] [--size 256]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from kernbench.emulator import launch

ROOT = Path(__file__).resolve().parents[1]
GEMM = ROOT / "kernels" / "gemm"
CONFIG = {"BM": 128, "BN": 256, "BK": 32, "WARPS_M": 2, "WARPS_N": 4, "STAGES": 3, "GROUP_M": 8}
PAD = 8


def bf16(x: np.ndarray) -> np.ndarray:
    u = x.astype(np.float32).view(np.uint32)
    return ((u + 0x7FFF + ((u >> 16) & 1)) >> 16).astype(np.uint16)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--no-check", action="store_true", help="disable the shared sanitizer")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--size", type=int, default=256)
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        ptx = Path(tmp) / "tuned.ptx"
        defines = [f"-D{k}={v}" for k, v in CONFIG.items()] + ["-DKB_BF16=1"]
        subprocess.run(
            [
                "nvcc",
                "-ptx",
                "-arch=sm_80",
                "-lineinfo",
                f"-I{GEMM}",
                *defines,
                str(GEMM / "cuda_tuned.cu"),
                "-o",
                str(ptx),
            ],
            check=True,
            capture_output=True,
        )
        text = ptx.read_text()
    n = a.size
    rng = np.random.default_rng(0)
    A, B, C = (bf16(rng.standard_normal((n, n))) for _ in range(3))
    out = np.zeros((n, n), np.uint16)
    bm, bn, bk, st = CONFIG["BM"], CONFIG["BN"], CONFIG["BK"], CONFIG["STAGES"]
    smem = 2 * max(st * (bm * (bk + PAD) + bk * (bn + PAD)), bm * (bn + PAD))
    grid = (-(-n // bm) * -(-n // bn),)
    threads = 32 * CONFIG["WARPS_M"] * CONFIG["WARPS_N"]
    args = [A, B, out, C, n, n, n, 1.0, 0.5]

    def once() -> tuple[float, float, int, bool]:
        c0 = time.process_time()
        r = launch(
            text, "gemm_cuda_tuned", grid, threads, args, shared_bytes=smem, check=not a.no_check
        )
        return r.wall_time, time.process_time() - c0, r.thread_instructions, r.ok

    once()
    runs = [once() for _ in range(a.repeat)]
    wall = min(r[0] for r in runs)
    cpu = min(r[1] for r in runs)
    ti = runs[0][2]
    print(
        json.dumps(
            {
                "kernel": "cuda_tuned",
                "size": n,
                "check": not a.no_check,
                "ok": runs[0][3],
                "thread_instructions": ti,
                "best_wall_s": round(wall, 4),
                "best_cpu_s": round(cpu, 4),
                "thread_instr_per_s_wall": float(f"{ti / wall:.3g}"),
                "thread_instr_per_s_cpu": float(f"{ti / cpu:.3g}"),
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
