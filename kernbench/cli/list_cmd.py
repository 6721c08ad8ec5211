"""List families, their variants and baselines, config spaces and their sizes."""

from __future__ import annotations

import argparse

from ..present import BASELINE_MARK
from ..space import Param
from .common import activate_device, availability, console, load_registry, plain_table


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("family", nargs="?", help="only this family")
    parser.add_argument(
        "--verbose",
        "-V",
        action="store_true",
        help="show each variant's parameters and explanation",
    )


def short(param: Param) -> str:
    """A parameter in a few characters, with no space inside, so a list of them wraps only
    between parameters: ``BLOCK_M=16..128`` (powers of two), ``SPLIT=1..8/1`` (a range and
    its step), ``num_warps=2|4|8`` (these values)."""
    values = param.values
    if param.kind == "pow2" and len(values) > 2:
        return f"{param.name}={values[0]}..{values[-1]}"
    if param.kind == "int" and len(values) > 4:
        return f"{param.name}={values[0]}..{values[-1]}/{values[1] - values[0]}"  # type: ignore[operator]
    return f"{param.name}={'|'.join(str(v) for v in values)}"


LEGEND = "parameters: a..b powers of two from a to b; a..b/s every s-th integer; x|y|z these values"


def run(args: argparse.Namespace) -> int:
    device = activate_device("auto")
    registry = load_registry()
    families = [registry.family(args.family)] if args.family else list(registry.families.values())
    for fam in families:
        console.print(f"[bold]{fam.name}[/]: {fam.description}", highlight=False)
        params = ", ".join(
            p.name + (f"={p.default}" if p.default is not None else "") for p in fam.params
        )
        console.print(f"  problem: {params}", highlight=False)
        console.print(
            f"  dtypes: {', '.join(fam.dtypes)}; presets: {', '.join(fam.presets) or '-'}",
            highlight=False,
        )
        variants = registry.variants(fam.name)
        here, reasons = availability(variants, device)
        table = plain_table(
            "step",
            "variant",
            "language",
            "space",
            "parameters",
            "here",
            no_wrap=("step", "variant", "language", "space", "here"),
        )
        for v in variants:
            table.add_row(
                str(v.order or "-"),
                v.name + (BASELINE_MARK if v.baseline else ""),
                v.language,
                f"{v.space.size()} valid / {v.space.product_size()}",
                ", ".join(short(p) for p in v.space.params) or "-",
                here[v.name],
            )
        console.print(table, highlight=False)
        if any(v.baseline for v in variants):
            console.print(
                f"{BASELINE_MARK} baseline: measured next to every variant", highlight=False
            )
        console.print(f"[dim]{LEGEND}[/]", highlight=False)
        for line in reasons:
            console.print(line, highlight=False)
        if args.verbose:
            for v in variants:
                console.print(f"\n[bold]{v.name}[/]: {v.description}", highlight=False)
                for p in v.space.params:
                    console.print(f"  {p.name}: {p.describe()}", highlight=False)
        console.print()
    for name, why in registry.failures.items():
        console.print(f"[red]failed to load[/] {name}: {why}", highlight=False)
    return 0
