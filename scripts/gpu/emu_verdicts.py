"""Emulated verdicts: every CUDA and Triton variant run on the PTX emulator before a GPU window.

``carry.py prepare`` runs each CUDA and Triton variant of both families at its defaults on the
emulated Hopper (``--device emu:sm_90a``), through the real CLI, on small problems that stand
for first light's (emulating 8192^3 is out of reach; an irregular problem with edge tiles and a
regular one take the same code paths), and writes ``CARRY/emu/verdicts.json`` beside the
emulated stores ``CARRY/emu/FAMILY-DTYPE/kernbench.sqlite3``. On the GPU machine ``first_light.py`` reads the
file before it spends device time: a variant the emulator shows wrong (``wrong_result``) or
unsafe (``emulator_finding``) is skipped there, with its emulated message, unless forced; and
the table shows the emulated verdict beside the GPU's for every kernel both ran.

    python3 scripts/gpu/carry.py emulate .gpu-carry [--emu-variant V ...] [--emu-shape FAMILY=S ...]
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
DEVICE = "emu:sm_90a"
FILE = Path("emu") / "verdicts.json"
"""Where the verdicts live inside the carry folder (the emulated store is beside it)."""
LANGUAGES = ("cuda", "triton")
"""What the emulator launches: CUTLASS has no emulator launch path, torch runs on the host."""
PROBLEMS: dict[str, tuple[str, ...]] = {
    # 200x136x72: edge tiles in M and N, a K that is no multiple of 64 (as 4095x4097x1000 has);
    # 256x256x256: whole tiles, several of them, several K steps (as 4096^3 and 8192^3).
    "gemm": ("200x136x72", "256x256x256"),
    # First light's GQA ratio (4) and head_dim (128): a ragged batch and a regular one.
    "paged_attention": (
        "batch=3,context=70,lengths=random,q_heads=8,kv_heads=2,head_dim=128",
        "batch=2,context=64,q_heads=8,kv_heads=2,head_dim=128",
        # triton_cascade runs only with a shared prefix (elsewhere it is unsupported, as on the GPU).
        "batch=3,context=80,q_heads=8,kv_heads=2,head_dim=128,shared_prefix=48",
    ),
}
FAMILY_ARGS: dict[str, tuple[str, ...]] = {"paged_attention": ("--cache", "cold")}
SAMPLING = ("--min-time", "0.01", "--max-time", "0.02", "--warmup-max", "0.01")
"""Emulated timings mean nothing: the gate, then the fewest samples."""
SKIP = ("wrong_result", "emulator_finding")
"""Emulated verdicts that cost a variant its GPU time (unless forced)."""
CLASS = {"ok": "ok", "wrong_result": "wrong", "emulator_finding": "finding", "crash": "finding"}
"""The three verdicts compared across emulator and GPU (a GPU crash is the GPU's finding)."""
FORCE_ENV = "FIRST_LIGHT_FORCE"
"""Set to 1 to run on the GPU what the emulator shows wrong (``first_light.py --force``)."""


def variants(names: Sequence[str] | None = None) -> dict[str, list[str]]:
    """Each family's CUDA and Triton variants (not the baselines), in ladder order."""
    from kernbench.registry import Registry

    registry = Registry.discover()
    out: dict[str, list[str]] = {}
    for family in PROBLEMS:
        out[family] = [
            v.name
            for v in registry.variants(family)
            if v.language in LANGUAGES and (not names or v.name in names)
        ]
    return out


def commit() -> dict[str, Any]:
    def git(*args: str) -> str:
        proc = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True)
        return proc.stdout.strip() if proc.returncode == 0 else ""

    status = git("status", "--porcelain", "--untracked-files=no")
    return {"commit": git("rev-parse", "HEAD") or None, "dirty": bool(status)}


def kernbench_exe() -> list[str]:
    beside = Path(sys.executable).parent / "kernbench"
    if beside.is_file():
        return [str(beside)]
    found = shutil.which("kernbench")
    return [found] if found else [sys.executable, "-m", "kernbench"]


def make(
    carry: Path,
    names: Sequence[str] | None = None,
    dtypes: Sequence[str] = ("bf16",),
    shapes: Mapping[str, Sequence[str]] | None = None,
    timeout_s: float = 900,
    jobs: int = 2,
) -> dict[str, Any]:
    """Run the emulated benches into ``carry/emu`` and write the verdict file.

    One ``kernbench bench`` per family and dtype, ``jobs`` at a time, each into its own store
    (``emu/FAMILY-DTYPE/kernbench.sqlite3``, so no two processes write one SQLite file) with
    its own log beside it; all under one deadline of ``timeout_s``.
    """
    folder = carry / FILE.parent
    shutil.rmtree(folder, ignore_errors=True)  # the verdicts of this tree only
    folder.mkdir(parents=True)
    problems = {f: tuple((shapes or {}).get(f) or p) for f, p in PROBLEMS.items()}
    chosen = variants(names)
    started = time.monotonic()
    todo = [(f, d) for f, n in chosen.items() if n for d in dtypes]

    def one(family: str, dtype: str) -> dict[str, Any]:
        store = folder / f"{family}-{dtype}"
        cmd = [
            *kernbench_exe(), "bench", family, "--device", DEVICE, "--dtype", dtype,
            *[a for s in problems[family] for a in ("-s", s)],
            *[a for n in chosen[family] for a in ("-v", n)], "--no-baselines",
            *FAMILY_ARGS.get(family, ()), *SAMPLING, "--store", str(store),
        ]  # fmt: skip
        t0 = time.monotonic()
        store.mkdir()
        with open(store / "bench.log", "w") as fh:
            fh.write(f"$ {' '.join(cmd)}\n")
            fh.flush()
            proc = subprocess.Popen(
                cmd, stdout=fh, stderr=subprocess.STDOUT, cwd=ROOT, start_new_session=True
            )
            try:
                rc: int | str = proc.wait(timeout=max(timeout_s - (t0 - started), 1.0))
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)  # the bench and its worker
                proc.wait()
                rc = "timeout"
        wall = round(time.monotonic() - t0, 1)
        n = len(chosen[family])
        print(f"emulated {family} {dtype}: {n} variants, rc {rc}, {wall} s", flush=True)
        return {"cmd": " ".join(cmd[1:]), "rc": rc, "wall_s": wall}

    with ThreadPoolExecutor(max_workers=max(jobs, 1)) as pool:
        commands = list(pool.map(lambda fd: one(*fd), todo))
    verdicts = collect(sorted(folder.glob("*/kernbench.sqlite3")), chosen, problems, dtypes)
    verdicts["provenance"].update(
        commit(),
        device=DEVICE,
        arch=DEVICE.split(":", 1)[1],
        made_utc=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        wall_s=round(time.monotonic() - started, 1),
        commands=commands,
    )
    (carry / FILE).write_text(json.dumps(verdicts, indent=1))
    return verdicts


def collect(
    stores: Sequence[Path],
    chosen: dict[str, list[str]],
    problems: Mapping[str, Sequence[str]],
    dtypes: Sequence[str],
) -> dict[str, Any]:
    """The verdict file's body from the emulated stores' records.

    ``variants["FAMILY/VARIANT"]["by_dtype"][DTYPE]`` is the variant's verdict at that dtype:
    the first ``SKIP`` status among its runs, else the first other failure, else ``ok`` (where a
    problem it does not support is ``unsupported`` and another ran ok); each run (problem,
    config) is listed too. A variant with no record says ``missing``.
    """
    import fl_table

    recs = [r for s in stores for r in fl_table.records(s) if not r.get("study")]
    out: dict[str, Any] = {
        "provenance": {"stores": [str(s) for s in stores]},
        "problems": {f: list(p) for f, p in problems.items()},
        "dtypes": list(dtypes),
        "variants": {},
    }
    for family, names in chosen.items():
        for name in names:
            by_dtype: dict[str, Any] = {}
            for dtype in dtypes:
                runs = [
                    {
                        "problem": fl_table.short(family, r["problem"]),
                        "config": r.get("config") or {},
                        "status": r["status"],
                        "message": str(r.get("message") or r.get("error") or "")[:400],
                    }
                    for r in recs
                    if r["family"] == family and r["variant"] == name and r["dtype"] == dtype
                ]
                by_dtype[dtype] = {**worst(runs), "runs": runs}
            out["variants"][f"{family}/{name}"] = {
                "family": family,
                "variant": name,
                "by_dtype": by_dtype,
            }
    return out


def worst(runs: Sequence[dict[str, Any]]) -> dict[str, str]:
    """One verdict for a list of runs: a skip-worthy failure first, then any failure, else ok."""
    if not runs:
        return {"status": "missing", "message": "no emulated record", "problem": ""}
    for pick in (
        lambda s: s in SKIP,
        lambda s: s not in ("ok", "unsupported", "skipped"),
        lambda s: s == "ok",
        lambda s: True,
    ):
        for r in runs:
            if pick(r["status"]):
                ok = r["status"] == "ok"
                return {
                    "status": r["status"],
                    "message": "" if ok else r["message"],
                    "problem": "" if ok else r["problem"],
                }
    raise AssertionError("unreachable")


def load(path: Path | None) -> dict[str, Any] | None:
    """The verdict file, or None when there is none (then nothing changes on the GPU)."""
    if path is None or not path.is_file():
        return None
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and isinstance(data.get("variants"), dict) else None


def verdict(
    data: dict[str, Any] | None, family: str, variant: str, dtype: str
) -> dict[str, str] | None:
    """The emulated verdict of one variant at one dtype, if the file has one."""
    if not data:
        return None
    entry = data["variants"].get(f"{family}/{variant}")
    if not entry:
        return None
    found = entry.get("by_dtype", {}).get(dtype)
    return found if isinstance(found, dict) and found.get("status") != "missing" else None


def skips(data: dict[str, Any] | None, dtype: str) -> dict[tuple[str, str], dict[str, str]]:
    """(family, variant) -> emulated verdict, for each variant the emulator shows wrong at ``dtype``."""
    out: dict[tuple[str, str], dict[str, str]] = {}
    for entry in (data or {}).get("variants", {}).values():
        found = verdict(data, entry["family"], entry["variant"], dtype)
        if found and found["status"] in SKIP:
            out[(entry["family"], entry["variant"])] = found
    return out


def agree(emulated: str | None, gpu: str) -> bool | None:
    """Whether the two verdicts say the same (ok / wrong / finding); None where one says neither."""
    a, b = CLASS.get(emulated or ""), CLASS.get(gpu)
    return None if a is None or b is None else a == b


def forced() -> bool:
    return os.environ.get(FORCE_ENV, "") not in ("", "0")
