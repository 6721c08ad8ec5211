#!/usr/bin/env bash
# Run HERE (PyPI and nvcc 13.0 are here), before a GPU call:
#   bash scripts/gpu/prepare.sh [CARRY] [--no-wheels] [--no-emulated] [--variant V ...] [--jobs N]
# Fills CARRY (default .gpu-carry/, git-ignored) with what the call needs and the GPU image
# lacks: wheels/ (optuna and its needs, nvidia-cutlass, plotly; Python 3.12 manylinux x86_64),
# cuda-cache/ (the CUDA ladder's cubins and the CUTLASS libraries at their defaults on first
# light's problems, built with nvcc for sm_90/sm_90a) and manifest.json (compiler, what was built).
# emu/: every CUDA and Triton variant run on the emulated Hopper (emu:sm_90a) on small problems
# that stand for first light's, and emu/verdicts.json, their verdicts: first light skips on the
# GPU what the emulator shows wrong (about 1-2 minutes; --no-emulated leaves it out).
# Exits 1 when the carry folder and the tracked tree together pass the device tool's 64 MiB.
# Building every library takes a few minutes on 2 cores; a second run reuses what is there.
set -euo pipefail
cd "$(dirname "$0")/../.."
carry=.gpu-carry
if [[ $# -gt 0 && $1 != --* ]]; then carry=$1; shift; fi
PY=${PY:-.venv/bin/python}
[ -x "$PY" ] || PY=python3
exec "$PY" scripts/gpu/carry.py prepare "$carry" "$@"
