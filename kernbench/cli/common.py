"""Options and set-up shared by the commands that measure."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from rich import box
from rich.console import Console, RenderableType
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from .. import device as devices
from ..device import Device
from ..errors import UsageError
from ..family import Family
from ..measure.settings import QUICK, MeasureSettings
from ..problem import Problem
from ..registry import Registry
from ..variant import Variant

if TYPE_CHECKING:
    from ..pipeline import Session


def _width(stream: TextIO) -> int | None:
    """The terminal's width, or COLUMNS where set (rich reads both); other piped output gets
    200 columns, so wide tables stay whole rather than folding to rich's 80."""
    return None if stream.isatty() or "COLUMNS" in os.environ else 200


console = Console(width=_width(sys.stdout))
err_console = Console(stderr=True, width=_width(sys.stderr))


def add_device(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--device",
        default="auto",
        help=(
            "cuda, cpu (Triton interpreter), emu or emu:sm_90a (CUDA kernels on the PTX "
            "emulator) or auto (default); cpu and emu timings are not GPU performance"
        ),
    )


def store_location(text: str) -> Path | str:
    """A store option's value: database URLs stay text (``Path`` would fold their ``//``)."""
    return text if "://" in text else Path(text)


def add_store(parser: argparse.ArgumentParser) -> None:
    """``--store DIR``: the results store every command reads or writes (``-o`` is only ever
    an output file). ``--out`` stays as a hidden alias so old scripts keep working; the value
    lands in ``args.out`` either way."""
    parser.add_argument(
        "--store",
        dest="out",
        metavar="DIR",
        default=Path("results"),
        type=store_location,
        help="results store: a directory, .sqlite3 file or database URL (default: results/)",
    )
    parser.add_argument(
        "--out", dest="out", type=store_location, default=argparse.SUPPRESS, help=argparse.SUPPRESS
    )


add_out = add_store
"""The option's old name, for code written before ``--store`` (same option)."""


def add_wide(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--wide",
        action="store_true",
        help="the whole table: every column, full configs, one row per record (the default "
        "fits the terminal and lists what did not run under it)",
    )


def print_table(table: RenderableType, wide: bool) -> None:
    """Print a records table: folded to the terminal, or with ``wide`` whole (lines as long
    as they need, for a pager or a file)."""
    if wide:
        Console(file=console.file, width=WIDE, force_terminal=console.is_terminal).print(table)
    else:
        console.print(table)


WIDE = 1000
"""Columns a ``--wide`` table may use."""


def add_problem_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("family", help="kernel family, e.g. gemm or paged_attention")
    parser.add_argument(
        "--variant", "-v", action="append", default=[], help="variant (repeatable; default: all)"
    )
    parser.add_argument(
        "--shape",
        "-s",
        action="append",
        default=[],
        help="problem as key=value pairs (gemm also MxNxK), or preset:NAME (repeatable)",
    )
    parser.add_argument("--dtype", default=None, help="fp16, bf16 or fp32 (default: the family's)")
    add_device(parser)
    add_store(parser)


def add_measure_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--cache",
        choices=("auto", "cold", "hot"),
        default="auto",
        help="cold flushes L2 before every sample (default for memory-bound families)",
    )
    parser.add_argument(
        "--target-noise",
        type=float,
        default=None,
        help="stop sampling once the median's CI half-width is under this fraction",
    )
    parser.add_argument(
        "--min-time",
        type=float,
        default=None,
        help="seconds of sampling per candidate at least (lower it for whole-space sweeps)",
    )
    parser.add_argument(
        "--max-time", type=float, default=None, help="seconds of sampling per candidate at most"
    )
    parser.add_argument(
        "--candidate-timeout",
        type=float,
        default=None,
        help="seconds before a candidate is killed and recorded as a timeout",
    )
    parser.add_argument(
        "--warmup-max",
        type=float,
        default=None,
        help="seconds of warm-up per candidate at most (the CPU device needs little)",
    )
    parser.add_argument(
        "--no-isolate", action="store_true", help="measure in this process (no worker)"
    )


def settings_from(args: argparse.Namespace, device: Device) -> MeasureSettings:
    base = MeasureSettings() if device.is_gpu else QUICK
    changes: dict[str, object] = {"cache": args.cache}
    if args.target_noise is not None:
        changes["target_rel_ci"] = args.target_noise
    if args.min_time is not None:
        changes["min_time_s"] = args.min_time
    if args.max_time is not None:
        changes["max_time_s"] = args.max_time
    if args.candidate_timeout is not None:
        changes["timeout_s"] = args.candidate_timeout
    if args.warmup_max is not None:
        if args.warmup_max <= 0:
            raise UsageError("--warmup-max must be positive")
        changes["warmup_max_s"] = args.warmup_max
    if args.no_isolate:
        changes["isolate"] = False
    settings = replace(base, **changes)  # type: ignore[arg-type]
    return settings.validated()


_fallback_note = False
"""Set by activate_device: problems_for says the CPU was chosen once it has accepted the
problems, so a refused one costs the user a single line."""


def activate_device(kind: str, *, fallback_note: bool = False) -> Device:
    """Resolve the device (before plugins load: the CPU device sets TRITON_INTERPRET)."""
    global _fallback_note
    if kind.startswith("replay:"):
        raise UsageError("--device replay:FILE is for kernbench tune and tune-eval")
    device = devices.activate(kind)
    _fallback_note = fallback_note and device.fallback
    return device


def problems_for(family: Family, shapes: list[str], device: Device) -> list[Problem]:
    """Problems from --shape arguments, or the family's default preset for the device.

    When ``auto`` found no GPU, a GPU-sized problem is refused rather than run for minutes on
    the Triton interpreter: the user asked for a GPU, or for the CPU with ``--device cpu``."""
    if not shapes:
        preset = (
            family.default_preset if device.is_gpu else (family.cpu_preset or family.default_preset)
        )
        if not preset:
            raise UsageError(f"{family.name} has no default preset: give --shape")
        return family.preset(preset)
    out: list[Problem] = []
    for text in shapes:
        if text.startswith("preset:"):
            out.extend(family.preset(text.removeprefix("preset:")))
        else:
            out.append(family.parse(text))
    global _fallback_note
    if device.fallback:
        for problem in out:
            _refuse_gpu_sized(family, problem)
    if _fallback_note:
        _fallback_note = False
        err_console.print(
            "[yellow]No CUDA GPU here: running on the CPU device (Triton interpreter). "
            "Its timings are not GPU performance.[/]"
        )
    return out


def _refuse_gpu_sized(family: Family, problem: Problem) -> None:
    if family.cpu_sized(problem, family.cpu_dtype):
        return
    small = family.label(max(family.preset(family.cpu_preset), key=family.flops))
    raise UsageError(
        f"{family.name} {family.label(problem)} is GPU-sized and no CUDA GPU is here: "
        f"try --shape {small} (or --shape preset:{family.cpu_preset}), "
        "or --device cpu to run it on the Triton interpreter anyway (minutes)"
    )


def dtype_for(family: Family, dtype: str | None, device: Device) -> str:
    from ..family import torch_dtype

    chosen = dtype or (family.default_dtype if device.is_gpu else family.cpu_dtype)
    torch_dtype(chosen)  # unknown names fail here with the list of known ones
    return family.check_dtype(chosen)


def load_registry() -> Registry:
    registry = Registry.discover()
    for name, why in registry.failures.items():
        err_console.print(f"[yellow]warning:[/] {name} failed to load: {why}")
    registry.on_notice = lambda text: err_console.print(
        f"[yellow]warning:[/] {text}", highlight=False
    )
    return registry


def availability(variants: Sequence[Variant], device: Device) -> tuple[dict[str, str], list[str]]:
    """Whether each variant runs on ``device``, as a short cell (``ok``, or ``no (1)`` naming a
    reason), and the reasons once each (``(1) does not run on the cpu device``): fourteen CUDA
    variants on a CPU machine are one reason, not fourteen wrapped lines."""
    reasons: dict[str, int] = {}
    cells: dict[str, str] = {}
    for v in variants:
        why = v.unavailable(device)
        if why is None:
            cells[v.name] = "ok"
            continue
        why = why.removeprefix(f"{v.name} ")  # "X does not run on ..." is about X's row
        n = reasons.setdefault(why, len(reasons) + 1)
        cells[v.name] = f"[yellow]no ({n})[/]"
    return cells, [f"({n}) {why}" for why, n in reasons.items()]


def plain_table(*columns: str, no_wrap: Sequence[str] = ()) -> Table:
    """A listing table as records tables are drawn: a rule under the header, one space between
    columns, no frame, so more of a 100-column terminal is left to the cells."""
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, padding=0)
    for name in columns:
        table.add_column(name, no_wrap=name in no_wrap)
    return table


def progress_bar() -> Progress:
    """The progress display of every command that takes more than a second."""
    return Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    )


def open_session(
    args: argparse.Namespace, device: Device, registry: Registry, storage: str | None = None
) -> Session:
    """Store, runner and provenance for one measuring command."""
    from ..measure.runner import InProcessRunner, Runner
    from ..measure.worker import ProcessRunner
    from ..pipeline import Session
    from ..staticcheck import Target
    from ..store import open_store

    settings = settings_from(args, device)
    store = open_store(storage or args.out)
    runner: Runner
    if settings.isolate:
        runner = ProcessRunner(device, settings, registry.references)
    else:
        runner = InProcessRunner(registry, device, settings)
    return Session(registry, device, store, runner, settings, Target.for_device(device))
