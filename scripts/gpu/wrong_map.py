"""Where a variant's output is wrong: rerun it once and map the bad elements (rows, columns, tiles).

A gate failure says how many elements were off; finding the cause on a CPU afterwards needs
where: whole rows (a bad M edge), columns (a bad N edge), one tile in every block, only the
last K step. This uses kernbench's public family and variant API, so it knows no kernel:
the output is seen as a matrix of rows (every dimension but the last) by columns (the last).

    python3 scripts/gpu/wrong_map.py FAMILY VARIANT --shape S [--dtype bf16] [--device cuda] [-o map.json]

Exit 0 when the output matched, 1 when some element was wrong, 2 on bad input.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from typing import Any

TILE = 64


def summarise(
    out: Any, expected: Any, atol: float, rtol: float, tile: int = TILE
) -> dict[str, Any]:
    """Counts of unwritten (NaN where the reference is finite) and wrong elements, and where."""
    import torch

    out = out.detach().to(torch.float64).cpu()
    expected = expected.detach().to(torch.float64).cpu()
    cols = out.shape[-1] if out.dim() else 1
    out2, exp2 = out.reshape(-1, cols), expected.reshape(-1, cols)
    unwritten = torch.isnan(out2) & ~torch.isnan(exp2)
    rms = float(torch.linalg.vector_norm(exp2)) / math.sqrt(max(exp2.numel(), 1))
    bound = atol * rms + rtol * exp2.abs()
    bad = unwritten | ~torch.isfinite(out2) | ((out2 - exp2).abs() > bound)
    rows_bad = bad.any(dim=1).nonzero().flatten().tolist()
    cols_bad = bad.any(dim=0).nonzero().flatten().tolist()
    m, n = bad.shape
    tm, tn = math.ceil(m / tile), math.ceil(n / tile)
    padded = torch.zeros(tm * tile, tn * tile, dtype=torch.int64)
    padded[:m, :n] = bad.to(torch.int64)
    per_tile = padded.reshape(tm, tile, tn, tile).sum(dim=(1, 3))
    tiles = [
        {"tile_row": int(i), "tile_col": int(j), "bad": int(per_tile[i, j])}
        for i, j in per_tile.nonzero().tolist()
    ]
    return {
        "shape": list(out.shape),
        "as_matrix": [m, n],
        "elements": int(bad.numel()),
        "wrong": int(bad.sum()),
        "unwritten": int(unwritten.sum()),
        "non_finite": int((~torch.isfinite(out2) & ~unwritten).sum()),
        "rows_bad": len(rows_bad),
        "first_rows": rows_bad[:16],
        "last_rows": rows_bad[-4:],
        "cols_bad": len(cols_bad),
        "first_cols": cols_bad[:16],
        "last_cols": cols_bad[-4:],
        "tile": tile,
        "tiles_bad": len(tiles),
        "tiles_total": tm * tn,
        "worst_tiles": sorted(tiles, key=lambda t: -t["bad"])[:32],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("family")
    parser.add_argument("variant")
    parser.add_argument("--shape", required=True)
    parser.add_argument("--dtype", default=None)
    parser.add_argument("--device", default="auto")
    parser.add_argument("--config", default=None, help="JSON config (default: the first default)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("-o", "--output", default=None, help="write the map here (default: stdout)")
    args = parser.parse_args(argv)

    from kernbench.device import activate
    from kernbench.errors import UsageError
    from kernbench.measure.gate import poison
    from kernbench.registry import Registry

    try:
        device = activate(args.device)  # before any plugin import (Triton's interpreter)
        registry = Registry.discover()
        family = registry.family(args.family)
        variant = registry.variant(args.variant)
        problem = family.parse(args.shape)
        dtype = family.check_dtype(args.dtype or family.default_dtype)
        config = json.loads(args.config) if args.config else variant.default_configs()[0]
    except (UsageError, KeyError, ValueError) as exc:
        print(f"wrong_map: {exc}".splitlines()[0], file=sys.stderr)
        return 2
    import torch

    result: dict[str, Any] = {
        "family": args.family,
        "variant": args.variant,
        "problem": problem.key,
        "dtype": dtype,
        "device": device.name,
        "config": config,
    }
    sync = torch.cuda.synchronize if device.is_gpu else (lambda: None)
    inputs = family.make_inputs(problem, dtype, device.torch_device, args.seed)
    reference = family.reference(problem, inputs)
    try:
        launch = variant.build(problem, config, inputs)
        poison(inputs, family.outputs)
        sync()
        launch()
        sync()
    except Exception as exc:  # the launch itself failed: say so, with no map
        result["error"] = f"{type(exc).__name__}: {exc}"[:2000]
        write(result, args.output)
        return 1
    tol = family.tolerance(dtype, problem)
    result["outputs"] = {
        name: summarise(inputs[name], reference[name], tol.atol, tol.rtol)
        for name in family.outputs
    }
    write(result, args.output)
    return 1 if any(o["wrong"] for o in result["outputs"].values()) else 0


def write(result: dict[str, Any], path: str | None) -> None:
    text = json.dumps(result, indent=1)
    if path:
        with open(path, "w") as fh:
            fh.write(text + "\n")
    else:
        print(text)


if __name__ == "__main__":
    sys.exit(main())
