#!/usr/bin/env bash
# Run ON the GPU machine, after `source scripts/gpu/setup.sh`:
#   bash scripts/gpu/gemm_cuda_ladder.sh [OUTDIR] [STAGE ...]
#     OUTDIR  default: $OUT, else results/gpu-gemm-cuda-ladder
#     STAGE   any of: tests bench tune-bf16 tune-fp16 tune-hopper csv (default: all, in that order). Each
#             stage is meant to fit one 10-minute device call; a tune stage that is cut off
#             resumes its studies when run again with the same OUTDIR.
#   Env: TRIALS (unique configs per study of steps 3-7; default 12), TRIALS_SIMT (steps 1-2,
#        default 3), STUDY_TIMEOUT (seconds per study; default 30), MAX_TIME (s per candidate, 1),
#        KERNBENCH_CUDA_COMPILER (nvrtc or nvcc; default: NVRTC if usable, else nvcc).
# 1. tests:     the CUDA backend and ladder tests of steps 1-10, GPU ones included (every step
#               correct in bf16 and fp16 on square and irregular shapes, through the harness's
#               gate); only `-m gpu` tests: host-only checks (the CuTe descriptor build) run here, not there;
# 2. bench:     `kernbench bench gemm` of steps 1-10 at their defaults at 4096^3 and 8192^3, bf16
#               and fp16, beside torch_matmul (cuBLAS) and CUTLASS where its variants load;
# 3. tune-bf16: `kernbench tune` every step at 4096^3 and 8192^3 in bf16, baselines in the same run;
# 4. tune-fp16: the same in fp16;
# 4b. tune-hopper: steps 8-10 (sm_90a: wgmma, warp specialisation, persistent clusters) in
#               bf16 and fp16 at both shapes, cuBLAS measured in the same run (bench covers them too);
# 5. csv:       every stored record as CSV (median, quantiles, config, resources, provenance).
# Everything lands in one results store under OUTDIR. Nothing here writes a number by hand:
# every figure comes from the harness measuring on this GPU.
set -uo pipefail
out=${1:-${OUT:-results/gpu-gemm-cuda-ladder}}
shift $(( $# > 0 ? 1 : 0 ))
stages=("$@")
[ ${#stages[@]} -eq 0 ] && stages=(tests bench tune-bf16 tune-fp16 tune-hopper csv)
mkdir -p "$out"
simt=(-v cuda_naive -v cuda_smem_simt)
mma=(-v cuda_mma -v cuda_vectorized -v cuda_cp_async -v cuda_ldmatrix -v cuda_tuned)
hopper=(-v cuda_wgmma -v cuda_ws -v cuda_persistent)
shapes=(-s 4096x4096x4096 -s 8192x8192x8192)
baselines=(-v torch_matmul)
for cutlass in cutlass_sm90 cutlass_sm80; do  # CUTLASS beside cuBLAS when its variants load here
  if python3 -c "from kernbench.registry import Registry; Registry.discover().variant('$cutlass')" 2>/dev/null; then
    baselines+=(-v "$cutlass")
  fi
done
echo "baselines: ${baselines[*]}"
common=(--device cuda --max-time "${MAX_TIME:-1}" --out "$out")

study() {  # DTYPE LABEL TRIALS TAIL_LINES VARIANT_ARGS...: one `kernbench tune` run, logged
  local dtype=$1 label=$2 trials=$3 lines=$4; shift 4
  kernbench tune gemm "${common[@]}" --dtype "$dtype" "${shapes[@]}" "$@" \
    --trials "$trials" --timeout "${STUDY_TIMEOUT:-30}" > "$out/tune-$dtype-$label.log" 2>&1
  echo "tune $dtype $label: exit $?"; tail -"$lines" "$out/tune-$dtype-$label.log"
}

tune() {  # dtype: steps 1-2, then steps 3-7 beside the baselines
  study "$1" simt "${TRIALS_SIMT:-3}" 12 "${simt[@]}"
  study "$1" mma "${TRIALS:-12}" 30 "${mma[@]}" "${baselines[@]}"
}

for stage in "${stages[@]}"; do
  case "$stage" in
    tests)
      python3 -m pytest -o addopts= -q -m gpu -p no:cacheprovider -rs tests/backends/test_cuda.py \
        tests/kernels/gemm/test_cuda_ladder.py tests/kernels/gemm/test_cuda_hopper.py > "$out/pytest-cuda.log" 2>&1
      echo "cuda backend + ladder tests, steps 1-10 (GPU tests included): exit $?"
      tail -25 "$out/pytest-cuda.log" ;;
    bench)
      for dtype in bf16 fp16; do
        kernbench bench gemm "${common[@]}" --dtype "$dtype" "${shapes[@]}" --no-baselines \
          "${simt[@]}" "${mma[@]}" "${hopper[@]}" "${baselines[@]}" > "$out/bench-$dtype.log" 2>&1
        echo "bench $dtype: exit $?"; cat "$out/bench-$dtype.log"
      done ;;
    tune-bf16) tune bf16 ;;
    tune-fp16) tune fp16 ;;
    tune-hopper)
      for dtype in bf16 fp16; do study "$dtype" hopper "${TRIALS:-12}" 20 "${hopper[@]}"; done ;;
    csv)
      kernbench results --out "$out" --family gemm --format csv -o "$out/records.csv" > /dev/null 2>&1
      echo "results csv: exit $?" ;;
    *) echo "unknown stage $stage (tests bench tune-bf16 tune-fp16 tune-hopper csv)"; exit 2 ;;
  esac
done
