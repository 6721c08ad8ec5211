#!/usr/bin/env bash
# Run ON the GPU machine, after `source scripts/gpu/setup.sh`:
#   bash scripts/gpu/gemm_triton_ladder.sh [OUTDIR] [STAGE ...]
#     OUTDIR  default: $OUT, else results/gpu-gemm-triton-ladder
#     STAGE   any of: tests bench square llm csv (default: all five, in that order). Each stage
#             fits one 10-minute device call; a tune stage that is cut off resumes its studies
#             when run again with the same OUTDIR.
#   Env: TRIALS (unique configs per study; default 12 for square, 6 for llm),
#        STUDY_TIMEOUT (seconds per study; default 75 square, 12 llm), MAX_TIME (s per candidate, 1).
# 1. tests:  the GEMM tests, GPU ones included (bf16 ladder and TMA against the float64 reference);
# 2. bench:  `kernbench bench gemm` of the ladder's default configs at 8192^3 bf16 beside
#            torch_matmul (cuBLAS) only, so "% baseline" in the table is "% of cuBLAS";
# 3. square: `kernbench tune` every Triton step at 8192x8192x8192 bf16, cuBLAS measured in the same run;
# 4. llm:    the same over preset llm-sample (Llama-3-8B QKV and down projections at M = 1, 128, 4096);
# 5. csv:    every stored record as CSV (median, quantiles, config, resources, provenance).
# Everything lands in one results store under OUTDIR; each step prints its exit code. Nothing
# here writes a number by hand: every figure comes from the harness measuring on this GPU.
set -uo pipefail
out=${1:-${OUT:-results/gpu-gemm-triton-ladder}}
shift $(( $# > 0 ? 1 : 0 ))
stages=("$@")
[ ${#stages[@]} -eq 0 ] && stages=(tests bench square llm csv)
mkdir -p "$out"
ladder=(-v triton_naive -v triton_grouped -v triton_pipelined -v triton_splitk -v triton_persistent -v triton_tma)
common=(--device cuda --dtype bf16 --max-time "${MAX_TIME:-1}" --out "$out")

for stage in "${stages[@]}"; do
  case "$stage" in
    tests)
      python3 -m pytest -o addopts= -q -m gpu -p no:cacheprovider tests/kernels/gemm/test_family.py \
        tests/kernels/gemm/test_triton_ladder.py tests/backends/test_triton.py > "$out/pytest.log" 2>&1
      echo "gemm triton tests (GPU tests included): exit $?"; tail -3 "$out/pytest.log" ;;
    bench)
      kernbench bench gemm "${common[@]}" -s 8192x8192x8192 --no-baselines "${ladder[@]}" -v torch_matmul \
        > "$out/bench-8192.log" 2>&1
      echo "bench 8192^3: exit $?"; cat "$out/bench-8192.log" ;;
    square)
      kernbench tune gemm "${common[@]}" -s 8192x8192x8192 "${ladder[@]}" --trials "${TRIALS:-12}" \
        --timeout "${STUDY_TIMEOUT:-75}" > "$out/tune-8192.log" 2>&1
      echo "tune 8192^3: exit $?"; tail -25 "$out/tune-8192.log" ;;
    llm)
      kernbench tune gemm "${common[@]}" -s preset:llm-sample "${ladder[@]}" --trials "${TRIALS:-6}" \
        --timeout "${STUDY_TIMEOUT:-12}" > "$out/tune-llm.log" 2>&1
      echo "tune llm-sample: exit $?"; tail -50 "$out/tune-llm.log" ;;
    csv)
      kernbench results --out "$out" --family gemm --format csv -o "$out/records.csv" > /dev/null 2>&1
      echo "results csv: exit $?" ;;
    *) echo "unknown stage $stage (tests bench square llm csv)"; exit 2 ;;
  esac
done
