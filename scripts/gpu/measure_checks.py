"""Checks that kernbench's GPU measurements can be trusted (issue #3). Run on a CUDA GPU:

    scripts/gpu/measure_checks.sh [OUT_DIR]        (default: $OUT, else results/measure_checks)

(a) repeatability: one config of a kernel over 50 us, measured in two separate worker
    processes: medians within 1%.
(b) agreement with the torch profiler (and Nsight Compute with ``--clock-control none``
    where ``ncu`` is on PATH): five kernels from about 5 us to 5 ms, medians within 3%.
(c) planted faults: an out-of-bounds write, a kernel that never ends and one that writes
    half its output, each recorded with its status while a tune around them completes.

Every figure comes from this run; records go to OUT_DIR/kernbench.sqlite3 and the summary
with provenance to OUT_DIR/measure_checks.json. Exit code 0 when every check passes.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import shutil
import subprocess
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))  # tests.plugins_faulty holds the planted faults

FAULTY = "tests.plugins_faulty:PLUGIN"
REPEAT_N = 4096  # bf16 matmul of about 170 us on an H100
PROFILE_SIZES = (512, 1024, 2048, 4096, 12288)  # about 5 us ... 5 ms on an H100
EXPECTED_FAULTS = {"ok": "ok", "oob": "crash", "spin": "timeout", "half": "wrong_result"}


def _setup(out: Path) -> tuple[Any, Any, Any, Any]:
    from kernbench import device as devices
    from kernbench.calibrate import PLUGIN_REF
    from kernbench.measure.settings import MeasureSettings
    from kernbench.registry import Registry
    from kernbench.store import open_store

    device = devices.activate("cuda")
    registry = Registry.discover()
    registry.add_reference(PLUGIN_REF)
    registry.add_reference(FAULTY)
    return device, registry, open_store(out), MeasureSettings(cache="hot")


def _session(device: Any, registry: Any, store: Any, settings: Any, runner: Any) -> Any:
    from kernbench.pipeline import Session
    from kernbench.staticcheck import Target

    return Session(registry, device, store, runner, settings, Target.for_device(device))


def _matmul(registry: Any, session: Any, n: int) -> Any:
    from kernbench.calibrate import CALIBRATION

    return session.evaluate(
        CALIBRATION,
        registry.variant("matmul_bf16"),
        CALIBRATION.parse(f"op=matmul,n={n}"),
        "bf16",
        {},
        study="measure_checks",
    )


def check_repeatable(device: Any, registry: Any, store: Any, settings: Any) -> dict[str, Any]:
    """(a) The same config measured in two separate worker processes."""
    from kernbench.measure.worker import ProcessRunner

    medians, ids, pids = [], [], []
    for _ in range(2):
        runner = ProcessRunner(device, settings, registry.references)
        with runner:
            rec = _matmul(registry, _session(device, registry, store, settings, runner), REPEAT_N)
            pids.append(runner.pid)
        if rec.status != "ok":
            return {"pass": False, "error": f"{rec.status}: {rec.message}", "record_ids": [rec.id]}
        medians.append(rec.median_s)
        ids.append(rec.id)
    diff = abs(medians[0] - medians[1]) / min(medians)
    return {
        "kernel": f"matmul_bf16 {REPEAT_N}^3",
        "medians_s": medians,
        "rel_diff": diff,
        "limit": 0.01,
        "pass": diff < 0.01 and medians[0] > 50e-6,
        "record_ids": ids,
        "worker_pids": pids,
    }


def profiler_kernel_time(launch: Any, launches: int = 50) -> tuple[float, int]:
    """Per-launch GPU kernel time by the torch profiler (CUPTI), and kernels per launch."""
    import torch
    from torch.profiler import ProfilerActivity, profile

    for _ in range(20):
        launch()
    torch.cuda.synchronize()
    with profile(activities=[ProfilerActivity.CUDA]) as prof:
        for _ in range(launches):
            launch()
        torch.cuda.synchronize()
    kernels = [
        e
        for e in prof.events()
        if e.device_type == torch.autograd.DeviceType.CUDA
        and not e.name.startswith(("Memcpy", "Memset"))
    ]
    total_us = sum(e.time_range.elapsed_us() for e in kernels)
    return total_us * 1e-6 / launches, max(1, round(len(kernels) / launches))


def ncu_kernel_time(n: int, kernels_per_launch: int) -> float | None:
    """Per-launch kernel time by Nsight Compute (``--clock-control none``), or None without ncu."""
    ncu = shutil.which("ncu")
    if ncu is None:
        return None
    count = 20 * kernels_per_launch
    cmd = [
        ncu,
        "--clock-control",
        "none",
        "--cache-control",
        "none",
        "--metrics",
        "gpu__time_duration.sum",
        "--csv",
        "--launch-skip",
        str(10 * kernels_per_launch),
        "--launch-count",
        str(count),
        sys.executable,
        __file__,
        "--ncu-target",
        str(n),
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    rows = [
        r
        for r in csv.DictReader(io.StringIO(proc.stdout[proc.stdout.find('"ID"') :]))
        if r.get("Metric Name") == "gpu__time_duration.sum"
    ]
    if not rows:
        return None
    scale = {"nsecond": 1e-9, "usecond": 1e-6, "msecond": 1e-3, "second": 1.0}
    total = sum(
        float(r["Metric Value"].replace(",", "")) * scale.get(r.get("Metric Unit", ""), 1e-9)
        for r in rows
    )
    return total / (len(rows) / kernels_per_launch)


def _launch_for(n: int) -> Any:
    from kernbench.calibrate import CALIBRATION, MATMUL_BF16

    problem = CALIBRATION.parse(f"op=matmul,n={n}")
    inputs = CALIBRATION.make_inputs(problem, "bf16", "cuda", 0)
    return MATMUL_BF16.build(problem, {}, inputs)


def check_profiler(device: Any, registry: Any, store: Any, settings: Any) -> dict[str, Any]:
    """(b) Harness medians against the profiler's kernel durations, hot L2 on both sides."""
    from kernbench.measure.runner import InProcessRunner

    rows = []
    runner = InProcessRunner(registry, device, settings)
    session = _session(device, registry, store, settings, runner)
    for n in PROFILE_SIZES:
        rec = _matmul(registry, session, n)
        if rec.status != "ok":
            rows.append({"n": n, "pass": False, "error": f"{rec.status}: {rec.message}"})
            continue
        prof_s, per_launch = profiler_kernel_time(_launch_for(n))
        ncu_s = ncu_kernel_time(n, per_launch)
        row = {
            "kernel": f"matmul_bf16 {n}^3",
            "record_id": rec.id,
            "harness_median_s": rec.median_s,
            "timer": rec.method.get("timer"),
            "graph_batch": rec.method.get("graph_batch"),
            "profiler_s": prof_s,
            "kernels_per_launch": per_launch,
            "rel_diff_profiler": rec.median_s / prof_s - 1,
            "ncu_s": ncu_s,
            "rel_diff_ncu": rec.median_s / ncu_s - 1 if ncu_s else None,
        }
        diffs = [abs(row["rel_diff_profiler"])] + ([abs(row["rel_diff_ncu"])] if ncu_s else [])
        row["pass"] = min(diffs) < 0.03
        rows.append(row)
    return {"limit": 0.03, "kernels": rows, "pass": all(r["pass"] for r in rows)}


def check_faults(device: Any, registry: Any, store: Any, settings: Any) -> dict[str, Any]:
    """(c) Planted GPU faults recorded with the right status while a tune completes."""
    from kernbench.measure.worker import ProcessRunner
    from kernbench.tune.core import Budget
    from kernbench.tune.tuner import Tuner

    fast = replace(settings, timeout_s=60.0, max_time_s=3.0)
    family, variant = registry.family("toy"), registry.variant("toy_triton_faulty")
    runner = ProcessRunner(device, fast, registry.references)
    with runner:
        session = _session(device, registry, store, fast, runner)
        tuner = Tuner(
            session=session,
            family=family,
            variant=variant,
            problem=family.parse("n=1048576"),
            dtype="fp32",
            storage_url=store.url,
            study="measure_checks_faults",
            sampler="random",
        )
        result = tuner.run(Budget(trials=len(EXPECTED_FAULTS)))
        restarts = runner.restarts
    got = {
        r.config["mode"]: r.status
        for r in store.query(variant="toy_triton_faulty", run_id=session.run_id)
    }
    return {
        "expected": EXPECTED_FAULTS,
        "recorded": got,
        "worker_restarts": restarts,
        "tune_stop_reason": result.stop_reason,
        "best": result.best.config if result.best is not None else None,
        "pass": all(got.get(k) == v for k, v in EXPECTED_FAULTS.items())
        and result.best is not None,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "results" / "measure_checks")
    parser.add_argument("--only", choices=("repeatable", "profiler", "faults"), action="append")
    parser.add_argument("--ncu-target", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.ncu_target:  # the process ncu profiles: plain back-to-back launches
        import torch

        launch = _launch_for(args.ncu_target)
        for _ in range(40):
            launch()
        torch.cuda.synchronize()
        return 0

    from kernbench import provenance
    from kernbench.device import cuda_available

    if not cuda_available():
        print("measure_checks: no CUDA GPU here; nothing measured", file=sys.stderr)
        return 2
    args.out.mkdir(parents=True, exist_ok=True)
    device, registry, store, settings = _setup(args.out)
    checks = {"repeatable": check_repeatable, "profiler": check_profiler, "faults": check_faults}
    summary: dict[str, Any] = {
        "provenance": provenance.collect(),
        "device": device.as_dict(),
        "settings": settings.as_dict(),
        "store": store.url,
        "checks": {},
    }
    for name, check in checks.items():
        if args.only and name not in args.only:
            continue
        print(f"== {name}", flush=True)
        summary["checks"][name] = result = check(device, registry, store, settings)
        print(json.dumps(result, indent=1, default=str), flush=True)
        (args.out / "measure_checks.json").write_text(json.dumps(summary, indent=1, default=str))
    ok = all(c["pass"] for c in summary["checks"].values())
    print(
        f"measure_checks: {'all passed' if ok else 'FAILED'}; summary in {args.out / 'measure_checks.json'}"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
