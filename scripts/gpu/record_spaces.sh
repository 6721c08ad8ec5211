#!/usr/bin/env bash
# Record GPU config spaces for replay and `kernbench tune-eval`, then evaluate the samplers.
# Usage: scripts/gpu/record_spaces.sh [OUT_DIR]   (default: $OUT, else results/)
# Writes OUT_DIR/spaces/*.json (commit them to results/spaces/ after review) and
# OUT_DIR/tune_eval/search_efficiency_*.json. Every number comes from the harness on this GPU.
set -euo pipefail
OUT_DIR="${1:-${OUT:-results}}"
KB="${KB:-.venv/bin/kernbench}"
[ -x "$KB" ] || KB=kernbench   # the GPU machine has no .venv: setup.sh puts kernbench on PATH
JOBS="${JOBS:-$(nproc)}"
mkdir -p "$OUT_DIR/spaces"
"$KB" env || true

sweep() {  # FAMILY VARIANT SHAPE NAME
  "$KB" sweep "$1" --variant "$2" --shape "$3" --dtype bf16 --device cuda --jobs "$JOBS" \
    --min-time 0.05 --max-time 1 --out "$OUT_DIR" -o "$OUT_DIR/spaces/$4.json"
}
# Spaces of 500+ valid configs at shapes where tuning matters. A short minimum sampling time
# (the 1% CI target still applies) keeps thousands of configs within a few device calls.
sweep gemm triton_pipelined 4096x4096x4096 gemm_triton_pipelined_h100
sweep paged_attention triton_split_kv batch=16,context=4096,q_heads=32,kv_heads=8,head_dim=128,block_size=16 \
  attention_triton_split_kv_h100

"$KB" tune-eval --space "$OUT_DIR/spaces/gemm_triton_pipelined_h100.json" \
  --space "$OUT_DIR/spaces/attention_triton_split_kv_h100.json" \
  --sampler tpe --sampler random --sampler gp --seeds 20 --budget-fraction 0.1 --out "$OUT_DIR"
