"""Entry point: parse the command line, run one command, map failures to exit codes.

Exit codes: 0 success, 1 a check failed (a failed candidate in bench, no correct config in
tune, a regression in compare), 2 bad usage or bad input, always with one clear line and no
traceback. Each command's --help says its own rule.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from typing import NoReturn

from ..errors import CheckFailed, UsageError

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


def main(argv: Sequence[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
        return int(args._run(args))
    except UsageError as exc:
        print(f"kernbench: error: {exc}", file=sys.stderr)
        return UsageError.exit_code
    except CheckFailed as exc:
        print(f"kernbench: {exc}", file=sys.stderr)
        return CheckFailed.exit_code
    except KeyboardInterrupt:
        print("kernbench: interrupted; everything measured so far is stored", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
