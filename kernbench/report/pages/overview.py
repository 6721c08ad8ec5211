"""Overview: what was measured, on which devices, and exactly how (versions, commit, clocks, commands)."""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any

from ...analyse.roofline import source_of
from ...store import Record
from ..data import ReportData
from ..page import Cell, Content, Page, Section, Table, text

VERSION_KEYS = (
    "kernbench",
    "python",
    "torch",
    "torch.cuda",
    "triton",
    "optuna",
    "cuda-bindings",
    "nvidia-cutlass",
)


def _measured(data: ReportData) -> Section:
    table = Table(
        "measured",
        (
            "store",
            "records",
            "ok",
            "families",
            "variants",
            "problems",
            "devices",
            "runs",
            "first",
            "last",
        ),
    )
    for s in data.sources:
        recs = s.records
        created = sorted(r.created for r in recs)
        table.rows.append(
            [
                text(s.label),
                text(len(recs)),
                text(sum(r.status == "ok" for r in recs)),
                text(", ".join(sorted({r.family for r in recs})) or "-"),
                text(len({r.variant for r in recs})),
                text(len({(r.family, r.problem) for r in recs})),
                text(", ".join(sorted({r.device_name for r in recs})) or "-"),
                text(len({r.run_id for r in recs})),
                text(created[0] if created else "-"),
                text(created[-1] if created else "-"),
            ]
        )
    status = Counter((r.family, r.status) for s in data.sources for r in s.records)
    notes = [f"{fam}: {n} {st}" for (fam, st), n in sorted(status.items())]
    return Section("What was measured", table=table, notes=notes)


def _ceilings_text(data: ReportData, device: str) -> str:
    ceilings = data.rooflines.ceilings(device)
    if ceilings is None:
        return "none known"
    parts = [
        f"{k} {v / 1e12:.0f} TFLOP/s ({source_of(ceilings, k)})"
        for k, v in ceilings.compute.items()
    ]
    parts += [
        f"{k} {v / 1e12:.2f} TB/s ({source_of(ceilings, k)})" for k, v in ceilings.memory.items()
    ]
    return "; ".join(parts)


def _devices(data: ReportData) -> Section:
    table = Table(
        "devices",
        (
            "device",
            "timing",
            "compute capability",
            "SMs",
            "L2",
            "memory",
            "driver",
            "CUDA",
            "ceilings",
        ),
    )
    seen: dict[str, dict[str, Any]] = {}
    for e in data.entries:
        seen.setdefault(e.record.device_name, e.record.device)
    for name, dev in seen.items():
        cc = dev.get("compute_capability") or [0, 0]
        table.rows.append(
            [
                text(name),
                text(dev.get("timing_kind", "?")),
                text(f"{cc[0]}.{cc[1]}" if cc and cc[0] else "-"),
                text(dev.get("sm_count") or "-"),
                text(f"{dev['l2_bytes'] / 2**20:.0f} MiB" if dev.get("l2_bytes") else "-"),
                text(f"{dev['memory_bytes'] / 2**30:.0f} GiB" if dev.get("memory_bytes") else "-"),
                text(dev.get("driver") or "-"),
                text(dev.get("cuda_runtime") or "-"),
                Cell(_ceilings_text(data, name)),
            ]
        )
    return Section(
        "Devices",
        table=table,
        text="Ceilings are measured by kernbench calibrate where the store holds a calibration of the device, "
        "and read from the datasheet otherwise; each says which.",
    )


def _clocks(records: list[Record]) -> str:
    """Clock readings the timers left in each record's method (NVML), summarised as ranges."""
    values: dict[str, list[float]] = defaultdict(list)
    for r in records:
        for key, value in r.method.items():
            if (
                "clock" in key.lower()
                and isinstance(value, (int, float))
                and not isinstance(value, bool)
            ):
                values[key].append(float(value))
            elif "clock" in key.lower() and isinstance(value, dict):
                for sub, v in value.items():
                    if isinstance(v, (int, float)) and not isinstance(v, bool):
                        values[f"{key}.{sub}"].append(float(v))
    return (
        "; ".join(f"{k} {min(v):g}-{max(v):g}" for k, v in sorted(values.items())) or "not recorded"
    )


def _provenance(data: ReportData) -> Section:
    table = Table(
        "provenance",
        ("run", "store", "time", "command", "commit", "host", "versions", "clocks", "records"),
    )
    runs: dict[tuple[str, str], list[Record]] = defaultdict(list)
    for e in data.entries:
        runs[(e.source, e.record.run_id)].append(e.record)
    for (source, run_id), recs in runs.items():
        prov = recs[0].provenance
        versions = prov.get("versions", {})
        table.rows.append(
            [
                text(run_id),
                text(source),
                text(prov.get("time", "-")),
                Cell(str(prov.get("command", "-"))),
                text(prov.get("commit") or "-"),
                text(prov.get("host", "-")),
                Cell(", ".join(f"{k} {versions[k]}" for k in VERSION_KEYS if versions.get(k))),
                Cell(_clocks(recs)),
                text(len(recs)),
            ]
        )
    return Section(
        "Provenance",
        table=table,
        text="How each run was made: the command, the code and the software.",
    )


class Overview(Page):
    slug = "index"
    title = "Overview"

    def build(self, data: ReportData) -> Content:
        if not data.entries:
            return Content(
                [
                    Section(
                        "No results yet",
                        text="The results stores given hold no records. "
                        "Run kernbench bench or kernbench tune, then build the report again.",
                    )
                ]
            )
        return Content([_measured(data), _devices(data), _provenance(data)])
