"""Run by test_isolation in a subprocess: store two records, then hang in the worker.

The test then interrupts or kills this process and checks the store and the worker.
Arguments: results directory, pid file for the hanging worker.
"""

from __future__ import annotations

import os
import signal
import sys
from dataclasses import replace


def main() -> int:
    out_dir, pidfile = sys.argv[1], sys.argv[2]
    # A terminal's foreground process takes Ctrl-C; a CI runner that started the suite in the
    # background may hand its children SIGINT ignored, so restore what a user's shell gives.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    os.environ["KERNBENCH_TOY_PIDFILE"] = pidfile

    from kernbench import device as devices
    from kernbench.cli.main import sigterm_as_interrupt
    from kernbench.errors import Terminated
    from kernbench.measure.settings import QUICK
    from kernbench.measure.worker import ProcessRunner
    from kernbench.pipeline import Session
    from kernbench.registry import Registry
    from kernbench.store import open_store

    device = devices.activate("cpu")
    registry = Registry.discover()
    registry.add_reference("tests.plugins_faulty:PLUGIN")
    settings = replace(QUICK, timeout_s=600)
    runner = ProcessRunner(device, settings, registry.references)
    session = Session(registry, device, open_store(out_dir), runner, settings)
    family, variant = registry.family("toy"), registry.variant("toy_faulty")
    problem = family.parse("n=256")
    try:
        with sigterm_as_interrupt(), runner:  # as ``kernbench``'s main does
            for mode in ("ok", "half", "hang"):
                session.evaluate(family, variant, problem, "fp32", {"mode": mode})
                print(f"stored {mode}", flush=True)
    except Terminated:
        print("terminated", flush=True)
        return Terminated.exit_code
    except KeyboardInterrupt:
        print("interrupted", flush=True)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
