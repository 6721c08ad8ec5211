#!/usr/bin/env bash
# Issue 18's GPU targets: a 100-trial `kernbench tune gemm -v triton_tma` at 8192^3 bf16 in under
# 5 minutes, and at most 50 ms of harness overhead per trial (see tune_speed.py). Run ON the GPU
# machine after `source scripts/gpu/setup.sh` (one device call, about 6 minutes):
#   bash scripts/gpu/tune_speed.sh [OUT_DIR] [--dry-run]     (default: $OUT, else results/tune_speed)
# --dry-run: the same path on the CPU device with 3 trials (plumbing only, never speed).
# Writes OUT_DIR/tune_speed.json, tune_speed.log and kernbench.sqlite3. Exit 0 when both targets hold.
set -euo pipefail
cd "$(dirname "$0")/../.."
PY="${PYTHON:-.venv/bin/python}"
[ -x "$PY" ] || PY=python3
OUT_DIR="${1:-${OUT:-results/tune_speed}}"
shift $(( $# > 0 ? 1 : 0 ))
exec "$PY" scripts/gpu/tune_speed.py "$OUT_DIR" "$@"
