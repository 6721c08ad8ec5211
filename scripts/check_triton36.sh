#!/usr/bin/env bash
# Check the Triton kernels and backend against triton 3.6 (what the H100 machine has) on a
# machine without a GPU: the sm_90 static compile through triton.compile and correctness
# under TRITON_INTERPRET=1. Creates the venv on first use; never touches the project's .venv.
#   bash scripts/check_triton36.sh            # venv in /tmp/venv36 (VENV=... to change)
# numpy < 2.3 as tested: triton 3.6's interpreter breaks on numpy 2.4 (2.3.5 still works);
# under numpy 2.4 every Triton build is refused as Unsupported with that reason.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-/tmp/venv36}
if [ ! -x "$VENV/bin/python" ] || ! "$VENV/bin/python" -c 'import triton, kernbench' 2>/dev/null; then
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install -q torch==2.13.0 'triton==3.6.0' 'numpy<2.3'
    "$VENV/bin/pip" install -q -e '.[dev]'
fi
"$VENV/bin/python" -c 'import triton, numpy; print("triton", triton.__version__, "numpy", numpy.__version__)'
# Separate caches, so 3.6 artifacts never mix with another version's (the kernbench key has
# the triton version too; this keeps the run honest: everything is compiled afresh).
export TRITON_CACHE_DIR=${TRITON_CACHE_DIR:-/tmp/triton36-cache}
export KERNBENCH_CACHE=${KERNBENCH_CACHE:-/tmp/kb36-cache}
"$VENV/bin/python" -m pytest -x -q -p no:cacheprovider -W ignore::DeprecationWarning \
    tests/backends/test_triton.py tests/backends/test_triton_interpreter.py \
    tests/kernels/gemm/test_triton_ladder.py tests/kernels/gemm/test_triton_tma_versions.py \
    tests/kernels/attention tests/tune/test_static_sm90.py \
    tests/measure/test_timers.py tests/test_registry.py tests/cli/test_walkthrough.py "$@"
