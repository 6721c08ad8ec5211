#!/usr/bin/env bash
# Run ON the GPU machine first in every device call (source it: it exports PYTHONPATH, PATH
# and the CUDA cache). Installs the carried wheels and kernbench itself (no network there) into
# /tmp/site, then seeds a fresh CUDA cache from the carry folder and says which prebuilt
# artefacts match this machine (the rest are rebuilt here, and the log names them).
#   source scripts/gpu/setup.sh [CARRY]      (default .gpu-carry, else the older .whl)
carry=${1:-.gpu-carry}
wheels=$carry/wheels
[ -d "$wheels" ] || wheels=.whl
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site "$wheels"/*.whl
python3 -m pip install -q --no-index --no-deps --no-build-isolation --no-cache-dir --upgrade --target /tmp/site .
export PYTHONPATH=/tmp/site:$PWD
export PATH=/tmp/site/bin:$PATH
export KERNBENCH_CUDA_CACHE=${KERNBENCH_CUDA_CACHE:-/tmp/kernbench-cuda}
export KERNBENCH_CUDA_COMPILER=${KERNBENCH_CUDA_COMPILER:-nvcc}  # what prepare.sh built with
# Prebuilt CUTLASS libraries link the shared CUDA runtime: find this machine's, wherever nvcc lives.
nvcc_home=$(dirname "$(dirname "$(readlink -f "$(command -v nvcc)")")" 2>/dev/null)
[ -n "$nvcc_home" ] && export LD_LIBRARY_PATH=$nvcc_home/lib64:$nvcc_home/lib:${LD_LIBRARY_PATH:-}
mkdir -p "$KERNBENCH_CUDA_CACHE"
[ -d "$carry/cuda-cache" ] && python3 scripts/gpu/carry.py seed "$carry" --cache "$KERNBENCH_CUDA_CACHE"
python3 -c "import kernbench, optuna, torch; print('kernbench ready; torch', torch.__version__, 'cuda', torch.cuda.is_available())"
