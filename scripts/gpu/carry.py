"""The carry folder: what a GPU call needs that can be made here, without a GPU.

``prepare`` (run here) fills one folder with the wheels the GPU image lacks and with the
CUDA ladder's cubins and the CUTLASS libraries that first light's problems need at their
default configs, built through each variant's own static check so that the keys are the
ones the GPU machine will compute. ``seed`` (run there) copies the prebuilt artefacts into a
fresh cache and ``check`` walks the same static checks again: an artefact whose source,
flags, architecture or compiler major.minor differ is rebuilt there, and the log says so.
``prepare`` (and ``emulate`` alone) also runs every CUDA and Triton variant on the emulated
Hopper and writes their verdicts to ``CARRY/emu/verdicts.json`` (``emu_verdicts.py``): first
light skips on the GPU what the emulator already shows wrong.

    python3 scripts/gpu/carry.py prepare .gpu-carry [--no-wheels] [--no-emulated] [--variant V ...] [--jobs N]
    python3 scripts/gpu/carry.py emulate .gpu-carry [--emu-variant V ...] [--emu-shape FAMILY=S ...] [--emu-dtype D ...]
    python3 scripts/gpu/carry.py seed .gpu-carry --cache DIR
    python3 scripts/gpu/carry.py check [--variant V ...] [--jobs N]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import emu_verdicts  # noqa: E402  (sibling script modules)
import first_light  # noqa: E402  (its GPU plan names the problems)

COMPILER = "nvcc"
"""Both machines have nvcc 13.0; NVRTC's wheel version may differ between them."""
LOW_LEVEL = ("cuda", "cutlass")
WHEELS = (
    "optuna==5.0.0",
    "sqlalchemy==2.1.9",
    "alembic",
    "colorlog",
    "mako",
    "greenlet",
    "nvidia-cutlass==4.2.0.0",
    "plotly",
)
"""What the GPU image lacks (it has torch, triton, pandas, rich, cuda-bindings, nvrtc ...)."""
PLATFORMS = (
    "manylinux_2_35_x86_64", "manylinux_2_34_x86_64", "manylinux_2_31_x86_64",
    "manylinux_2_28_x86_64", "manylinux_2_27_x86_64", "manylinux_2_24_x86_64",
    "manylinux_2_17_x86_64", "manylinux2014_x86_64", "manylinux1_x86_64",
)  # fmt: skip
EMU_DTYPES = (first_light.GPU.dtype, first_light.DRY.dtype)
"""The emulated verdicts' dtypes: the GPU run's (bf16) and the CPU dry run's (fp16)."""
CARRY_LIMIT = 64 * 2**20
"""The device tool carries the working tree and the carry folder, 64 MiB together."""


@dataclass(frozen=True)
class Job:
    """One static check: compiles (or finds) the artefacts of one variant, config and problem."""

    family: str
    variant: str
    problem: str
    dtype: str
    config: dict[str, Any]

    @property
    def label(self) -> str:
        conf = ",".join(f"{k}={v}" for k, v in self.config.items())
        return f"{self.variant} {self.dtype} {self.problem} {conf}"


def jobs(variants: list[str] | None = None) -> list[Job]:
    """Every CUDA/CUTLASS variant's defaults on every problem first light gives its family.

    Compiling needs no GPU: the static check targets the H200's sm_90 (sm_90a where fixed).
    """
    from kernbench.registry import Registry

    registry = Registry.discover()
    plan = first_light.GPU
    problems = {
        "gemm": [*plan.gemm_check, *plan.gemm_bench, plan.gemm_small],
        "paged_attention": [*plan.attn_check, *plan.attn_bench, plan.attn_small],
    }
    out = []
    for family, texts in problems.items():
        fam = registry.family(family)
        parsed = [
            p
            for t in texts
            for p in (fam.preset(t[7:]) if t.startswith("preset:") else [fam.parse(t)])
        ]
        for v in registry.variants(family):
            if v.language not in LOW_LEVEL or (variants and v.name not in variants):
                continue
            if not v.supports_dtype(plan.dtype) or v.static_check is None:
                continue
            for config in v.default_configs():
                out += [Job(family, v.name, p.key, plan.dtype, dict(config)) for p in parsed]
    return out


def files(cache: Path) -> set[Path]:
    return {p for p in cache.rglob("*") if p.suffix in (".cubin", ".so")}


def run_jobs(todo: list[Job], cache: Path, n_jobs: int) -> dict[str, Any]:
    """Walk the static checks; an artefact not found in ``cache`` is built and named."""
    from kernbench.registry import Registry
    from kernbench.staticcheck import Target
    from kernbench.variant import Unsupported

    os.environ["KERNBENCH_CUDA_CACHE"] = str(cache)
    cache.mkdir(parents=True, exist_ok=True)
    registry = Registry.discover()
    report: dict[str, Any] = {"built": [], "used": 0, "unsupported": [], "failed": []}
    claimed: set[Path] = set()  # files already credited to a job (jobs run in parallel)
    lock = threading.Lock()

    def one(job: Job) -> None:
        fam, var = registry.family(job.family), registry.variant(job.variant)
        before = files(cache)
        started = time.monotonic()
        try:
            assert var.static_check is not None
            var.static_check(fam.parse(job.problem), job.config, job.dtype, Target())
        except Unsupported as exc:
            report["unsupported"].append(f"{job.label}: {exc}")
            return
        except Exception as exc:  # a compile error is the GPU run's finding too: record it
            report["failed"].append(f"{job.label}: {type(exc).__name__}: {exc}".splitlines()[0])
            return
        with lock:
            new = files(cache) - before - claimed
            claimed.update(new)
        if new:
            report["built"].append(f"{job.label} ({time.monotonic() - started:.1f} s)")
            print(f"built here: {job.label} (no matching prebuilt artefact)", flush=True)
        else:
            report["used"] += 1

    # Each variant's first problem before any variant's second (the later ones mostly hit the
    # same artefact, and would only wait on its lock), CUTLASS first: a minute or more each.
    rank: list[int] = []
    seen: dict[str, int] = {}
    for job in todo:
        seen[job.variant] = seen.get(job.variant, -1) + 1
        rank.append(seen[job.variant])
    order = sorted(range(len(todo)), key=lambda i: (rank[i], todo[i].variant.startswith("cuda_")))
    ordered = [todo[i] for i in order]
    with ThreadPoolExecutor(max_workers=max(n_jobs, 1)) as pool:
        list(pool.map(one, ordered))
    return report


def compiler_version() -> str:
    from kernbench.backends.cuda_compile import default_compiler

    return default_compiler().version


def fetch_wheels(dest: Path) -> None:
    """Python 3.12 manylinux x86_64 wheels of what the GPU image lacks, with no dependencies."""
    dest.mkdir(parents=True, exist_ok=True)
    platforms = [a for p in PLATFORMS for a in ("--platform", p)]
    for spec in WHEELS:
        subprocess.run(
            [
                sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--only-binary=:all:",
                "--python-version", "3.12", "--implementation", "cp", *platforms, "-d", str(dest), spec,
            ],
            check=True,
        )  # fmt: skip


def size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def tree_size(root: Path) -> int:
    """Bytes of the tracked files (the rest of what the device tool carries)."""
    names = subprocess.run(
        ["git", "ls-files", "-z"], cwd=root, capture_output=True, text=True, check=True
    ).stdout.split("\0")
    return sum((root / n).stat().st_size for n in names if n and (root / n).is_file())


def emulate(carry: Path, args: argparse.Namespace) -> dict[str, Any]:
    """The emulated-verdict stage: ``CARRY/emu/verdicts.json`` and the emulated store beside it."""
    shapes: dict[str, list[str]] = {}
    for text in args.emu_shape or []:
        family, _, shape = text.partition("=")
        if family not in emu_verdicts.PROBLEMS or not shape:
            raise SystemExit(
                f"carry: --emu-shape takes FAMILY=SHAPE, FAMILY one of {list(emu_verdicts.PROBLEMS)}"
            )
        shapes.setdefault(family, []).append(shape)
    started = time.monotonic()
    data = emu_verdicts.make(
        carry,
        args.emu_variant,
        tuple(args.emu_dtype or EMU_DTYPES),
        shapes,
        timeout_s=args.emu_timeout,
        jobs=args.jobs,
    )
    counts: dict[str, int] = {}
    for entry in data["variants"].values():
        for found in entry["by_dtype"].values():
            counts[found["status"]] = counts.get(found["status"], 0) + 1
    print(
        f"emulated verdicts ({emu_verdicts.DEVICE}): {len(data['variants'])} variants, "
        f"{dict(sorted(counts.items()))}, {time.monotonic() - started:.0f} s -> {carry / emu_verdicts.FILE}"
    )
    for key, entry in data["variants"].items():
        for dtype, found in entry["by_dtype"].items():
            if found["status"] != "ok":
                print(
                    f"  {key} {dtype}: {found['status']} {found['problem']}: {found['message'][:200]}"
                )
    return data


def prepare(carry: Path, variants: list[str] | None, wheels: bool, n_jobs: int) -> dict[str, Any]:
    carry.mkdir(parents=True, exist_ok=True)
    if wheels:
        fetch_wheels(carry / "wheels")
    todo = jobs(variants)
    print(f"{len(todo)} static checks (CUDA and CUTLASS defaults on first light's problems)")
    report = run_jobs(todo, carry / "cuda-cache", n_jobs)
    for junk in (carry / "cuda-cache").rglob("*"):
        if junk.suffix in (".lock", ".sass") or ".tmp" in junk.name:
            junk.unlink()  # locks and disassembly are remade where needed
    manifest = {
        "made_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "compiler": compiler_version(),
        "arch": "sm_90",
        "variants": sorted({j.variant for j in todo}),
        "jobs": len(todo),
        "built": report["built"],
        "unsupported": report["unsupported"],
        "failed": report["failed"],
    }
    (carry / "manifest.json").write_text(json.dumps(manifest, indent=1))
    return manifest


def seed(carry: Path, cache: Path) -> int:
    """Copy the carried artefacts into ``cache`` (never over one already there)."""
    src = carry / "cuda-cache"
    copied = 0
    for path in sorted(src.rglob("*")) if src.is_dir() else []:
        dest = cache / path.relative_to(src)
        if path.is_dir() or dest.exists():
            continue
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, dest)
        copied += 1
    manifest = carry / "manifest.json"
    if manifest.is_file():
        made_with = json.loads(manifest.read_text()).get("compiler", "?")
        here = compiler_version()
        verdict = "match" if made_with == here else "DIFFER: every artefact is rebuilt here"
        print(
            f"carry: {copied} files seeded; prebuilt with {made_with}, this machine has {here} ({verdict})"
        )
    return copied


def main(argv: list[str] | None = None) -> int:
    os.environ.setdefault("KERNBENCH_CUDA_COMPILER", COMPILER)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="cmd", required=True)
    p_prep = sub.add_parser("prepare")
    p_prep.add_argument("carry", type=Path)
    p_prep.add_argument("--no-wheels", action="store_true")
    p_seed = sub.add_parser("seed")
    p_seed.add_argument("carry", type=Path)
    p_seed.add_argument("--cache", type=Path, required=True)
    p_prep.add_argument(
        "--no-emulated", action="store_true", help="skip the emulated verdicts (emu/verdicts.json)"
    )
    p_emu = sub.add_parser("emulate")
    p_emu.add_argument("carry", type=Path)
    for p in (p_prep, p_emu):
        p.add_argument("--emu-variant", action="append", default=None, help="emulate only these")
        p.add_argument(
            "--emu-shape",
            action="append",
            default=None,
            help="FAMILY=SHAPE instead of the defaults",
        )
        p.add_argument("--emu-dtype", action="append", default=None, help="default: bf16 and fp16")
        p.add_argument("--emu-timeout", type=float, default=900.0, help="seconds for all of it")
    p_emu.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    p_check = sub.add_parser("check")
    for p in (p_prep, p_check):
        p.add_argument("--variant", action="append", default=None, help="only these (repeatable)")
        p.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    p_check.add_argument("--json", type=Path, default=None, help="also write the report here")
    args = parser.parse_args(argv)

    if args.cmd == "prepare":
        manifest = prepare(args.carry, args.variant, not args.no_wheels, args.jobs)
        if not args.no_emulated:
            emulate(args.carry, args)
        total = size(args.carry) + tree_size(HERE.parent.parent)
        print(
            f"carry: {len(manifest['built'])} artefacts built, {len(manifest['failed'])} failed; "
            f"carry {size(args.carry) / 2**20:.1f} MiB + tree = {total / 2**20:.1f} MiB "
            f"(limit {CARRY_LIMIT / 2**20:.0f})"
        )
        for line in manifest["failed"]:
            print(f"  failed: {line}")
        return 1 if total > CARRY_LIMIT else 0
    if args.cmd == "emulate":
        emulate(args.carry, args)
        return 0
    if args.cmd == "seed":
        seed(args.carry, args.cache)
        return 0
    from kernbench.backends.cuda import cache_dir

    report = run_jobs(jobs(args.variant), cache_dir(), args.jobs)
    print(f"prebuilt artefacts: {report['used']} used, {len(report['built'])} built here")
    if args.json:
        args.json.write_text(json.dumps(report, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
