"""First light's compact table: each variant's status and its share of the measured ceiling.

GEMM rows are given as % of cuBLAS (``torch_matmul`` on the same problem and dtype, from the
same store); paged-attention rows as % of the device-copy bandwidth ``kernbench calibrate``
measured. Every figure is read from the store through ``kernbench results``; none is typed.
Given the emulated verdicts (``emu_verdicts.py``), each row also shows the emulator's verdict
of the same variant at the same dtype beside the GPU's, and whether the two agree.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import emu_verdicts

CPU_NOTE = "CPU interpreter timings: not GPU performance; the percentages check the pipeline only."
CUBLAS = "torch_matmul"


def records(store_dir: Path) -> list[dict[str, Any]]:
    """Every record of the store, as ``kernbench results --format json`` gives them."""
    from kernbench.store import open_store
    from kernbench.store.export import to_frame

    try:
        recs = open_store(str(store_dir), create=False).query()
    except Exception:  # no store yet (nothing measured so far)
        return []
    if not recs:
        return []
    data = json.loads(to_frame(recs).to_json(orient="records"))
    return data if isinstance(data, list) else []


def problem_key(shape: str) -> str:
    """The stored problem text's start for a GEMM ``MxNxK`` shorthand (else the text itself)."""
    parts = shape.split("x")
    if len(parts) == 3 and all(p.isdigit() for p in parts):
        return f"m={parts[0]},n={parts[1]},k={parts[2]},"
    return shape


def _ok(recs: Iterable[dict[str, Any]], family: str) -> list[dict[str, Any]]:
    return [r for r in recs if r["family"] == family and r["status"] == "ok" and r["median_s"]]


def fastest(
    recs: Sequence[dict[str, Any]],
    family: str,
    problem: str | None,
    *,
    language: str | None = None,
    baseline: bool | None = None,
) -> str | None:
    """The variant with the shortest median on ``problem`` (a prefix), else the highest GB/s."""
    pool = [
        r
        for r in _ok(recs, family)
        if (problem is None or (r["problem"] + ",").startswith(problem))
        and (language is None or r["language"] == language)
        and (baseline is None or bool(r["baseline"]) == baseline)
    ]
    if not pool:
        return None
    if problem is not None:
        return str(min(pool, key=lambda r: r["median_s"])["variant"])
    return str(max(pool, key=lambda r: r["gbps"] or 0.0)["variant"])


def copy_gbps(recs: Sequence[dict[str, Any]]) -> float | None:
    """The device-copy bandwidth ``kernbench calibrate`` measured (latest ok record)."""
    copies = [r for r in _ok(recs, "calibrate") if r["variant"] == "copy" and r["gbps"]]
    return float(copies[-1]["gbps"]) if copies else None


def build(
    recs: Sequence[dict[str, Any]], emulated: dict[str, Any] | None = None
) -> list[dict[str, Any]]:
    """One row per (family, variant, problem, dtype, bench or tune): its best ok record, else its last.

    With ``emulated`` (the verdict file), each row gets ``emulated`` (the emulator's verdict of
    the variant at that dtype, on its small problems), ``emulated_message`` and ``agree``
    (ok / wrong / finding the same on both; None where either has no such verdict).
    """
    groups: dict[tuple[str, str, str, str, str], list[dict[str, Any]]] = {}
    for r in recs:
        if r["family"] == "calibrate":
            continue
        source = "tune" if r.get("study") else "bench"
        groups.setdefault((r["family"], r["variant"], r["problem"], r["dtype"], source), []).append(
            r
        )
    cublas = {
        (r["problem"], r["dtype"]): r["median_s"]
        for r in sorted(_ok(recs, "gemm"), key=lambda r: -r["median_s"])
        if r["variant"] == CUBLAS
    }
    copy = copy_gbps(recs)
    rows = []
    for (family, variant, problem, dtype, source), group in groups.items():
        ok = [r for r in group if r["status"] == "ok" and r["median_s"]]
        best = min(ok, key=lambda r: r["median_s"]) if ok else group[-1]
        row: dict[str, Any] = {
            "family": family,
            "variant": variant,
            "problem": short(family, problem),
            "dtype": dtype,
            "source": source,
            "status": best["status"],
            "median_us": round(best["median_s"] * 1e6, 2) if ok else None,
            "tflops": round(best["tflops"], 2) if ok and best["tflops"] else None,
            "gbps": round(best["gbps"], 1) if ok and best["gbps"] else None,
            "pct": None,
            "of": None,
            "message": "" if ok else str(best.get("message") or "")[:160],
            "emulated": None,
            "emulated_message": "",
            "agree": None,
        }
        found = emu_verdicts.verdict(emulated, family, variant, dtype)
        if found:
            row.update(
                emulated=found["status"],
                emulated_message=str(found.get("message") or "")[:160],
                agree=emu_verdicts.agree(found["status"], str(best["status"])),
            )
        if ok and family == "gemm" and (problem, dtype) in cublas:
            row.update(pct=round(100 * cublas[(problem, dtype)] / best["median_s"], 1), of="cuBLAS")
        elif ok and family != "gemm" and copy and best["gbps"]:
            row.update(pct=round(100 * best["gbps"] / copy, 1), of="copy bandwidth")
        rows.append(row)
    rows.sort(key=lambda r: (r["family"], r["problem"], r["dtype"], r["source"], -(r["pct"] or 0)))
    return rows


def skipped_rows(skip: dict[tuple[str, str], dict[str, str]], dtype: str) -> list[dict[str, Any]]:
    """One row for each variant kept off the GPU by its emulated verdict."""
    rows = []
    for (family, variant), found in sorted(skip.items()):
        row: dict[str, Any] = dict.fromkeys(("median_us", "tflops", "gbps", "pct", "of", "agree"))
        row.update(family=family, variant=variant, problem="-", dtype=dtype, source="-")
        row.update(status="not run", message="skipped: wrong on the emulator")
        row.update(emulated=found["status"], emulated_message=str(found.get("message") or "")[:160])
        rows.append(row)
    return rows


def short(family: str, problem: str) -> str:
    """The family's short label (parameters that differ from their defaults), when it loads."""
    try:
        fam = _families()[family]
        return fam.label(fam.parse(problem))
    except Exception:
        return problem


@functools.cache
def _families() -> dict[str, Any]:
    from kernbench.registry import Registry

    return dict(Registry.discover().families)


def markdown(rows: Sequence[dict[str, Any]], note: str = "") -> str:
    """The table a person reads first: status, then the share of the measured ceiling."""
    head = (
        "| family | variant | problem | dtype | from | status | emulated | median us | TFLOP/s "
        "| GB/s | % | of |"
    )
    lines = [head, "|" + "---|" * (head.count("|") - 1)]
    for r in rows:
        status = r["status"] if not r["message"] else f"{r['status']}: {r['message']}"
        cells = [
            r["family"],
            r["variant"],
            r["problem"],
            r["dtype"],
            r["source"],
            status.replace("|", "/"),
            emulated_cell(r).replace("|", "/"),
            fmt(r["median_us"]),
            fmt(r["tflops"]),
            fmt(r["gbps"]),
            fmt(r["pct"]),
            r["of"] or "-",
        ]
        lines.append("| " + " | ".join(str(c) for c in cells) + " |")
    text = "\n".join(lines) + "\n"
    return (f"{note}\n\n" if note else "") + text


def emulated_cell(row: dict[str, Any]) -> str:
    """The emulator's verdict, flagged where it disagrees with the GPU's."""
    verdict = row.get("emulated")
    if not verdict:
        return "-"
    text = str(verdict)
    if verdict != "ok" and row.get("emulated_message"):
        text += f": {row['emulated_message']}"
    return f"**DIFFERS** {text}" if row.get("agree") is False else text


def fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:g}"
