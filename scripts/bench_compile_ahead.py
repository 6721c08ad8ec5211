"""How much compile-ahead buys on this machine: a benchmark script, not a test.

1. Compile throughput: the same configs of each variant's space are statically checked
   (compiled for sm_90, no GPU needed) by a pool of 1 and a pool of N processes, each time
   into empty caches (kernbench's, Triton's and the CUDA cubin cache); prints configs per
   minute. The pool's processes are started before the clock runs, as a tune starts them
   once. A shared virtual machine's cores do not scale steadily, so the two pool sizes
   alternate over ``--rounds`` rounds (1 N, N 1, ...) and the median ratio is the figure;
   each round also times a pure-Python loop in 1 and N processes: the most any pool could
   gain on this machine at that moment.
2. A CPU tune of ``--tune-trials`` unique evaluations with ``--jobs 0`` (compile in turn) and
   with compile-ahead, each into an empty store and empty caches; prints both wall times.

Figures from the CPU device are compile throughput and harness time on this machine, never
GPU performance.

    .venv/bin/python scripts/bench_compile_ahead.py --configs 8 --tune-trials 40
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from kernbench.procpool import spawn_pool
from kernbench.space import Config

CACHE_VARS = ("KERNBENCH_CACHE", "KERNBENCH_CUDA_CACHE", "TRITON_CACHE_DIR")


def fresh_caches(root: Path) -> dict[str, str]:
    """Point every compile cache at an empty folder; returns the variables set."""
    root.mkdir(parents=True, exist_ok=True)
    env = {name: tempfile.mkdtemp(prefix=name.lower() + "-", dir=root) for name in CACHE_VARS}
    os.environ.update(env)
    return env


def _warm(family: str, variant: str, problem: str, dtype: str, config: Config) -> int:
    """Compile one config in a pool process; returns the process id, to know all are warm."""
    from kernbench.staticcheck import Target
    from kernbench.tune.ahead import check_in_pool

    check_in_pool(family, variant, problem, dtype, config, Target())
    time.sleep(1.0)  # hold this process, so the batch's other configs go to the others
    return os.getpid()


def throughput(variant: str, configs: int, jobs: int, root: Path) -> tuple[int, float]:
    """Static checks of ``configs`` configs of ``variant`` by a pool of ``jobs``: (count, seconds)."""
    from kernbench.registry import Registry
    from kernbench.staticcheck import Target
    from kernbench.tune.ahead import check_in_pool, start_pool

    registry = Registry.discover()
    var = registry.variant(variant)
    family = registry.family(var.family)
    problem = family.preset(family.default_preset)[-1]
    dtype = family.default_dtype
    valid = list(var.space)
    order = random.Random(0).sample(valid, len(valid))  # one fixed shuffle: every pool size
    chosen, spare = order[:configs], order[configs : configs + 4 * jobs]  # times the same configs
    fresh_caches(root / f"{variant}-jobs{jobs}")
    with start_pool(jobs, []) as pool:
        # Start every process and compile one spare config in each first (imports, registry,
        # the compiler's own start-up): a tune pays that once per process, not per config.
        warm: set[int] = set()
        while len(warm) < jobs and spare:
            batch = [spare.pop() for _ in range(min(jobs, len(spare)))]
            tasks = [pool.submit(_warm, family.name, variant, problem.key, dtype, c) for c in batch]
            warm |= {t.result() for t in tasks}
        began = time.perf_counter()
        futures = [
            pool.submit(check_in_pool, family.name, variant, problem.key, dtype, c, Target())
            for c in chosen
        ]
        for f in futures:
            f.result()
        return len(chosen), time.perf_counter() - began


def tune_wall(variant: str, shape: str, trials: int, jobs: int, root: Path) -> float:
    """Wall seconds of one CPU tune into an empty store and empty caches."""
    env = {**os.environ, **fresh_caches(root / f"tune-jobs{jobs}")}
    cmd = [
        sys.executable, "-m", "kernbench.cli.main", "tune", "gemm", "-v", variant,
        "--device", "cpu", "--shape", shape, "--trials", str(trials), "--confirm", "0",
        "--jobs", str(jobs), "--warmup-max", "0.2", "--max-time", "0.5",
        "--out", str(root / f"tune-jobs{jobs}" / "store"),
    ]  # fmt: skip
    began = time.perf_counter()
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - began
    if proc.returncode != 0:
        raise SystemExit(f"tune --jobs {jobs} exited {proc.returncode}: {proc.stderr[-500:]}")
    print(proc.stdout.split("\n\n")[0])
    return wall


def _spin(_: int) -> float:
    """A fixed amount of pure-Python work (no memory traffic, no I/O); returns its seconds."""
    began, x = time.perf_counter(), 0
    for i in range(20_000_000):
        x += i * i % 7
    return time.perf_counter() - began


def cpu_ceiling(jobs: int) -> float:
    """How much faster ``jobs`` processes get through pure-Python work than one, right now."""
    with spawn_pool(jobs) as pool:
        list(pool.map(_spin, range(jobs)))  # start every process first
        began = time.perf_counter()
        list(pool.map(_spin, range(1)))
        one = time.perf_counter() - began
        began = time.perf_counter()
        list(pool.map(_spin, range(jobs)))
        return jobs * one / (time.perf_counter() - began)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--variants", nargs="*", default=["triton_pipelined", "cuda_tuned"])
    parser.add_argument("--configs", type=int, default=8, help="configs per variant")
    parser.add_argument("--jobs", type=int, default=2, help="the pool compared with one process")
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds per variant")
    parser.add_argument("--tune-variant", default="triton_naive")
    parser.add_argument("--tune-shape", default="64x64x64")
    parser.add_argument("--tune-trials", type=int, default=40, help="0 skips the tune")
    args = parser.parse_args()
    os.environ.pop("TRITON_INTERPRET", None)  # the pool compiles for sm_90, as on a GPU host
    os.environ.setdefault("TRITON_DEFAULT_FP_FUSION", "1")  # as kernbench.device.activate pins it

    with tempfile.TemporaryDirectory(prefix="bench-compile-ahead-") as tmp:
        root = Path(tmp)
        print(f"compile throughput on this machine ({os.cpu_count()} cores), sm_90 static checks")
        for variant in args.variants:
            ratios, ceilings = [], []
            for r in range(args.rounds):
                rates = {}
                for jobs in (1, args.jobs) if r % 2 == 0 else (args.jobs, 1):
                    n, secs = throughput(variant, args.configs, jobs, root / f"round{r}")
                    rates[jobs] = n / secs * 60
                    print(f"  {variant:<18} round {r + 1} --jobs {jobs}: {n} configs in "
                          f"{secs:6.1f} s = {rates[jobs]:5.1f} configs/min")  # fmt: skip
                ratios.append(rates[args.jobs] / rates[1])
                ceilings.append(cpu_ceiling(args.jobs))
                print(f"  {variant:<18} round {r + 1} speed-up x{ratios[-1]:.2f} "
                      f"(pure-Python loop in {args.jobs} processes: x{ceilings[-1]:.2f})")  # fmt: skip
            print(f"  {variant:<18} speed-up, median of {args.rounds} rounds: "
                  f"x{statistics.median(ratios):.2f} (rounds {', '.join(f'{x:.2f}' for x in ratios)}; "
                  f"machine's own ceiling x{statistics.median(ceilings):.2f})")  # fmt: skip
        if args.tune_trials:
            print(f"CPU tune of {args.tune_variant} {args.tune_shape}, {args.tune_trials} trials")
            off = tune_wall(args.tune_variant, args.tune_shape, args.tune_trials, 0, root)
            on = tune_wall(args.tune_variant, args.tune_shape, args.tune_trials, args.jobs, root)
            print(f"  --jobs 0: {off:.1f} s; --jobs {args.jobs}: {on:.1f} s (x{off / on:.2f})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
