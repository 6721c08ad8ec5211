"""How fast the PTX emulator runs: thread-instructions per second, a benchmark, not a test.

For each CUDA GEMM ladder step at its default config, the step's PTX (sm_80) runs on the
emulator over fresh random inputs of one problem, ``--rounds`` times after one warm-up
launch (which also parses and lowers the kernel), in each mode: ``gate`` (the sanitizer and
the counters on, as the emulated device runs it), ``no-sanitizer``, and ``bare`` (execution
only). The figure is the median of executed thread-instructions (every active thread of
every executed warp-instruction) per second of wall time, and per second of process CPU
time, the steadier figure on a shared machine. Each launch is also checked against the
float64 reference, so a fast wrong emulator cannot post a figure.

These are emulator speeds on this machine's CPU, never GPU performance.

    .venv/bin/python scripts/bench_emulator.py --shape 256x256x256 --rounds 3
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import statistics
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from kernbench_kernels.gemm.cuda_ladder import SM80_STEPS

STEPS = SM80_STEPS


@dataclass
class StepSpeed:
    """One step's figures: the raw rounds and their median rate."""

    step: str
    mode: str
    shape: str
    dtype: str
    config: dict[str, object]
    grid: list[int]
    threads: int
    wall_s: list[float] = field(default_factory=list)
    cpu_s: list[float] = field(default_factory=list)
    """Process CPU time per launch: the steadier figure when the machine is shared."""
    thread_instructions: int = 0
    warp_instructions: int = 0

    @property
    def median_rate(self) -> float:
        return statistics.median(self.thread_instructions / w for w in self.wall_s)

    @property
    def median_cpu_rate(self) -> float:
        return statistics.median(self.thread_instructions / c for c in self.cpu_s)


MODES = {
    "gate": {"check": True, "counters": True},
    "no-sanitizer": {"check": False, "counters": True},
    "bare": {"check": False, "counters": False},
}
"""What a launch does besides executing: ``gate`` is what the emulated device runs (the
shared-memory sanitizer and the counters on); ``bare`` executes the PTX and nothing else."""


def bench_step(name: str, mode: str, shape: str, dtype: str, rounds: int) -> StepSpeed:
    """Warm-up plus ``rounds`` checked launches of one step in one mode."""
    import torch
    from kernbench_kernels.gemm.cuda_ladder import output_args, tile_grid

    from kernbench.device import activate
    from kernbench.emulator import launch
    from kernbench.registry import Registry

    device = activate("emu:sm_80")
    registry = Registry.discover()
    family, variant = registry.family("gemm"), registry.variant(name)
    problem = family.parse(shape)
    config = dict(variant.default_configs()[0])
    module = importlib.import_module(f"kernbench_kernels.gemm.{name}")
    build = module.plan(problem, config, dtype)
    grid = getattr(module, "grid", tile_grid)(problem, config)
    ptx = build.ptx(device.arch)
    speed = StepSpeed(name, mode, shape, dtype, config, list(grid), build.threads)
    for r in range(rounds + 1):
        inputs = family.make_inputs(problem, dtype, "cpu", seed=r)
        inputs["out"].fill_(float("nan"))
        args = (inputs["a"], inputs["b"], *output_args(problem, inputs))
        start, cpu = time.perf_counter(), time.process_time()
        result = launch(
            ptx,
            build.kernel,
            grid,
            build.threads,
            args,
            shared_bytes=build.dynamic_shared,
            **MODES[mode],
        )
        wall, cpu = time.perf_counter() - start, time.process_time() - cpu
        ref = family.reference(problem, inputs)["out"]
        err = float(torch.linalg.norm(inputs["out"].double() - ref) / torch.linalg.norm(ref))
        if result.findings or not err < 1e-2:
            raise SystemExit(f"{name}: wrong (error {err:.3g}) or findings {result.findings[:2]}")
        if r:  # round 0 warms up: parsing and lowering are cached after it
            speed.wall_s.append(wall)
            speed.cpu_s.append(cpu)
            speed.thread_instructions = int(result.thread_instructions)
            speed.warp_instructions = int(result.warp_instructions)
    return speed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shape", default="256x256x256")
    parser.add_argument("--dtype", default="bf16")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("-v", "--step", action="append", choices=STEPS)
    parser.add_argument("--mode", action="append", choices=list(MODES), help="default: all")
    parser.add_argument("--json", help="also write the raw figures here")
    args = parser.parse_args()
    from kernbench import provenance

    prov = provenance.collect(" ".join([sys.executable, *sys.argv]))
    print(f"PTX emulator speed, {args.shape} {args.dtype}, {os.cpu_count()} CPU cores "
          f"(emulator wall time, not GPU performance)")  # fmt: skip
    print(f"commit {prov.get('commit')}  {prov.get('time')}  {prov.get('platform')}")
    out = []
    for name in args.step or STEPS:
        for mode in args.mode or MODES:
            row = bench_step(name, mode, args.shape, args.dtype, args.rounds)
            out.append(row)
            walls = ", ".join(f"{w:.2f} s" for w in row.wall_s)
            print(
                f"  {name:<16} {mode:<12} {row.thread_instructions:>12,} thread-instr "
                f"{row.warp_instructions:>10,} warp-instr  median {row.median_rate:.3g} "
                f"thread-instr/s wall, {row.median_cpu_rate:.3g} per CPU second  (rounds {walls})"
            )
    if args.json:
        rows = [
            {**asdict(r), "median_rate": r.median_rate, "median_cpu_rate": r.median_cpu_rate}
            for r in out
        ]
        Path(args.json).write_text(json.dumps({"provenance": prov, "rows": rows}, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
