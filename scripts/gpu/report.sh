#!/usr/bin/env bash
# Build the HTML report from every results store a GPU session produced, into OUTDIR/report-site.
#   bash scripts/gpu/report.sh [RESULTS] [OUTDIR]   (defaults: results/, then $OUT, else report-site's parent .)
# Run it after the GPU scripts that measure (gemm_*_ladder.sh, paged_attention.sh, ...): it measures
# nothing itself, so every figure in the site is a stored record. Then commit results/ and run
# `nox -s report` anywhere to rebuild the same site.
set -u
results=${1:-results}
out=${2:-${OUT:-.}}
mkdir -p "$out"
kernbench report "$results" -o "$out/report-site" --title "kernbench results (GPU session)" \
  > "$out/report.log" 2>&1
echo "kernbench report: exit $?"; cat "$out/report.log"
