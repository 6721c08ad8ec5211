"""Measure the ceilings this GPU really reaches (bf16/fp16 matmul, device copy) and store them."""

from __future__ import annotations

import argparse

from rich.table import Table

from ..calibrate import CALIBRATION, JOBS, PLUGIN_REF, measured_ceilings
from ..ceilings import datasheet_for
from ..errors import CheckFailed
from ..measure.outcome import Status
from .common import (
    activate_device,
    add_device,
    add_measure_options,
    add_store,
    console,
    load_registry,
    open_session,
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_device(parser)
    add_store(parser)
    add_measure_options(parser)


def run(args: argparse.Namespace) -> int:
    device = activate_device(args.device)
    if not device.is_gpu:
        print("kernbench calibrate: no CUDA GPU here, nothing to calibrate")
        return 0
    registry = load_registry()
    registry.add_reference(PLUGIN_REF)
    session = open_session(args, device, registry)
    failed = []
    with session.runner:
        for name, problem, dtype in JOBS:
            console.print(f"[dim]measuring {name} ({problem}, {dtype})...[/]")
            rec = session.evaluate(
                CALIBRATION, registry.variant(name), CALIBRATION.parse(problem), dtype, {}
            )
            if rec.status != Status.OK:
                failed.append(f"{name}: {rec.status} ({rec.message})")
    measured = measured_ceilings(session.store, device.name)
    sheet = datasheet_for(device.name)
    table = Table(title=f"ceilings of {device.name}", title_justify="left")
    for col in ("ceiling", "measured", "datasheet", "% of datasheet", "source"):
        table.add_column(col)
    if measured is not None:
        rows = [
            (k, v, sheet.compute.get(k) if sheet else None, "TFLOP/s")
            for k, v in measured.compute.items()
        ]
        rows += [
            (k, v, sheet.memory.get(k) if sheet else None, "TB/s")
            for k, v in measured.memory.items()
        ]
        for key, value, peak, unit in rows:
            table.add_row(
                key,
                f"{value / 1e12:.3g} {unit}",
                f"{peak / 1e12:.3g} {unit}" if peak else "-",
                f"{value / peak:.1%}" if peak else "-",
                measured.notes.get(key, ""),
            )
    console.print(table)
    console.print(f"[dim]stored in {session.store.url} (run {session.run_id})[/]")
    if failed:
        raise CheckFailed("calibration failed: " + "; ".join(failed))
    return 0
