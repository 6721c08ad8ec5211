"""First light: one call of about 8 minutes on a lent GPU that checks every GPU claim, in order of value.

Every figure comes from a real ``kernbench`` command writing one results store under OUT_DIR;
this driver only orders the commands, gives each stage its own time limit and keeps a summary
JSON that is rewritten after every command, so a kill at any point loses nothing recorded.
``--dry-run`` runs the same stages on the CPU device at tiny problems (no timing there is
performance); tools that are absent (nvidia-smi, compute-sanitizer) make a step "skipped".

Before any stage it reads the emulated verdicts ``prepare.sh`` left in the carry folder
(``.gpu-carry/emu/verdicts.json``, see ``emu_verdicts.py``; ``--verdicts FILE`` names
another): a variant the emulator shows wrong or unsafe at the plan's dtype is skipped in every
stage, with one log line naming the verdict and its message, unless ``--force`` (or
``FIRST_LIGHT_FORCE=1``). No verdict file: every variant runs, as before.

    python3 scripts/gpu/first_light.py OUT_DIR [--dry-run] [--only STAGE ...] [--resume DIR]
                                       [--verdicts FILE] [--force]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tarfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
sys.path.insert(0, str(HERE))

import emu_verdicts  # noqa: E402  (sibling script modules)
import fl_table  # noqa: E402

STAGES: tuple[tuple[str, int], ...] = (
    ("env", 45),
    ("correctness", 95),
    ("sanitize", 45),
    ("gemm", 115),
    ("attention", 80),
    ("tune", 80),
    ("table", 20),
)
"""(stage, time limit in seconds), in running order; the limits add up to the call's budget."""
BUDGET_S = 480
SETUP_S = 60
"""What first_light.sh may spend before the stages (installing the carry folder, checking the
prebuilt artefacts); more comes out of the tune stage, so the call stays within 540 s."""
FILES = ("kernbench.sqlite3", "first_light.log", "summary.json", "table.md", "sanitizer.tar.gz")
"""Everything this run leaves in OUT_DIR: the device tool brings back at most 8 files."""


@dataclass(frozen=True)
class Plan:
    """The problems and variants of one mode; GPU or CPU dry run, the stages are the same."""

    device: str
    dtype: str
    gemm_check: tuple[str, ...]
    """One irregular and one large GEMM problem for the correctness stage."""
    attn_check: tuple[str, ...]
    gemm_bench: tuple[str, ...]
    attn_bench: tuple[str, ...]
    gemm_small: str
    """The small problem a failed variant is rerun on under compute-sanitizer."""
    attn_small: str
    attn_tune: str = ""
    """The attention problem tuned with the time left (the decode problem of ``attn_bench``)."""
    gemm_variants: tuple[str, ...] = ()
    """Empty: every variant of the family, baselines included."""
    attn_variants: tuple[str, ...] = ()
    check_args: tuple[str, ...] = (
        "--warmup-max",
        "0.1",
        "--min-time",
        "0.02",
        "--max-time",
        "0.05",
    )
    """The correctness stage: the gate, then a token sample (the figures come later)."""
    bench_args: tuple[str, ...] = ("--warmup-max", "0.5", "--min-time", "0.2", "--max-time", "0.5")
    """About 50 GEMM candidates must fit 115 s: short sampling (a noisy one says so)."""
    tune_trials: int = 12
    tune_args: tuple[str, ...] = ("--confirm", "3")
    """Confirm the top 3 (and the baselines) in 3 interleaved rounds: #18's check of winners."""
    tmas: tuple[str, ...] = ("triton_tma",)
    always_map: tuple[tuple[str, str], ...] = ()
    """Variants mapped even when they passed (the dry run's way to exercise the map tool)."""


GPU = Plan(
    device="cuda",
    dtype="bf16",
    gemm_check=("4095x4097x1000", "4096x4096x4096"),
    attn_check=(
        "batch=7,context=3000,lengths=random,q_heads=32,kv_heads=8,head_dim=128",
        "batch=16,context=8192,q_heads=32,kv_heads=8,head_dim=128",
    ),
    gemm_bench=("8192x8192x8192", "4096x4096x4096"),
    attn_bench=("preset:first-light",),
    attn_tune="batch=64,context=8192,q_heads=32,kv_heads=8,head_dim=128",
    gemm_small="256x192x128",
    attn_small="batch=2,context=300,lengths=random,q_heads=8,kv_heads=2,head_dim=128",
)
DRY = Plan(
    device="cpu",
    dtype="fp16",  # the Triton interpreter's bf16 dot is not exact enough for the gate
    gemm_check=("77x129x65", "96x80x64"),
    attn_check=("batch=3,context=40,lengths=random,q_heads=4,kv_heads=2,head_dim=64",),
    gemm_bench=("64x64x64",),
    attn_bench=("batch=2,context=33,q_heads=4,kv_heads=1,head_dim=64,block_size=8",),
    attn_tune="batch=2,context=33,q_heads=4,kv_heads=1,head_dim=64,block_size=8",
    gemm_small="32x32x32",
    attn_small="batch=2,context=20,q_heads=4,kv_heads=1,head_dim=64",
    gemm_variants=("triton_naive", "cuda_naive", "torch_matmul"),
    attn_variants=("triton_single_pass", "cuda_split_kv", "torch_sdpa"),
    check_args=("--min-time", "0.01", "--max-time", "0.02", "--warmup-max", "0.01", "--no-isolate"),
    bench_args=("--min-time", "0.01", "--max-time", "0.02", "--warmup-max", "0.01", "--no-isolate"),
    tune_trials=2,
    tune_args=(),  # the CPU device confirms nothing by default: the dry run stays short
    tmas=(),
    always_map=(("gemm", "triton_naive"),),
)


def kernbench_exe() -> list[str]:
    """The ``kernbench`` beside this Python (a venv), else the one on PATH."""
    beside = Path(sys.executable).parent / "kernbench"
    found = str(beside) if beside.is_file() else shutil.which("kernbench")
    if not found:
        raise SystemExit("first_light: kernbench is not installed (source scripts/gpu/setup.sh)")
    return [found]


@dataclass
class Run:
    """One first-light run: its folder, log, summary and the clock every limit is measured on."""

    out: Path
    plan: Plan
    mode: str
    work: Path
    kb: list[str] = field(default_factory=kernbench_exe)
    store_flag: str = "--out"
    start: float = field(default_factory=time.monotonic)
    summary: dict[str, Any] = field(default_factory=dict)
    stage: str = ""
    deadline: float = 0.0
    proc: subprocess.Popen[bytes] | None = None
    """The command running now (stopped with the driver if the driver is stopped)."""
    emulated: dict[str, Any] | None = None
    """The emulated verdicts (``emu_verdicts.load``), None without a verdict file."""
    skip: dict[tuple[str, str], dict[str, str]] = field(default_factory=dict)
    """(family, variant) -> its emulated verdict: not run on the GPU (wrong on the emulator)."""

    def __post_init__(self) -> None:
        self.out.mkdir(parents=True, exist_ok=True)
        self.work.mkdir(parents=True, exist_ok=True)
        self.log_path = self.out / "first_light.log"
        help_text = subprocess.run(
            [*self.kb, "bench", "--help"], capture_output=True, text=True
        ).stdout
        self.store_flag = "--store" if "--store" in help_text else "--out"
        self.summary = {
            "mode": self.mode,
            "device": self.plan.device,
            "started_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "budget_s": BUDGET_S,
            "limits_s": dict(STAGES),
            "store": str(self.out / "kernbench.sqlite3"),
            "stages": {},
        }
        self.save()

    # -- bookkeeping -------------------------------------------------------------------------
    def save(self) -> None:
        """Rewrite summary.json atomically: a reader never sees half a file."""
        self.summary["elapsed_s"] = round(time.monotonic() - self.start, 1)
        tmp = self.out / "summary.json.tmp"
        tmp.write_text(json.dumps(self.summary, indent=1, default=str))
        os.replace(tmp, self.out / "summary.json")

    def log(self, text: str) -> None:
        with open(self.log_path, "a") as fh:
            fh.write(text if text.endswith("\n") else text + "\n")
        print(text, flush=True)

    @property
    def record(self) -> dict[str, Any]:
        return self.summary["stages"].setdefault(self.stage, {"commands": [], "notes": []})

    def note(self, text: str) -> None:
        self.record["notes"].append(text)
        self.log(f"[{self.stage}] {text}")
        self.save()

    def left(self) -> float:
        return max(0.0, self.deadline - time.monotonic())

    def variants(self, family: str) -> list[str] | None:
        """The ``-v`` arguments of a family's commands: the plan's, less what the emulator skips.

        With nothing to skip this is the plan's list (empty: every variant, baselines too);
        None when the emulator skips every variant the plan has (then no command runs).
        """
        planned = self.plan.gemm_variants if family == "gemm" else self.plan.attn_variants
        skipped = {v for f, v in self.skip if f == family}
        if not skipped:
            return variant_args(planned)
        if not planned:
            from kernbench.registry import Registry

            planned = tuple(v.name for v in Registry.discover().variants(family))
        kept = [v for v in planned if v not in skipped]
        return variant_args(kept) if kept else None

    def use_verdicts(self, path: Path | None, force: bool) -> None:
        """Read the emulated verdicts; log and record each variant they keep off the GPU."""
        self.emulated = emu_verdicts.load(path)
        info: dict[str, Any] = {"file": str(path) if path else None, "found": bool(self.emulated)}
        self.summary["emulated"] = info
        if not self.emulated:
            self.log(f"emulated verdicts: none at {path}: every variant runs")
            self.save()
            return
        prov = self.emulated.get("provenance", {})
        info.update(
            provenance={k: prov.get(k) for k in ("commit", "dirty", "device", "arch", "made_utc")},
            forced=force,
            skipped={},
        )
        here = emu_verdicts.commit()
        if here["commit"] and prov.get("commit") and here["commit"] != prov.get("commit"):
            info["stale"] = f"made at {prov.get('commit')}, this tree is at {here['commit']}"
            self.log(f"emulated verdicts: WARNING: {info['stale']} (rerun prepare.sh)")
        wanted = self.skip_candidates()
        self.log(
            f"emulated verdicts: {path} ({prov.get('device')}, commit {str(prov.get('commit'))[:12]}, "
            f"{prov.get('made_utc')}): {len(wanted)} variant(s) wrong on the emulator"
            + (" (forced: they run anyway)" if force and wanted else "")
        )
        for (family, name), found in sorted(wanted.items()):
            what = f"{found['status']} on {prov.get('device', 'the emulator')}"
            where = f" at {found['problem']} {self.plan.dtype}" if found.get("problem") else ""
            self.log(
                f"emulated: {'RUN (forced)' if force else 'skip'} {family}/{name}: {what}{where}: "
                f"{found['message'].splitlines()[0] if found['message'] else '(no message)'}"
            )
            info["skipped"][f"{family}/{name}"] = {**found, "forced": force}
        if not force:
            self.skip = wanted
        self.save()

    def skip_candidates(self) -> dict[tuple[str, str], dict[str, str]]:
        """What the verdicts would skip among the variants this plan runs."""
        found = emu_verdicts.skips(self.emulated, self.plan.dtype)
        plans = {"gemm": self.plan.gemm_variants, "paged_attention": self.plan.attn_variants}
        return {
            (f, v): e for (f, v), e in found.items() if not plans.get(f) or v in plans.get(f, ())
        }

    # -- running commands --------------------------------------------------------------------
    def kernbench(self, *args: str, limit: float | None = None) -> int:
        return self.sh([*self.kb, *args], limit=limit)

    def store(self) -> list[str]:
        return [self.store_flag, str(self.out)]

    def sh(self, cmd: Sequence[str], limit: float | None = None) -> int:
        """Run one command under the stage's clock; its output goes to the one log.

        On its limit it gets SIGINT first (kernbench keeps what it recorded), then SIGKILL.
        Returns the exit code, 124 on a timeout, 127 when the tool is missing.
        """
        limit = min(limit if limit is not None else self.left(), self.left())
        entry: dict[str, Any] = {"cmd": " ".join(cmd), "limit_s": round(limit, 1)}
        self.record["commands"].append(entry)
        if limit < 1:
            entry.update(rc=None, status="skipped: no time left in the stage")
            self.save()
            return 124
        self.log(f"\n$ {entry['cmd']}   (limit {limit:.0f} s)")
        started = time.monotonic()
        with open(self.log_path, "a") as fh:
            try:
                proc = subprocess.Popen(
                    list(cmd),
                    stdout=fh,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            except FileNotFoundError:
                entry.update(rc=127, status="skipped: not available")
                self.save()
                return 127
            self.proc = proc
            try:
                rc = proc.wait(timeout=limit)
            except subprocess.TimeoutExpired:
                rc = stop(proc)
                entry["status"] = "timeout"
            finally:
                self.proc = None
        entry.update(rc=rc, wall_s=round(time.monotonic() - started, 1))
        entry.setdefault("status", "ok" if rc == 0 else f"exit {rc}")
        self.log(f"-> {entry['status']} in {entry['wall_s']} s")
        self.save()
        return 124 if entry["status"] == "timeout" else rc


def stop(proc: subprocess.Popen[bytes]) -> int:
    """SIGINT the command's process group, then SIGKILL whatever is left after 5 s."""
    for sig, grace in ((signal.SIGINT, 5.0), (signal.SIGKILL, 5.0)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            break
        try:
            return proc.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            continue
    return proc.wait()


def have(tool: str) -> bool:
    return shutil.which(tool) is not None


def variant_args(names: Sequence[str]) -> list[str]:
    args = [a for n in names for a in ("-v", n)]
    return [*args, "--no-baselines"] if names else []


def shape_args(shapes: Sequence[str]) -> list[str]:
    return [a for s in shapes for a in ("-s", s)]


# -- stages -------------------------------------------------------------------------------------
def stage_env(run: Run) -> None:
    """The machine as it was: GPU, driver, clocks, compiler, kernbench's view, then its ceilings."""
    for tool, args in (
        ("nvidia-smi", ["-q", "-d", "CLOCK,POWER,PERFORMANCE"]),
        (
            "nvidia-smi",
            [
                "--query-gpu=name,driver_version,clocks.max.sm,clocks.sm,power.limit,temperature.gpu",
                "--format=csv",
            ],
        ),
        ("nvcc", ["--version"]),
        ("compute-sanitizer", ["--version"]),
    ):
        if have(tool):
            run.sh([tool, *args], limit=10)
        else:
            run.note(f"{tool}: skipped: not available")
    run.kernbench("env", "--device", run.plan.device, limit=30)
    if run.plan.device == "cuda":
        run.kernbench("calibrate", "--device", "cuda", "--max-time", "1", *run.store())
    else:
        run.note("calibrate: skipped: not available (no GPU; the CPU device has no ceilings)")


def stage_correctness(run: Run) -> None:
    """Every variant of both families at its defaults through the gate, briefly sampled."""
    p = run.plan
    gemm = ["bench", "gemm", "--device", p.device, "--dtype", p.dtype, *shape_args(p.gemm_check)]
    names = run.variants("gemm")
    if names is not None:
        run.kernbench(*gemm, *names, *p.check_args, *run.store(), limit=run.left() * 0.6)
    attn = ["bench", "paged_attention", "--device", p.device, "--dtype", p.dtype, "--cache", "cold"]
    attn += shape_args(p.attn_check)
    names = run.variants("paged_attention")
    if names is not None:
        run.kernbench(*attn, *names, *p.check_args, *run.store())


FAILED = ("crash", "wrong_result")
LOW_LEVEL = ("cuda", "cutlass")


def stage_sanitize(run: Run) -> None:
    """Rerun each CUDA/CUTLASS variant that crashed or computed wrong, and map where.

    First the wrong-element map on the problem where it failed, then the small problem under
    ``compute-sanitizer --tool memcheck`` and ``--tool racecheck`` (each also writes a map).
    """
    failed: dict[tuple[str, str], str] = {}
    for r in fl_table.records(run.out):
        if r["status"] in FAILED and r["language"] in LOW_LEVEL and not r["study"]:
            failed.setdefault((r["family"], r["variant"]), r["problem"])
    run.summary["failed_low_level"] = sorted(v for _, v in failed)
    targets = dict(failed)
    for family, name in run.plan.always_map:
        if (family, name) in run.skip:
            continue
        targets.setdefault((family, name), small_problem(run.plan, family))
    if not targets:
        run.note("no CUDA or CUTLASS variant crashed or computed wrong: nothing to sanitize")
        return
    sanitizer = shutil.which("compute-sanitizer")
    if sanitizer is None:
        run.note("compute-sanitizer: skipped: not available")
    mapper = [sys.executable, str(HERE / "wrong_map.py")]
    common = ["--dtype", run.plan.dtype, "--device", run.plan.device]
    for n, ((family, name), problem) in enumerate(sorted(targets.items())):
        share = run.left() / (len(targets) - n)
        where = [*mapper, family, name, "--shape", problem, *common]
        run.sh(
            [*where, "-o", str(run.work / f"{name}-map.json")],
            limit=share * (0.25 if sanitizer else 1),
        )
        if sanitizer is None:
            continue
        small = [*mapper, family, name, "--shape", small_problem(run.plan, family), *common]
        for tool, part in (("memcheck", 0.35), ("racecheck", 0.4)):
            log = ["--log-file", str(run.work / f"{name}-{tool}.log")]
            out = ["-o", str(run.work / f"{name}-{tool}-map.json")]
            run.sh([sanitizer, "--tool", tool, *log, *small, *out], limit=share * part)
    archive(run.work, run.out / "sanitizer.tar.gz")
    run.note(f"logs and wrong-element maps of {len(targets)} variant(s) in sanitizer.tar.gz")


def small_problem(plan: Plan, family: str) -> str:
    return plan.gemm_small if family == "gemm" else plan.attn_small


def archive(folder: Path, dest: Path) -> None:
    with tarfile.open(dest, "w:gz") as tar:
        for path in sorted(folder.glob("*")):
            tar.add(path, arcname=path.name)


def stage_gemm(run: Run) -> None:
    """The GEMM ladder (6 Triton + 10 CUDA steps) at defaults, cuBLAS and CUTLASS in the same run."""
    p = run.plan
    names = run.variants("gemm")
    if names is None:
        return
    run.kernbench(
        "bench",
        "gemm",
        "--device",
        p.device,
        "--dtype",
        p.dtype,
        *shape_args(p.gemm_bench),
        *names,
        *p.bench_args,
        *run.store(),
    )


def stage_attention(run: Run) -> None:
    """Every paged-attention variant with its torch baselines, cold L2."""
    p = run.plan
    names = run.variants("paged_attention")
    if names is None:
        return
    run.kernbench(
        "bench",
        "paged_attention",
        "--device",
        p.device,
        "--dtype",
        p.dtype,
        "--cache",
        "cold",
        *shape_args(p.attn_bench),
        *names,
        *p.bench_args,
        *run.store(),
    )


def stage_tune(run: Run) -> None:
    """Short tunes with the time left: triton_tma, the best CUDA step, the best attention variant."""
    p = run.plan
    records = fl_table.records(run.out)
    studies: list[tuple[str, str, str, list[str]]] = [
        ("gemm", v, p.gemm_bench[0], []) for v in p.tmas if ("gemm", v) not in run.skip
    ]
    gemm_problem = fl_table.problem_key(p.gemm_bench[0])
    cuda = fl_table.fastest(records, "gemm", gemm_problem, language="cuda")
    if cuda:
        studies.append(("gemm", cuda, p.gemm_bench[0], []))
    else:
        run.note("no CUDA step passed at the first GEMM problem: no CUDA tune")
    attn = fl_table.fastest(records, "paged_attention", None, baseline=False)
    if attn:
        studies.append(("paged_attention", attn, p.attn_tune, ["--cache", "cold"]))
    else:
        run.note("no attention variant passed: no attention tune")
    run.summary["stages"]["tune"]["studies"] = [f"{v} @ {s}" for _, v, s, _ in studies]
    for n, (family, name, shape, extra) in enumerate(studies):
        share = run.left() / (len(studies) - n)
        budget = max(share - 30, 5)  # start-up, confirming the best and storing fit in the rest
        run.kernbench(
            "tune",
            family,
            "-v",
            name,
            "-s",
            shape,
            "--device",
            p.device,
            "--dtype",
            p.dtype,
            *extra,
            "--trials",
            str(p.tune_trials),
            *p.tune_args,
            "--timeout",
            f"{budget:.0f}",
            *p.bench_args,
            *run.store(),
            limit=share,
        )


def stage_table(run: Run) -> None:
    """The compact table (variant, status, % of cuBLAS or of the measured copy bandwidth)."""
    rows = fl_table.build(fl_table.records(run.out), run.emulated)
    rows += fl_table.skipped_rows(run.skip, run.plan.dtype)
    note = "" if run.plan.device == "cuda" else fl_table.CPU_NOTE
    (run.out / "table.md").write_text(fl_table.markdown(rows, note))
    run.summary["table"] = rows
    differ = [f"{r['family']}/{r['variant']} {r['problem']} {r['dtype']}: GPU {r['status']}, "
              f"emulated {r['emulated']}" for r in rows if r.get("agree") is False]  # fmt: skip
    if run.emulated:
        run.summary["emulated"]["disagree"] = differ
    run.note(
        f"{len(rows)} rows in table.md"
        + (f"; {len(differ)} disagree with the emulator" if differ else "")
    )
    for line in differ:
        run.note(f"emulator and GPU disagree: {line}")


STAGE_FUNCS: dict[str, Callable[[Run], None]] = {
    "env": stage_env,
    "correctness": stage_correctness,
    "sanitize": stage_sanitize,
    "gemm": stage_gemm,
    "attention": stage_attention,
    "tune": stage_tune,
    "table": stage_table,
}


def stage_limit(index: int, spent: float) -> float:
    """A stage's own limit; the tune stage gets what the stages before it left unused.

    ``spent`` is the wall time of the stages before (plus any setup overrun), so the whole
    run never passes ``BUDGET_S``.
    """
    name, limit = STAGES[index]
    if name != "tune":
        return float(limit)
    later = sum(lim for _, lim in STAGES[index + 1 :])
    return max(BUDGET_S - spent - later, 0.0)


def stage_status(record: dict[str, Any]) -> str:
    statuses = [c.get("status", "") for c in record["commands"]]
    if any(s == "timeout" for s in statuses):
        return "timeout"
    if not statuses:
        return "ok"
    fine = ("ok", "skipped: not available")
    return "ok" if all(s in fine for s in statuses) else "partial"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", nargs="?", default=os.environ.get("OUT", "first-light"))
    parser.add_argument("--dry-run", action="store_true", help="CPU device, tiny problems")
    parser.add_argument("--only", action="append", default=[], help="run only these stages")
    parser.add_argument(
        "--resume",
        type=Path,
        default=None,
        help="start from the store in this folder (a second call, after the first came back)",
    )
    parser.add_argument(
        "--verdicts",
        type=Path,
        default=ROOT / ".gpu-carry" / emu_verdicts.FILE,
        help="the emulated verdicts (default: the carry folder's; a missing file skips nothing)",
    )
    parser.add_argument(
        "--force",
        action="store_true",
        default=emu_verdicts.forced(),
        help=f"run what the emulator shows wrong anyway (also {emu_verdicts.FORCE_ENV}=1)",
    )
    args = parser.parse_args(argv)
    unknown = set(args.only) - set(STAGE_FUNCS)
    if unknown:
        print(
            f"first_light: unknown stage(s) {sorted(unknown)}: use {list(STAGE_FUNCS)}",
            file=sys.stderr,
        )
        return 2
    out = Path(args.out)
    if args.resume is not None:
        previous = args.resume / "kernbench.sqlite3"
        if not previous.is_file():
            print(f"first_light: no kernbench.sqlite3 in {args.resume}", file=sys.stderr)
            return 2
        out.mkdir(parents=True, exist_ok=True)
        if not (out / previous.name).exists():
            shutil.copy2(previous, out / previous.name)
    plan = DRY if args.dry_run else GPU
    run = Run(
        out,
        plan,
        "dry-run" if args.dry_run else "gpu",
        work=Path(os.environ.get("TMPDIR", "/tmp")) / f"first-light-{os.getpid()}",
    )

    def interrupted(signum: int, _frame: object) -> None:
        if run.proc is not None:
            stop(run.proc)  # kernbench commits what it measured on SIGINT
        run.summary["interrupted"] = f"signal {signum} during stage {run.stage}"
        run.save()
        raise SystemExit(130)

    run.use_verdicts(args.verdicts, args.force)
    signal.signal(signal.SIGTERM, interrupted)
    signal.signal(signal.SIGINT, interrupted)
    # first_light.sh exports when it started: setup past its allowance shortens the tunes.
    setup = time.time() - float(os.environ.get("FIRST_LIGHT_T0", time.time()))
    run.summary["setup_s"] = round(setup, 1)
    spent = max(setup - SETUP_S, 0.0)
    for n, (name, _) in enumerate(STAGES):
        if args.only and name not in args.only:
            continue
        run.stage = name
        allowed = stage_limit(n, spent)
        run.deadline = time.monotonic() + allowed
        run.record.update(limit_s=round(allowed, 1), status="running")
        run.log(f"\n=== stage {n + 1}/{len(STAGES)}: {name} (limit {allowed:.0f} s)")
        started = time.monotonic()
        try:
            STAGE_FUNCS[name](run)
            run.record["status"] = stage_status(run.record)
        except Exception as exc:  # one broken stage must not cost the others
            run.record["status"] = "error"
            run.note(f"error: {type(exc).__name__}: {exc}")
        run.record["wall_s"] = round(time.monotonic() - started, 1)
        spent += run.record["wall_s"]
        run.save()
    shutil.rmtree(run.work, ignore_errors=True)
    run.summary["finished"] = True
    run.save()
    print(f"first light: summary in {out / 'summary.json'}, table in {out / 'table.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
