#!/usr/bin/env bash
# Tune the CUTLASS baselines beside cuBLAS (torch_matmul, measured in the same runs) at 4096^3
# and 8192^3 in bf16 and fp16 on an H100, and check the CUTLASS and Hopper-ladder kernels
# against the reference first. Every number comes from kernbench's own measurement path and
# lands in the results store of OUTDIR with its provenance; nothing is typed in.
#
#   scripts/gpu/gemm_cutlass.sh [OUTDIR] [PHASE]
#
# OUTDIR defaults to $OUT, else results/. PHASE is one of
#   build  compile every cutlass_sm90 config for bf16 and fp16 (no GPU needed: run it on the
#          CPU host with KERNBENCH_CUDA_CACHE=build/kb-cuda-cache and carry that folder, so the
#          GPU session spends no device time in nvcc; about 1 min of nvcc per library)
#   check  the GPU tests of the CUTLASS baselines and ladder steps 8-10
#   tune   the tuning runs (each config that is not in the cache is built on first use)
#   all    build, check, tune (default)
set -euo pipefail
cd "$(dirname "$0")/../.."
OUTDIR=${1:-${OUT:-results}}
PHASE=${2:-all}
PY=${PY:-.venv/bin/python}
KB=${KB:-.venv/bin/kernbench}
[ -x "$PY" ] || PY=python3     # the GPU machine has no .venv: setup.sh puts kernbench on PATH
[ -x "$KB" ] || KB=kernbench
TRIALS=${TRIALS:-24}
JOBS=${JOBS:-$(nproc)}
mkdir -p "$OUTDIR"

if [[ $PHASE == build || $PHASE == all ]]; then
  "$PY" -m kernbench_kernels.gemm.cutlass_prebuild --dtype bf16 --dtype fp16 --jobs "$JOBS" \
    2>&1 | tee "$OUTDIR/cutlass_prebuild.log"
fi

if [[ $PHASE == check || $PHASE == all ]]; then
  "$PY" -m pytest -o addopts= tests/kernels/gemm/test_cutlass.py tests/kernels/gemm/test_cuda_hopper.py \
    -q -m gpu -p no:cacheprovider 2>&1 | tee "$OUTDIR/cutlass_hopper_gpu_tests.log"
fi

if [[ $PHASE == tune || $PHASE == all ]]; then
  "$PY" -c "import json; from kernbench_kernels.gemm.torch_matmul import blas_settings; \
print(json.dumps(blas_settings(), indent=1))" > "$OUTDIR/cublas_settings.json"
  for dtype in bf16 fp16; do
    # torch_matmul (cuBLAS) has no space: kernbench tune measures it beside each study.
    "$KB" tune gemm -v cutlass_sm90 -s 4096x4096x4096 -s 8192x8192x8192 --dtype "$dtype" \
      --trials "$TRIALS" --out "$OUTDIR" 2>&1 | tee -a "$OUTDIR/cutlass_tune.log"
  done
  "$KB" results --family gemm --out "$OUTDIR" 2>&1 | tee "$OUTDIR/cutlass_results.txt"
fi
