#!/usr/bin/env bash
# Run ON the GPU machine first in every device call (source it: it exports PYTHONPATH and PATH).
# Installs the carried wheels and kernbench itself (no network there) into /tmp/site.
set -eo pipefail
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl
python3 -m pip install -q --no-index --no-deps --no-build-isolation --no-cache-dir --upgrade --target /tmp/site .
export PYTHONPATH=/tmp/site:$PWD
export PATH=/tmp/site/bin:$PATH
python3 -c "import kernbench, optuna, torch; print('kernbench ready; torch', torch.__version__, 'cuda', torch.cuda.is_available())"
