#!/usr/bin/env bash
# First light: ONE call of about 8 minutes on a lent GPU that checks every GPU claim in order
# of value (stages and their limits: STAGES in scripts/gpu/first_light.py, 480 s in all).
#   bash scripts/gpu/first_light.sh [OUT_DIR] [--dry-run] [--only STAGE ...] [--resume DIR]
#                                   [--verdicts FILE] [--force]
#     OUT_DIR default: $OUT. --only: these stages alone (a second call); --resume DIR: start
#     from the store DIR/kernbench.sqlite3 that the first call brought back (carry it).
#     Variants whose emulated verdict (.gpu-carry/emu/verdicts.json, made by prepare.sh; or
#     --verdicts FILE) is wrong_result or emulator_finding are skipped, each logged with its
#     verdict; --force (or FIRST_LIGHT_FORCE=1) runs them anyway. No verdict file: all run.
# On the GPU machine it first installs the carry folder (scripts/gpu/setup.sh), then checks
# which prebuilt cubins and CUTLASS libraries match (the rest are built there and logged), then
# runs the stages. --dry-run: the same stages on the CPU device at tiny problems, here.
# Leaves in OUT_DIR: kernbench.sqlite3, first_light.log, summary.json, table.md, sanitizer.tar.gz.
set -uo pipefail
cd "$(dirname "$0")/../.."
export FIRST_LIGHT_T0=${FIRST_LIGHT_T0:-$(date +%s)}  # setup past 60 s shortens the tunes
out=${OUT:-first-light}
dry=()
extra=()
while [ $# -gt 0 ]; do
  case "$1" in
    --dry-run) dry=(--dry-run) ;;
    --force) extra+=(--force) ;;
    --only|--resume|--verdicts)
      [ $# -ge 2 ] || { echo "first_light.sh: $1 needs a value" >&2; exit 2; }
      extra+=("$1" "$2"); shift ;;
    -*) echo "first_light.sh: unknown option $1 (use [OUT_DIR] [--dry-run] [--only STAGE] [--resume DIR] [--verdicts FILE] [--force])" >&2; exit 2 ;;
    *) out=$1 ;;
  esac
  shift
done
mkdir -p "$out"
if [ ${#dry[@]} -eq 0 ]; then
  {
    source scripts/gpu/setup.sh .gpu-carry
    echo "=== prebuilt artefacts (carry) against this machine"
    timeout 50 python3 scripts/gpu/carry.py check --jobs "$(nproc)"
  } >> "$out/first_light.log" 2>&1
  PY=python3
else
  PY=${PY:-.venv/bin/python}
  [ -x "$PY" ] || PY=python3
fi
exec "$PY" scripts/gpu/first_light.py "$out" "${dry[@]}" "${extra[@]}"
