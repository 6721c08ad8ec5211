"""Entry point: parse the command line, run one command, map failures to exit codes.

Exit codes: 0 success, 1 a check failed (a failed candidate in bench, no correct config in
tune, a regression in compare), 2 bad usage or bad input, always with one clear line and no
traceback; 130 after Ctrl-C and 143 after SIGTERM, both handled alike (what was measured is
kept, nothing is left running). Each command's --help says its own rule.
"""

from __future__ import annotations

import argparse
import importlib
import signal
import sys
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from types import FrameType
from typing import NoReturn

from ..errors import CheckFailed, Terminated, UsageError

COMMANDS: dict[str, str] = {
    "env": "kernbench.cli.env_cmd",
    "list": "kernbench.cli.list_cmd",
    "bench": "kernbench.cli.bench_cmd",
    "tune": "kernbench.cli.tune_cmd",
    "sweep": "kernbench.cli.sweep_cmd",
    "tune-eval": "kernbench.cli.tune_eval_cmd",
    "export": "kernbench.cli.export_cmd",
    "results": "kernbench.cli.results_cmd",
    "calibrate": "kernbench.cli.calibrate_cmd",
    "report": "kernbench.cli.report_cmd",
    "compare": "kernbench.cli.compare_cmd",
    "baseline": "kernbench.cli.baseline_cmd",
}
"""Command name -> module with ``add_arguments(parser)`` and ``run(args) -> int``."""


class Parser(argparse.ArgumentParser):
    """argparse that reports bad usage as one line and exit code 2."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{self.prog}: {message}")


def build_parser() -> Parser:
    parser = Parser(prog="kernbench", description="Benchmark and autotune CUDA and Triton kernels.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    sub.required = True
    for name, module_name in COMMANDS.items():
        module = importlib.import_module(module_name)
        doc = (module.__doc__ or "").strip().splitlines()[0]
        cmd = sub.add_parser(
            name,
            help=doc,
            description=doc,
            epilog=getattr(module, "EPILOG", None),
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        module.add_arguments(cmd)
        cmd.set_defaults(_run=module.run)
    return parser


def _terminate(signum: int, frame: FrameType | None) -> None:
    # Once is enough: ``timeout`` signals the command and then its whole group, so a second
    # SIGTERM follows at once and must not break into the clean-up the first one started.
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    raise Terminated


@contextmanager
def sigterm_as_interrupt() -> Iterator[None]:
    """While a command runs in the main thread, SIGTERM raises :class:`Terminated` (a
    KeyboardInterrupt): a ``timeout`` or a CI runner's stop ends it as cleanly as Ctrl-C."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, _terminate)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def main(argv: Sequence[str] | None = None) -> int:
    try:
        with sigterm_as_interrupt():
            args = build_parser().parse_args(argv)
            return int(args._run(args))
    except UsageError as exc:
        print(f"kernbench: error: {exc}", file=sys.stderr)
        return UsageError.exit_code
    except CheckFailed as exc:
        print(f"kernbench: {exc}", file=sys.stderr)
        return CheckFailed.exit_code
    except Terminated:
        print("kernbench: terminated; everything measured so far is stored", file=sys.stderr)
        return Terminated.exit_code
    except KeyboardInterrupt:
        print("kernbench: interrupted; everything measured so far is stored", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
