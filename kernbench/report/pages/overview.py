"""Overview: what was measured, on which devices, and exactly how (versions, commit, clocks, commands)."""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any

from ...analyse.roofline import source_of
from ...device import CPU_TIMING_NOTE
from ...store import Record
from ..data import REPLAY, Entry, ReportData
from ..figures import si
from ..page import Card, Cell, Content, Page, Section, Table, text
from . import attention, ladder

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
        recs = [r for r in s.records if r.timing_kind != REPLAY]
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
    status = Counter((e.record.family, e.record.status) for e in data.entries)
    by_family: dict[str, list[str]] = defaultdict(list)
    for (fam, st), n in sorted(status.items()):
        by_family[fam].append(f"{n} {st}")
    line = "; ".join(f"{fam}: {', '.join(parts)}" for fam, parts in by_family.items())
    return Section("What was measured", table=table, text=f"Records by status: {line}.")


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


def _device_cards(data: ReportData, device: str) -> list[Card]:
    entries = [e for e in data.entries if e.record.device_name == device]
    dev = entries[0].record.device
    cc = dev.get("compute_capability") or [0, 0]
    facts = [
        f"compute capability {cc[0]}.{cc[1]}" if cc and cc[0] else "",
        f"{dev['sm_count']} SMs" if dev.get("sm_count") else "",
        f"driver {dev['driver']}" if dev.get("driver") else "",
    ]
    what = ", ".join(f for f in facts if f) or (CPU_TIMING_NOTE if not entries[0].gpu else "")
    cards = [Card("device", device, what)]
    ceilings = data.rooflines.ceilings(device) if entries[0].gpu else None
    if ceilings is not None:
        # The compute ceiling the records are judged by (bf16 for a bf16 GEMM), not fp8's.
        used = Counter(e.point.precision for e in entries if e.point).most_common()
        name = next((p for p, _ in used if p in ceilings.compute), None)
        name = name or ("bf16" if "bf16" in ceilings.compute else None)
        peak = (
            (name, ceilings.compute[name])
            if name
            else max(ceilings.compute.items(), key=lambda kv: kv[1], default=None)
        )
        hbm = ceilings.memory.get("hbm")
        value = " · ".join(
            filter(None, [si(peak[1], "FLOP/s") if peak else "", si(hbm, "B/s") if hbm else ""])
        )
        detail = ", ".join(
            filter(
                None,
                [
                    f"{peak[0]} {source_of(ceilings, peak[0])}" if peak else "",
                    f"HBM {source_of(ceilings, 'hbm')}" if hbm else "",
                ],
            )
        )
        cards.append(Card("ceilings", value, detail))
    cards.append(Card("clocks seen", _clocks([e.record for e in entries]), "over every record"))
    return cards


def _ladder_card(data: ReportData) -> Card | None:
    found = [r for r in ladder.rungs(data) if r.vs]
    if not found:
        return None
    gpu = [r for r in found if r.entry.gpu] or found
    label = sorted({lab for r in gpu for lab in r.vs})[0]
    top = max((r for r in gpu if label in r.vs), key=lambda r: r.vs[label])
    rec = top.entry.record
    return Card(
        f"best GEMM step vs {label}",
        f"{top.vs[label]:.1%}",
        f"{top.step} {rec.variant}, {data.short_problem(rec)} {rec.dtype} on {rec.device_name}"
        + ("" if top.entry.gpu else f" ({CPU_TIMING_NOTE})"),
    )


def _attention_card(data: ReportData) -> Card | None:
    found = [e for e in attention.fastest(data) if not e.record.baseline]
    if not found:
        return None
    gpu = [e for e in found if e.gpu]
    rated: list[tuple[float, Entry, str]] = []
    for e in gpu:
        if e.point is not None and e.point.l2_resident:
            continue  # served from L2: not a figure about the memory
        roof = attention.memory_ceiling(data, e.record.device_name)
        if roof is not None:
            rated.append(((attention.bandwidth(e) or 0.0) / roof[0], e, roof[1]))
    if rated:
        frac, e, roof_label = max(rated, key=lambda t: t[0])
        return Card(
            "best attention variant vs memory",
            f"{frac:.1%}",
            f"{e.record.variant}, {data.short_problem(e.record)}: "
            f"{si(attention.bandwidth(e) or 0.0, 'B/s')} of {roof_label}; "
            "L2-resident problems left out",
        )
    e = max(gpu or found, key=lambda e: attention.bandwidth(e) or 0.0)
    return Card(
        "best attention bandwidth",
        si(attention.bandwidth(e) or 0.0, "B/s"),
        f"{e.record.variant}, {data.short_problem(e.record)}; no memory ceiling for "
        f"{e.record.device_name}" + ("" if e.gpu else f" ({CPU_TIMING_NOTE})"),
    )


def _tuning_card(data: ReportData) -> Card | None:
    tuned = [e.record for e in data.entries if e.record.study]
    if not tuned:
        return None
    configs = {(r.variant, r.problem, r.dtype, str(sorted(r.config.items()))) for r in tuned}
    return Card(
        "configs tuned",
        str(len(configs)),
        f"unique configs in {len({r.study for r in tuned})} studies; "
        f"{sum(r.status == 'ok' for r in tuned)} passed the gate",
    )


def _provenance_card(data: ReportData) -> Card:
    last = max(data.entries, key=lambda e: e.record.created).record
    prov = last.provenance
    commit = str(prov.get("commit") or "no commit recorded")
    command = str(prov.get("command", "-"))
    if len(command) > 90:
        command = command[:89] + "… (whole in Provenance below)"
    return Card("latest run", commit[:10], f"{prov.get('time') or last.created}: {command}")


def glance(data: ReportData) -> Section:
    """The first screen: the GPU, the headline figures and where they came from."""
    cards = [c for d in data.devices()[:2] for c in _device_cards(data, d)]
    cards += filter(None, [_ladder_card(data), _attention_card(data), _tuning_card(data)])
    cards.append(_provenance_card(data))
    return Section(
        "At a glance",
        cards=cards,
        text="Headline figures are the best measured records; every other page shows the rest. "
        + ("" if any(e.gpu for e in data.entries) else "No record here was timed on a GPU."),
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
        return Content([glance(data), _measured(data), _devices(data), _provenance(data)])
