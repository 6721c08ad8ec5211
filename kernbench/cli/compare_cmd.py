"""Compare a candidate run with a baseline on raw samples; exit 1 on a significant slow-down."""

from __future__ import annotations

import argparse
from pathlib import Path

from .. import config
from ..analyse import compare_format
from ..analyse.compare import MATCH_MODES, compare
from ..analyse.counted import parse_tolerances
from ..analyse.sources import load
from ..errors import UsageError
from .common import add_store, console

EPILOG = """\
exit status:
  0  no regression
  1  a regression: a slow-down that is significant and beyond its threshold, or (emulated
     records) a counted metric that moved the wrong way beyond its tolerance
  2  bad usage or input (a missing store or baseline, different GPUs without --force)

CI: kernbench baseline save main (on the main branch), then kernbench compare baseline:main
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sources = (
        "a results store (dir, .sqlite3 file or URL), baseline:NAME (saved under --store), "
        "a baseline .json file or pytest-benchmark JSON"
    )
    parser.add_argument("baseline", help=sources)
    parser.add_argument(
        "candidate", nargs="?", default=None, help="the same kinds as baseline (default: --store)"
    )
    parser.add_argument(
        "--threshold",
        default=None,
        help="default slow-down that counts, e.g. 5%% (per-name values in "
        "[tool.kernbench.thresholds] still apply)",
    )
    parser.add_argument(
        "--alpha",
        type=float,
        default=None,
        help="Mann-Whitney p-value under which a change is significant (default 0.002)",
    )
    parser.add_argument(
        "--confidence",
        type=float,
        default=0.99,
        help="confidence level of the ratio's bootstrap interval (default 0.99)",
    )
    parser.add_argument(
        "--match",
        choices=MATCH_MODES,
        default="config",
        help="pair records with the same config, or the best ok config of each "
        "(variant, problem, dtype) on each side",
    )
    parser.add_argument("--format", default="table", choices=compare_format.FORMATS)
    parser.add_argument(
        "--report-url", default=None, help="link to the full report in the markdown summary"
    )
    parser.add_argument(
        "-o",
        "--output",
        type=Path,
        default=None,
        help="also write the markdown or JSON output to this file",
    )
    parser.add_argument(
        "--counter-tolerance",
        action="append",
        default=None,
        metavar="[NAME=]PCT",
        help="emulated records are gated on their exact counts; allow this relative change "
        "the wrong way (5%% for every counted metric, or NAME=5%% for one; repeatable)",
    )
    parser.add_argument(
        "--force", action="store_true", help="compare records from different GPUs or drivers anyway"
    )
    add_store(parser)


def run(args: argparse.Namespace) -> int:
    if not 0.5 <= args.confidence < 1:
        raise UsageError(f"--confidence {args.confidence} must be between 0.5 and 1")
    if args.output and args.format == "table":
        raise UsageError("-o needs --format markdown or json")
    gate = config.load().with_overrides(args.threshold, args.alpha)
    base = load(args.baseline, args.out)
    cand = load(str(args.candidate or args.out), args.out)
    result = compare(
        base.records,
        cand.records,
        gate,
        mode=args.match,
        force=args.force,
        confidence=args.confidence,
        counter_tolerances=parse_tolerances(args.counter_tolerance),
    )
    if args.format == "table":
        console.print(compare_format.table(result, base.label, cand.label))
        return result.exit_code
    if args.format == "markdown":
        text = compare_format.markdown(result, base.label, cand.label, args.report_url)
    else:
        text = compare_format.to_json(result, base.label, cand.label, args.report_url)
    print(text)
    if args.output:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(text + "\n", encoding="utf-8")
    return result.exit_code
