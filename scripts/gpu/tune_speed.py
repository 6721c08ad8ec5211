"""Issue 18's GPU targets: how long a 100-trial tune takes, and the harness's overhead per trial.

    scripts/gpu/tune_speed.sh [OUT_DIR] [--dry-run]     (default: $OUT, else results/tune_speed)

Runs ``kernbench tune gemm -v triton_tma`` at 8192^3 bf16 for 100 unique evaluations into an
empty store (compile-ahead and winner confirmation at their defaults), times the command, and
reads the time breakdown the tune stored with its study. Targets:

- the whole command (confirmation included) in under 5 minutes;
- harness overhead (wall time outside static check, compile, timed samples and
  confirmation, per unique evaluation) at most 50 ms. Warm-up counts as overhead in that
  definition; it is reported on its own line beside it, since its minimum is a measurement
  setting (``warmup_min_s``), not harness work.

``--dry-run`` runs the same path on the CPU device with a tiny problem and 3 trials: it
checks the plumbing here, never speed. Writes OUT_DIR/tune_speed.json (figures, verdicts,
and provenance: command, commit, versions, time) and OUT_DIR/tune_speed.log; the store is
OUT_DIR/kernbench.sqlite3.
Exit code 0 when both targets are met (a dry run: when the tune ran and stored a breakdown).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

WALL_TARGET_S = 300.0
OVERHEAD_TARGET_S = 0.050
GPU_ARGS = ["-v", "triton_tma", "--shape", "8192x8192x8192", "--dtype", "bf16", "--trials", "100"]
DRY_ARGS = ["-v", "triton_naive", "--device", "cpu", "--shape", "32x32x32", "--trials", "3"]


def tune_command(out: Path, dry_run: bool) -> list[str]:
    args = DRY_ARGS if dry_run else GPU_ARGS
    return [sys.executable, "-m", "kernbench.cli.main", "tune", "gemm", *args, "--store", str(out)]


def stored_breakdowns(out: Path) -> list[dict[str, Any]]:
    """The time breakdown of every study in the store, as the tune stored it."""
    import optuna

    from kernbench.tune import timing

    url = f"sqlite:///{out / 'kernbench.sqlite3'}"
    found = []
    for summary in optuna.get_all_study_summaries(url, include_best_trial=False):
        attr = summary.user_attrs.get(timing.ATTR)
        if attr:
            found.append({"study": summary.study_name, **attr})
    return found


def judge(wall_s: float, breakdown: dict[str, Any], dry_run: bool) -> dict[str, Any]:
    """Figures and verdicts from the command's wall time and the study's stored breakdown."""
    from kernbench.tune import timing

    trials = max(int(breakdown["trials"]), 1)
    overhead = timing.overhead_s(breakdown) / trials
    warmup = float(breakdown["stages"].get("warmup", 0.0)) / trials
    result: dict[str, Any] = {
        "wall_s": wall_s,
        "unique_evaluations": breakdown["trials"],
        "overhead_s_per_trial": overhead,
        "warmup_s_per_trial": warmup,
        "overhead_less_warmup_s_per_trial": overhead - warmup,
        "stages_s_per_trial": {k: v / trials for k, v in breakdown["stages"].items()},
    }
    if not dry_run:
        result["wall_target_met"] = wall_s < WALL_TARGET_S
        result["overhead_target_met"] = overhead <= OVERHEAD_TARGET_S
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--dry-run", action="store_true", help="the CPU device, 3 trials")
    args = parser.parse_args()
    out: Path = args.out
    if (out / "kernbench.sqlite3").exists():
        print(f"{out}/kernbench.sqlite3 exists: give an empty folder (the tune must start empty)")
        return 2
    out.mkdir(parents=True, exist_ok=True)
    cmd = tune_command(out, args.dry_run)
    began = time.perf_counter()
    with open(out / "tune_speed.log", "w") as log:
        proc = subprocess.run(cmd, stdout=log, stderr=subprocess.STDOUT, env=os.environ.copy())
    wall = time.perf_counter() - began
    breakdowns = stored_breakdowns(out)
    from kernbench import provenance

    summary: dict[str, Any] = {
        "provenance": provenance.collect(" ".join(["kernbench", *cmd[3:]])),
        "exit_code": proc.returncode,
        "dry_run": args.dry_run,
        "targets": {"wall_s": WALL_TARGET_S, "overhead_s_per_trial": OVERHEAD_TARGET_S},
    }
    if len(breakdowns) == 1:
        summary.update(judge(wall, breakdowns[0], args.dry_run))
    else:
        summary["error"] = f"expected one study with a time breakdown, found {len(breakdowns)}"
    (out / "tune_speed.json").write_text(json.dumps(summary, indent=2) + "\n")
    print(json.dumps(summary, indent=2))
    if proc.returncode != 0 or "error" in summary:
        return 1
    return (
        0 if args.dry_run or (summary["wall_target_met"] and summary["overhead_target_met"]) else 1
    )


if __name__ == "__main__":
    raise SystemExit(main())
