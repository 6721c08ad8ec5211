#!/usr/bin/env bash
# Run ON the GPU machine, after `source scripts/gpu/setup.sh`:
#   bash scripts/gpu/paged_attention.sh [OUTDIR] [PRESET ...]
#     OUTDIR  default: $OUT, else results/gpu-paged-attention
#     PRESET  paged_attention presets to bench (default: llama3-8b shared-prefix mixed);
#             the others are llama2-7b, 70b-tp, block-sizes. MAX_TIME=seconds per candidate (default 1).
# 1. the attention tests, GPU ones included (bf16 and fp16 against the float64 reference);
# 2. `kernbench calibrate`: the copy bandwidth this GPU really reaches (the 85% target's denominator);
# 3. `kernbench bench paged_attention` per preset, cold L2, bf16, every variant beside torch_sdpa
#    and torch_flex (FlexAttention compiles once per shape inside the gate, not in the timing);
# 4. every stored record as CSV (bytes of the cost model, median, quantiles, provenance).
# Everything lands in one results store under OUTDIR; each step prints its exit code.
set -uo pipefail
out=${1:-${OUT:-results/gpu-paged-attention}}
shift $(( $# > 0 ? 1 : 0 ))
presets=("$@")
[ ${#presets[@]} -eq 0 ] && presets=(llama3-8b shared-prefix mixed)
mkdir -p "$out"

python3 -m pytest -o addopts= -q -m gpu -p no:cacheprovider tests/kernels/attention > "$out/pytest.log" 2>&1
echo "attention tests (GPU tests included): exit $?"
tail -3 "$out/pytest.log"

kernbench calibrate --out "$out" > "$out/calibrate.log" 2>&1
echo "calibrate: exit $?"

for preset in "${presets[@]}"; do
  kernbench bench paged_attention --device cuda --dtype bf16 --cache cold -s "preset:$preset" \
    --max-time "${MAX_TIME:-1}" --out "$out" > "$out/bench-$preset.log" 2>&1
  echo "bench $preset: exit $?"
done

kernbench results --out "$out" --format csv -o "$out/records.csv" > /dev/null 2>&1
echo "results csv: exit $?"
