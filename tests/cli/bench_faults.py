"""Toy variants whose default config fails, so a plain ``kernbench bench`` meets real failures.

Registered by reference only (``tests.cli.bench_faults:PLUGIN``); the faults are the ones of
``tests/plugins_faulty`` (a half-written output, an abort), picked by the default config.
"""

from __future__ import annotations

from dataclasses import replace

from kernbench.registry import Plugin
from tests.plugins_faulty import faulty

TOY_HALF = replace(faulty.build, name="toy_half", defaults=({"mode": "half"},))
TOY_ABORT = replace(faulty.build, name="toy_abort", defaults=({"mode": "abort"},))

PLUGIN = Plugin(
    families=("tests.plugins_faulty.family:TOY",),
    variants={
        "toy_torch": "tests.plugins_faulty.good:build",
        "toy_half": "tests.cli.bench_faults:TOY_HALF",
        "toy_abort": "tests.cli.bench_faults:TOY_ABORT",
    },
)
