"""List families, their variants and baselines, config spaces and their sizes."""

from __future__ import annotations

import argparse

from rich.table import Table

from .common import activate_device, console, load_registry


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("family", nargs="?", help="only this family")
    parser.add_argument(
        "--verbose",
        "-V",
        action="store_true",
        help="show each variant's parameters and explanation",
    )


def run(args: argparse.Namespace) -> int:
    device = activate_device("auto")
    registry = load_registry()
    families = [registry.family(args.family)] if args.family else list(registry.families.values())
    for fam in families:
        console.print(f"[bold]{fam.name}[/]: {fam.description}")
        params = ", ".join(
            p.name + (f"={p.default}" if p.default is not None else "") for p in fam.params
        )
        console.print(f"  problem: {params}")
        console.print(
            f"  dtypes: {', '.join(fam.dtypes)}; presets: {', '.join(fam.presets) or '-'}"
        )
        table = Table(title_justify="left")
        for col in ("step", "variant", "language", "role", "space", "parameters", "availability"):
            table.add_column(col)
        for v in registry.variants(fam.name):
            why = v.unavailable(device)
            params_text = "; ".join(f"{p.name}: {p.describe()}" for p in v.space.params) or "-"
            table.add_row(
                str(v.order or "-"),
                v.name,
                v.language,
                "baseline" if v.baseline else "variant",
                f"{v.space.size()} valid / {v.space.product_size()}",
                params_text,
                f"[yellow]{why}[/]" if why else "ok",
            )
        console.print(table)
        if args.verbose:
            for v in registry.variants(fam.name):
                console.print(f"[bold]{v.name}[/]: {v.description}\n")
    for name, why in registry.failures.items():
        console.print(f"[red]failed to load[/] {name}: {why}")
    return 0
