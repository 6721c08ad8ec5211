#!/usr/bin/env bash
# Run HERE after a GPU call: file what came back under results/h200/NAME, unedited, with a
# README that names the commands that made it.
#   bash scripts/gpu/keep_results.sh FILES_AT NAME 'run(command="...", carry=[...], timeout_s=...)'
# FILES_AT is the folder the device tool put the returned files in; NAME e.g. first-light-20261201.
set -euo pipefail
cd "$(dirname "$0")/../.."
if [ $# -ne 3 ]; then
  echo "usage: keep_results.sh FILES_AT NAME 'RUN_CALL'" >&2; exit 2
fi
src=$1; name=$2; call=$3
[ -d "$src" ] || { echo "keep_results.sh: no folder $src" >&2; exit 2; }
dest=results/h200/$name
[ -e "$dest" ] && { echo "keep_results.sh: $dest exists (never overwrite results)" >&2; exit 2; }
mkdir -p "$dest"
find "$src" -type f -exec cp -p {} "$dest"/ \;
compiler=$(python3 -c "import json; print(json.load(open('.gpu-carry/manifest.json'))['compiler'])" 2>/dev/null || echo unknown)
{
  echo "# $name"
  echo
  echo "Returned by one device call on the lent H200, copied here unedited."
  echo
  echo "- commit: $(git rev-parse HEAD)"
  echo "- filed: $(date -u +%Y-%m-%dT%H:%MZ)"
  echo "- prepared here with: \`bash scripts/gpu/prepare.sh\` (prebuilt with $compiler)"
  echo "- device call: \`$call\`"
  echo
  echo "Files: $(cd "$dest" && ls | grep -v README.md | tr '\n' ' ')"
  echo
  echo "Rebuild the report: \`kernbench report results/h200 -o report-site\`."
} > "$dest/README.md"
echo "filed under $dest: review, then git add $dest"
