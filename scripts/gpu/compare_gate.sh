#!/usr/bin/env bash
# Run ON the GPU machine, after `source scripts/gpu/setup.sh`:
#   bash scripts/gpu/compare_gate.sh [OUTDIR]      (default: $OUT, else results/gpu-compare)
# Checks the regression gate on real GPU timings (needs pytest-benchmark and py-cpuinfo installed):
#   1. the same kernels benched twice: `kernbench compare` must not call that a regression
#      (exit 0); the markdown and JSON verdicts are written for reading, not invented;
#   2. the GPU tests of the gate and the pytest plugin (CUDA-event timing, and
#      --benchmark-compare-fail tripping on an injected 2x slow-down).
# Writes at most 7 files under OUTDIR; prints each step's exit code.
set -uo pipefail
out=${1:-${OUT:-results/gpu-compare}}
mkdir -p "$out"
bench=(gemm --device cuda -v torch_matmul -v triton_naive -s 4096x4096x4096 -s 1024x1024x1024 --no-isolate)

kernbench bench "${bench[@]}" --out "$out/a" > "$out/bench.log" 2>&1
echo "bench a: exit $?"
kernbench baseline save main --out "$out/a" >> "$out/bench.log" 2>&1
echo "baseline save: exit $?"
kernbench bench "${bench[@]}" --out "$out/b" >> "$out/bench.log" 2>&1
echo "bench b: exit $?"
kernbench compare baseline:main "$out/b" --out "$out/a" --format markdown -o "$out/compare_same.md" > /dev/null
echo "compare same code (expect 0): exit $?"
kernbench compare baseline:main "$out/b" --out "$out/a" --format json -o "$out/compare_same.json" > /dev/null
echo "compare json: exit $?"
cat "$out/compare_same.md" 2>/dev/null

python3 -m pytest -o addopts= -q -m gpu -p no:cacheprovider tests/test_pytest_plugin.py tests/analyse/test_compare.py \
  tests/cli/test_compare_cmd.py > "$out/pytest.log" 2>&1
echo "gate and plugin tests (GPU test included): exit $?"
tail -5 "$out/pytest.log"
