"""Build the CUTLASS libraries of a whole space ahead of a GPU session, in parallel.

A CUTLASS 3.x build takes about a minute of nvcc and no GPU. Tuning on a GPU would spend
that minute per new config of device time; instead build every compile-time config here
(or on any machine with the same nvcc) and bring the cache along (``KERNBENCH_CUDA_CACHE``):
keys hold contents and versions, not paths.

    python -m kernbench_kernels.gemm.cutlass_prebuild --dtype bf16 --dtype fp16 --jobs 16
"""

from __future__ import annotations

import argparse
import sys
import time
from concurrent.futures import ThreadPoolExecutor, as_completed

from kernbench.space import Config

from . import cutlass_common as common
from . import cutlass_sm80, cutlass_sm90
from .family import GEMM


def configs(variant: str) -> list[Config]:
    """One config per library: the distinct compile-time parts of the valid space."""
    if variant == "cutlass_sm90":
        seen: dict[tuple[object, ...], Config] = {}
        for c in cutlass_sm90.SPACE:
            seen.setdefault(tuple(c[k] for k in cutlass_sm90.COMPILE_TIME), c)
        return list(seen.values())
    return list(cutlass_sm80.SPACE)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--variant", choices=("cutlass_sm90", "cutlass_sm80"), default="cutlass_sm90"
    )
    parser.add_argument("--dtype", action="append", choices=("bf16", "fp16"), default=[])
    parser.add_argument(
        "--jobs", type=int, default=4, help="nvcc processes at once (about 2 GB each)"
    )
    parser.add_argument("--limit", type=int, default=0, help="build at most this many libraries")
    parser.add_argument(
        "--arch", default="sm_90", help="target of cutlass_sm80 (sm_90a is fixed for sm90)"
    )
    args = parser.parse_args(argv)
    why = common.probe()
    if why:
        print(f"cannot build CUTLASS here: {why}", file=sys.stderr)
        return 2
    problem = GEMM.parse("4096x4096x4096")  # only the layouts (row, row) matter to the build
    jobs = [(c, d) for d in (args.dtype or ["bf16"]) for c in configs(args.variant)]
    if args.limit:
        jobs = jobs[: args.limit]

    def one(config: Config, dtype: str) -> str:
        if args.variant == "cutlass_sm90":
            built = cutlass_sm90.library(problem, config, dtype)
        else:
            built = cutlass_sm80.library(problem, config, dtype, args.arch)
        return "cached" if built.cached else f"built in {built.build_s:.0f} s"

    start, failed = time.monotonic(), 0
    with ThreadPoolExecutor(max_workers=max(args.jobs, 1)) as pool:
        futures = {pool.submit(one, c, d): (c, d) for c, d in jobs}
        for n, future in enumerate(as_completed(futures), 1):
            config, dtype = futures[future]
            try:
                status = future.result()
            except Exception as exc:
                failed += 1
                status = f"FAILED: {exc}".splitlines()[0]
            print(f"[{n}/{len(jobs)}] {dtype} {config}: {status}", flush=True)
    print(
        f"{len(jobs) - failed} of {len(jobs)} libraries ready in {time.monotonic() - start:.0f} s"
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
