"""The GPU scripts are plain files, not a package: put their folder on the path once."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
GPU_SCRIPTS = ROOT / "scripts" / "gpu"
if str(GPU_SCRIPTS) not in sys.path:
    sys.path.insert(0, str(GPU_SCRIPTS))
