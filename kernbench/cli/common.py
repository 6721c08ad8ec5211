"""Options and set-up shared by the commands that measure."""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from .. import device as devices
from ..device import Device
from ..errors import UsageError
from ..family import Family
from ..measure.settings import QUICK, MeasureSettings
from ..problem import Problem
from ..registry import Registry

if TYPE_CHECKING:
    from ..pipeline import Session

# Piped output keeps wide tables whole instead of folding them to 80 columns.
console = Console(width=None if sys.stdout.isatty() else 200)
err_console = Console(stderr=True, width=None if sys.stderr.isatty() else 200)


def add_device(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--device",
        default="auto",
        help="cuda, cpu (Triton interpreter; timings are not GPU performance) or auto (default)",
    )


def add_out(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--out", default="results", type=Path, help="results directory (default: results/)"
    )


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
    add_out(parser)


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
    if not 0 <= settings.min_time_s <= settings.max_time_s:
        raise UsageError(
            f"sampling time: need 0 <= --min-time ({settings.min_time_s:g} s) "
            f"<= --max-time ({settings.max_time_s:g} s)"
        )
    return settings.validated()


def activate_device(kind: str, *, fallback_note: bool = False) -> Device:
    """Resolve the device (before plugins load: the CPU device sets TRITON_INTERPRET)."""
    if kind.startswith("replay:"):
        raise UsageError("--device replay:FILE is for kernbench tune and tune-eval")
    device = devices.activate(kind)
    if fallback_note and kind == "auto" and not device.is_gpu:
        err_console.print(
            "[yellow]No CUDA GPU here: running on the CPU device (Triton interpreter). "
            "Its timings are not GPU performance.[/]"
        )
    return device


def problems_for(family: Family, shapes: list[str], device: Device) -> list[Problem]:
    """Problems from --shape arguments, or the family's default preset for the device."""
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
    return out


def dtype_for(family: Family, dtype: str | None, device: Device) -> str:
    from ..family import torch_dtype

    chosen = dtype or (family.default_dtype if device.is_gpu else family.cpu_dtype)
    torch_dtype(chosen)  # unknown names fail here with the list of known ones
    return family.check_dtype(chosen)


def load_registry() -> Registry:
    registry = Registry.discover()
    for name, why in registry.failures.items():
        err_console.print(f"[yellow]warning:[/] {name} failed to load: {why}")
    return registry


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
