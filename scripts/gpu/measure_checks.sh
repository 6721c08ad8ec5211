#!/usr/bin/env bash
# Measurement checks of issue #3 on a CUDA GPU: repeatability across processes, agreement
# with the torch profiler / ncu, planted faults. Usage: scripts/gpu/measure_checks.sh [OUT_DIR]
# Writes OUT_DIR/measure_checks.json and OUT_DIR/kernbench.sqlite3 (default: $OUT, else
# results/measure_checks). Exit code 0 when every check passes.
set -euo pipefail
cd "$(dirname "$0")/../.."
PY="${PYTHON:-.venv/bin/python}"
[ -x "$PY" ] || PY=python3
OUT_DIR="${1:-${OUT:-results/measure_checks}}"
"$PY" scripts/gpu/measure_checks.py --out "$OUT_DIR"
