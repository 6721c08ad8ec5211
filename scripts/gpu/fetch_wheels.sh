#!/usr/bin/env bash
# Run HERE (a machine with PyPI), before a GPU session: downloads the wheels the GPU image lacks
# into .whl/ (ignored by git), for the device tool to carry (`carry: [".whl"]`).
set -euo pipefail
cd "$(dirname "$0")/../.."
grep -qx '/.whl/' .git/info/exclude 2>/dev/null || echo /.whl/ >> .git/info/exclude
platforms=(--platform manylinux_2_28_x86_64 --platform manylinux_2_27_x86_64 --platform manylinux_2_17_x86_64
           --platform manylinux2014_x86_64 --platform manylinux1_x86_64 --platform manylinux_2_24_x86_64
           --platform manylinux_2_31_x86_64 --platform manylinux_2_34_x86_64 --platform manylinux_2_35_x86_64)
# optuna and its needs, CUTLASS headers, plotly for the report.
for spec in optuna==5.0.0 sqlalchemy==2.1.9 alembic colorlog mako greenlet nvidia-cutlass==4.2.0.0 plotly; do
  python3 -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
    "${platforms[@]}" -d .whl "$spec"
done
du -sh .whl
