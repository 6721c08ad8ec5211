#!/usr/bin/env bash
# Run ON the GPU machine (H100/H200), after `source scripts/gpu/setup.sh`:
#   bash scripts/gpu/gemm_hopper_checks.sh [OUTDIR]      (default: $OUT, else results/gpu-hopper-checks)
# The correctness checks of CUDA ladder steps 8-10 (wgmma, TMA, warp specialisation, clusters),
# which have never run on a GPU before: the host check of their wgmma descriptors against CuTe
# (skipped with a reason if nvcc or the CUTLASS headers are missing), then every step at its
# default and corner configs against the reference in bf16 and fp16, launched twice each.
# It measures nothing; the pytest log and its exit status are the result.
set -uo pipefail
out=${1:-${OUT:-results/gpu-hopper-checks}}
mkdir -p "$out"
python3 -m pytest -q -p no:cacheprovider -rs tests/kernels/gemm/test_wgmma_descriptors.py \
  tests/kernels/gemm/test_cuda_hopper.py > "$out/pytest-hopper.log" 2>&1
status=$?
echo "steps 8-10 descriptor + GPU correctness tests: exit $status"
tail -25 "$out/pytest-hopper.log"
exit $status
