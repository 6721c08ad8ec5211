"""Show the device, its known ceilings, versions, and which plugins loaded or failed."""

from __future__ import annotations

import argparse

from rich.table import Table

from .. import provenance
from ..ceilings import datasheet_for
from .common import (
    activate_device,
    add_device,
    availability,
    console,
    load_registry,
    plain_table,
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_device(parser)


def run(args: argparse.Namespace) -> int:
    device = activate_device(args.device)
    registry = load_registry()
    info = Table(title="device", show_header=False, title_justify="left")
    for key, value in device.as_dict().items():
        if value not in ("", 0, (0, 0), {}):
            info.add_row(key, str(value))
    console.print(info)
    if device.is_emulated:
        console.print(
            f"[yellow]CUDA kernels run on the PTX emulator ({device.arch}), torch on the CPU: "
            "results, findings and counts are exact; timings are not GPU performance.[/]"
        )
    elif not device.is_gpu:
        console.print(
            "[yellow]No GPU: timings on this device check the pipeline and are not GPU performance.[/]"
        )
    sheet = datasheet_for(device.name) if device.is_gpu else None
    if sheet is not None:
        ceil = Table(title=f"ceilings ({sheet.source}: {sheet.device})", title_justify="left")
        ceil.add_column("ceiling")
        ceil.add_column("value", justify="right")
        for name, value in sheet.compute.items():
            ceil.add_row(f"{name} compute", f"{value / 1e12:.0f} TFLOP/s")
        for name, value in sheet.memory.items():
            ceil.add_row(f"{name} bandwidth", f"{value / 1e12:.2f} TB/s")
        console.print(ceil)
    versions = Table(title="versions", show_header=False, title_justify="left")
    for key, value in provenance.versions().items():
        if key == "torch.cuda" and not value:
            value = "none (CPU build)"  # torch.version.cuda is None without CUDA
        versions.add_row(key, value)
    versions.add_row("commit", provenance.git_commit() or "-")
    console.print(versions)
    variants = registry.variants()
    here, reasons = availability(variants, device)
    plugins = plain_table("family", "variant", "language", "here", no_wrap=("variant", "here"))
    plugins.title, plugins.title_justify = "plugins", "left"
    for v in variants:
        plugins.add_row(v.family, v.name, v.language, here[v.name])
    for name in registry.failures:
        plugins.add_row("-", name, "-", "[red]failed[/]")
    console.print(plugins, highlight=False)
    for line in reasons:  # each reason once, however many variants it rules out
        console.print(line, highlight=False)
    for name, why in registry.failures.items():
        console.print(f"[red]failed to load[/] {name}: {why}", highlight=False)
    return 0
