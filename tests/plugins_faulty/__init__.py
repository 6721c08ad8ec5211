"""A tiny test plugin whose variants misbehave on purpose: isolation and gate tests use it.

Registered by reference (``registry.add_reference("tests.plugins_faulty:PLUGIN")``), never
through an entry point, so it is invisible to users.
"""

from kernbench.registry import Plugin

PLUGIN = Plugin(
    families=("tests.plugins_faulty.family:TOY",),
    variants={
        "toy_torch": "tests.plugins_faulty.good:build",
        "toy_faulty": "tests.plugins_faulty.faulty:build",
        "toy_triton_faulty": "tests.plugins_faulty.triton_faulty:build",
        "toy_exit": "tests.plugins_faulty.exits:build",
    },
)

BROKEN = Plugin(
    families=("tests.plugins_faulty.family:TOY",),
    variants={
        "toy_torch": "tests.plugins_faulty.good:build",
        # a typo in the build function's name in the plugin table
        "toy_typo": "tests.plugins_faulty.good:biuld",
        "toy_bad_default": "tests.plugins_faulty.broken_default:build",
    },
)
"""Variants that fail to load, beside one that loads: the one-line error tests use it."""

IDLE = Plugin(
    families=("tests.plugins_faulty.family:TOY",),
    variants={"toy_idle_knob": "tests.plugins_faulty.triton_idle:build"},
)
"""A variant with a config parameter that never reaches its kernel (a load-time warning)."""
