"""Exact counters of a launch, Nsight Compute's definitions reproduced on the emulator.

The machine already counts executed warp- and thread-instructions per pc; here each pc gets
a class once at load time (integer, fp32, tensor, ld.global...), and every memory access
that passes through :func:`..access.resolve` is handed to :meth:`Counters.access`, which
counts, per pc and vectorised over the access's lanes:

- global: requests (one per executing warp), 32-byte sectors touched (distinct per warp),
  bytes requested (lanes x size); sectors are taken relative to each buffer's start, as if
  every buffer were 256-byte aligned like ``cudaMalloc``'s, so counts do not depend on
  where the host allocator put the buffer;
- shared: requests, wavefronts and ideal wavefronts. A request is served in phases (all 32
  lanes for accesses up to 32 bits, half-warps for 64-bit, quarter-warps for 128-bit, so an
  ``ldmatrix`` 8x8 matrix of 8 row addresses is one phase); a phase takes as many
  wavefronts as the most distinct 4-byte words one of the 32 banks must serve (lanes
  reading the same word are a broadcast). Bank conflicts = wavefronts - ideal wavefronts
  (one per phase with an active lane).

Caches are not modelled; the DRAM bytes are the distinct sectors the launch touched, a
lower bound. Semantics never count: the counting is all here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from .memory import WINDOWS, window
from .ptx import ir

if TYPE_CHECKING:
    from .program import Program

SECTOR = 32
SHARED_MASK = np.uint64((1 << 24) - 1)
_FIVE = np.uint64(5)
PARAMS = "kernel parameters"
"""The emulator's name for the parameter buffer's allocation."""

FLOAT_TYPES = {"f32": "fp32", "f64": "fp64", "f16": "f16", "bf16": "f16", "f16x2": "f16x2",
               "bf16x2": "f16x2", "tf32": "fp32"}  # fmt: skip
CONTROL = {"bra", "brx", "ret", "exit", "call", "trap", "brkpt", "nanosleep", "elect"}
BARRIER = {"bar", "barrier", "mbarrier", "membar", "fence", "griddepcontrol"}
WARP = {"shfl", "vote", "match", "redux", "activemask"}
MEMORY = {"ld", "ldu", "st", "atom", "red", "prefetch", "prefetchu"}
SPACE_MODS = {"global": "global", "shared": "shared", "shared::cta": "shared",
              "shared::cluster": "shared", "local": "local", "const": "const",
              "param": "param", "param::entry": "param", "param::func": "param"}  # fmt: skip
_SHAPE = re.compile(r"m(\d+)n(\d+)k(\d+)")
_DTYPES = ("f16", "bf16", "tf32", "f64", "s8", "u8", "e4m3", "e5m2", "s4", "u4", "b1")


WAITS = {"commit_group", "wait_group", "wait_all", "fence", "arrive"}


def classify(ins: ir.Instruction) -> str:
    """The instruction class a pc counts under (decided once, from opcode and modifiers):
    ``barrier`` is CTA barriers (``bar``, ``barrier``), ``mbarrier`` every mbarrier operation
    (its ``try_wait`` executions count the waits), ``async-wait`` the commits, waits and
    fences of ``cp.async`` and ``wgmma``, ``fence`` memory fences."""
    op, mods = ins.opcode, ins.mods
    if op in ("mma", "wgmma"):
        return "async-wait" if WAITS & set(mods) else "tensor"
    if op in ("ldmatrix", "stmatrix"):
        return op
    if op == "cp":
        if WAITS & set(mods):
            return "async-wait"
        return "tma" if "bulk" in mods else "cp.async"
    if op in MEMORY:
        if op in ("prefetch", "prefetchu"):
            return "other"
        space = next((SPACE_MODS[m] for m in mods if m in SPACE_MODS), "generic")
        kind = "ld" if op in ("ld", "ldu") else "st" if op == "st" else "atom"
        return f"{kind}.{space}"
    if op in CONTROL:
        return "control"
    if op in ("bar", "barrier"):
        return "barrier"
    if op == "mbarrier":
        return "mbarrier"
    if op in BARRIER:
        return "fence"
    if op in WARP:
        return "warp"
    if op == "cvt":
        return "convert"
    for m in reversed(mods):
        if m in FLOAT_TYPES:
            return FLOAT_TYPES[m]
    return "integer"


def tensor_work(ins: ir.Instruction) -> tuple[str, int, int] | None:
    """(input dtype, multiply-adds per warp-instruction, warps sharing one instruction)."""
    if ins.opcode not in ("mma", "wgmma") or classify(ins) != "tensor":
        return None
    shape = next((_SHAPE.fullmatch(m) for m in ins.mods if _SHAPE.fullmatch(m)), None)
    if shape is None:
        return None
    mm, nn, kk = (int(x) for x in shape.groups())
    types = [m for m in ins.mods if m in _DTYPES or m in ("f32",)]
    # mma names d, a, b, c types (or one type for f64/bf16 shorthand); wgmma names d, a, b
    ab = [t for t in types if t != "f32"] or types
    dtype = ab[0] if ab else "unknown"
    if "tf32" in types:
        dtype = "tf32"
    return dtype, mm * nn * kk, 4 if ins.opcode == "wgmma" else 1


ELEM_BYTES = {"f16": 2, "bf16": 2, "tf32": 4, "f64": 8, "s8": 1, "u8": 1, "e4m3": 1, "e5m2": 1}


def wgmma_shared_bytes(ins: ir.Instruction) -> int:
    """Operand bytes one ``wgmma.mma_async`` reads from shared memory per warpgroup: B always
    (n x k), A (m x k) when it is a descriptor (one register) rather than registers (a
    brace list). Their bank conflicts are not modelled."""
    work = tensor_work(ins)
    if work is None or ins.opcode != "wgmma":
        return 0
    shape = next(m for m in ins.mods if _SHAPE.fullmatch(m))
    mm, nn, kk = (int(x) for x in _SHAPE.fullmatch(shape).groups())  # type: ignore[union-attr]
    size = ELEM_BYTES.get(work[0], 2)
    a_in_shared = len(ins.operands) > 1 and not isinstance(ins.operands[1], ir.Vec)
    return (nn * kk + (mm * kk if a_in_shared else 0)) * size


@dataclass
class Counts:
    """A launch's counters: totals and per PTX line, with the CUDA source line of each."""

    totals: dict[str, float] = field(default_factory=dict)
    lines: dict[int, dict[str, int]] = field(default_factory=dict)
    sources: dict[int, str] = field(default_factory=dict)
    """PTX line -> ``file:line`` of the CUDA source (``.loc``), where known."""
    texts: dict[int, str] = field(default_factory=dict)


PER_PC = (
    "global_requests", "global_sectors", "global_bytes",
    "shared_requests", "shared_wavefronts", "shared_ideal", "shared_bytes",
    "local_requests", "tma_bytes",
)  # fmt: skip


class Counters:
    """Per-launch accumulators (kept across waves); the machine's ``observer``."""

    def __init__(self, program: Program) -> None:
        self.program = program
        n = len(program.steps)
        self.by_dir = {w: {k: np.zeros(n, np.int64) for k in PER_PC} for w in (False, True)}
        """Per direction (write?), per counter, per pc: ``cp.async`` both reads and writes."""
        self.static = Static.of(program)
        self.skip = self.static.skip
        """Parameter and constant loads: instructions, but not memory traffic counted here
        (they go through the constant cache on a GPU)."""
        self._dram: dict[tuple[bool, int, int], np.ndarray] = {}
        """(write?, buffer base, size) -> the buffer's sectors touched."""
        self._banks: dict[tuple[Any, ...], tuple[int, int]] = {}
        """An access pattern (moved to the first bank row and warp) -> its wavefronts."""

    # ------------------------------------------------------------------ the hook
    def access(
        self,
        pc: int,
        tids: np.ndarray,
        space: str,
        addr: np.ndarray,
        nbytes: int,
        write: bool,
        host: Any,
    ) -> None:
        """Count one memory access of ``nbytes`` per lane by threads ``tids`` (sorted)."""
        if tids.size == 0 or self.skip[pc]:
            return
        if space == "generic":
            win = window(addr)
            for w, sp, base in WINDOWS:
                keep = win == w
                if keep.all():
                    self.access(pc, tids, sp, addr - np.uint64(base), nbytes, write, host)
                    return
                if keep.any():
                    self.access(pc, tids[keep], sp, addr[keep] - np.uint64(base), nbytes,
                                write, host)  # fmt: skip
            return
        warps = tids >> 5
        requests = int(np.count_nonzero(warps[1:] != warps[:-1])) + 1
        if space == "host":
            self._global(pc, warps, requests, addr, nbytes, write, host)
        elif space == "shared":
            self._shared(pc, tids, requests, addr & SHARED_MASK, nbytes, write)
        elif space == "local":
            self.by_dir[write]["local_requests"][pc] += requests

    def bulk(self, pc: int, nbytes: int, write: bool) -> None:
        """A TMA (``cp.async.bulk``) copy of ``nbytes`` at ``pc``: ``write`` for global stores.
        The Hopper ops call it; its shared-memory bank conflicts are not modelled."""
        self.by_dir[write]["tma_bytes"][pc] += nbytes

    def _global(
        self,
        pc: int,
        warps: np.ndarray,
        requests: int,
        addr: np.ndarray,
        nbytes: int,
        write: bool,
        host: Any,
    ) -> None:
        p = self.by_dir[write]
        if not host.allocs:
            return
        span = np.uint64(nbytes - 1)
        lo, hi = addr.min(), addr.max()
        k = np.searchsorted(host._bases, np.array([lo, hi], np.uint64), side="right") - 1
        one = k[0] == k[1] and k[0] >= 0 and hi + span < host._ends[k[0]]
        if one and host.allocs[int(k[0])].name == PARAMS:
            return  # a by-value tensor map read through the parameter buffer: not traffic
        p["global_requests"][pc] += requests
        p["global_bytes"][pc] += warps.size * nbytes
        if one:
            # the usual case: every lane in one buffer
            kk = int(k[0])
            rel = addr - host._bases[kk]
            first, last = rel >> _FIVE, (rel + span) >> _FIVE
            full = requests * 32 == warps.size
            if full and nbytes <= SECTOR and not (last != first).any():
                p["global_sectors"][pc] += _distinct_per_row(first.reshape(-1, 32))
                self._touch(write, host, kk, first, None)
            else:
                p["global_sectors"][pc] += _distinct_pairs(warps, first, last)
                self._touch(write, host, kk, first, last)
            return
        kl, ok = host.locate(addr, nbytes)
        for kk in np.unique(kl[ok]):
            sel = ok & (kl == kk)
            rel = addr[sel] - host._bases[kk]
            first, last = rel >> _FIVE, (rel + span) >> _FIVE
            # a sector key per buffer: the buffer index above the sector (placement-free)
            tag = np.uint64(int(kk)) << np.uint64(42)
            p["global_sectors"][pc] += _distinct_pairs(warps[sel], first | tag, last | tag)
            self._touch(write, host, int(kk), first, last)

    def _touch(
        self, write: bool, host: Any, k: int, first: np.ndarray, last: np.ndarray | None
    ) -> None:
        """Mark the sectors of buffer ``k`` touched (one bitmap per buffer: no sort)."""
        a = host.allocs[k]
        key = (write, a.base, a.size)
        bm = self._dram.get(key)
        if bm is None:
            bm = self._dram[key] = np.zeros(a.size // SECTOR + 2, bool)
        if last is not None and ((last - first) > 1).any():
            first, last = _spanned(first, last)[0], None
        bm[first.view(np.int64)] = True
        if last is not None:
            bm[last.view(np.int64)] = True

    def _shared(
        self, pc: int, tids: np.ndarray, requests: int, addr: np.ndarray, nbytes: int, write: bool
    ) -> None:
        p = self.by_dir[write]
        p["shared_requests"][pc] += requests
        p["shared_bytes"][pc] += tids.size * nbytes
        # Banks and distinct words are unchanged when every address moves by a multiple of
        # 128 bytes (32 banks of 4 bytes) and every thread by a multiple of a warp, and a
        # loop makes the same pattern again and again: the wavefronts are memoised on it.
        warp0, base = int(tids[0]) & ~31, int(addr.min()) & ~127
        key = (nbytes, (tids - warp0).tobytes(), (addr - np.uint64(base)).tobytes())
        got = self._banks.get(key)
        if got is None:
            if len(self._banks) >= 4096:
                self._banks.clear()
            got = self._banks[key] = _wavefronts(tids, addr, nbytes)
        p["shared_wavefronts"][pc] += got[0]
        p["shared_ideal"][pc] += got[1]

    # ------------------------------------------------------------------ results
    def counts(self, thread_counts: np.ndarray, warp_counts: np.ndarray) -> Counts:
        """The launch's totals and per-line counts from the machine's per-pc counts."""
        st = self.static
        t: dict[str, float] = {}
        wc, tc = warp_counts.astype(np.int64), thread_counts.astype(np.int64)
        ncls = len(st.class_names)
        for name, arr in (("warp", wc), ("thread", tc)):
            per = np.bincount(st.class_idx, arr, ncls)
            for i, v in enumerate(per):
                if v:
                    t[f"{name}.{st.class_names[i]}"] = int(v)
        macs = wc * st.macs // st.share
        for i, dt in enumerate(st.dtypes):
            v = int(macs[st.dtype_idx == i].sum())
            if v:
                t[f"tensor_macs.{dt}"] = v
        wg = int((wc * st.wgmma_bytes).sum()) // 4
        if wg:
            t["wgmma_shared_operand_bytes"] = wg
        nl = len(st.line_numbers)
        columns: dict[str, np.ndarray] = {
            "warp": np.bincount(st.line_idx, wc, nl),
            "thread": np.bincount(st.line_idx, tc, nl),
            "tensor_macs": np.bincount(st.line_idx, macs, nl),
        }
        for write, arrays in self.by_dir.items():
            for k, arr in arrays.items():
                if arr.any():
                    name = k.replace("_", "_store_" if write else "_load_", 1)
                    t[name] = int(arr.sum())
                    columns[name] = np.bincount(st.line_idx, arr, nl)
        names = list(columns)
        executed_idx = np.flatnonzero(columns["warp"])
        table = np.stack([columns[k] for k in names])[:, executed_idx].astype(np.int64).T.tolist()
        lines: dict[int, dict[str, int]] = {
            st.line_numbers[j]: {k: v for k, v in zip(names, row, strict=True) if v}
            for j, row in zip(executed_idx.tolist(), table, strict=True)
        }
        warps, threads = int(wc.sum()), int(tc.sum())
        t["warp_instructions"] = warps
        t["thread_instructions"] = threads
        t["lane_efficiency"] = threads / (32 * warps) if warps else 0.0
        for write, name in ((False, "read"), (True, "write")):
            touched = sum(
                int(np.count_nonzero(bm)) for k, bm in self._dram.items() if k[0] == write
            )
            t[f"dram_{name}_bytes_lower_bound"] = touched * SECTOR
        t.update(derived(t))
        executed = set(lines)
        sources = {k: v for k, v in st.sources.items() if k in executed}
        texts = {k: v for k, v in st.texts.items() if k in executed}
        return Counts(t, lines, sources, texts)


def _wavefronts(tids: np.ndarray, addr: np.ndarray, nbytes: int) -> tuple[int, int]:
    """Shared-memory wavefronts of one access, and the fewest it could take: lanes split
    into phases (32, 16 or 8 lanes for 4, 8 or 16 bytes each) and a phase takes as many
    wavefronts as the most distinct words any one bank serves in it."""
    per_phase = 32 if nbytes <= 4 else 16 if nbytes <= 8 else 8
    words = max(1, nbytes // 4)
    word = addr >> np.uint64(2)
    heads = tids[::per_phase]
    if (
        tids.size % per_phase == 0
        and words * per_phase == 32
        and not (heads % per_phase).any()
        and (tids[per_phase - 1 :: per_phase] - heads == per_phase - 1).all()
    ):
        # whole phases (the usual case): one row of 32 words per phase
        if words > 1:
            word = word[:, None] + np.arange(words, dtype=np.uint64)
        rows = word.reshape(-1, 32)
        key = np.sort(((rows & np.uint64(31)) << np.uint64(40)) | rows, axis=1)
        new = np.ones(key.shape, bool)
        new[:, 1:] = key[:, 1:] != key[:, :-1]
        bank = (key >> np.uint64(40)).astype(np.int64)
        flat = np.arange(key.shape[0])[:, None] * 32 + bank
        per_bank = np.bincount(flat.ravel(), new.ravel(), key.shape[0] * 32)
        return int(per_bank.reshape(-1, 32).max(axis=1).sum()), key.shape[0]
    group = ((tids >> 5) << 2) | ((tids & 31) // per_phase)
    if words > 1:
        word = (word[:, None] + np.arange(words, dtype=np.uint64)).ravel()
        group = np.repeat(group, words)
    bank = word & np.uint64(31)
    key = (((group.astype(np.uint64) << np.uint64(5)) | bank) << np.uint64(23)) | word
    u = np.unique(key)
    gb = u >> np.uint64(23)
    starts = np.flatnonzero(np.concatenate(([True], gb[1:] != gb[:-1])))
    counts = np.diff(np.append(starts, gb.size))
    g = gb[starts] >> np.uint64(5)
    gstarts = np.flatnonzero(np.concatenate(([True], g[1:] != g[:-1])))
    return int(np.maximum.reduceat(counts, gstarts).sum()), gstarts.size


@dataclass
class Static:
    """What a program's counters need from its instructions, decided once per program."""

    class_names: list[str]
    class_idx: np.ndarray
    macs: np.ndarray
    """Tensor multiply-adds per ``share`` warp-instructions of each pc (0: not tensor)."""
    share: np.ndarray
    dtypes: list[str]
    dtype_idx: np.ndarray
    line_numbers: list[int]
    line_idx: np.ndarray
    sources: dict[int, str]
    texts: dict[int, str]
    skip: list[bool]
    wgmma_bytes: np.ndarray
    """Shared-memory operand bytes per warpgroup-instruction of each pc (0: not wgmma)."""

    @staticmethod
    def of(program: Program) -> Static:
        held = _STATIC.get(id(program))
        if held is not None and held[0] is program:
            return held[1]
        classes = [classify(s.ins) for s in program.steps]
        names = sorted(set(classes))
        works = [tensor_work(s.ins) for s in program.steps]
        dtypes = sorted({w[0] for w in works if w is not None})
        lines = sorted({s.ins.line for s in program.steps})
        where = {line: i for i, line in enumerate(lines)}
        st = Static(
            names,
            np.array([names.index(c) for c in classes], np.int64),
            np.array([w[1] if w else 0 for w in works], np.int64),
            np.array([w[2] if w else 1 for w in works], np.int64),
            dtypes,
            np.array([dtypes.index(w[0]) if w else -1 for w in works], np.int64),
            lines,
            np.array([where[s.ins.line] for s in program.steps], np.int64),
            {
                s.ins.line: f"{s.ins.loc.file}:{s.ins.loc.line}"
                for s in program.steps
                if s.ins.loc is not None
            },
            {s.ins.line: s.ins.text.strip() for s in program.steps},
            [c in ("ld.param", "ld.const", "st.param") for c in classes],
            np.array([wgmma_shared_bytes(s.ins) for s in program.steps], np.int64),
        )
        if len(_STATIC) >= 64:
            _STATIC.pop(next(iter(_STATIC)))
        _STATIC[id(program)] = (program, st)
        return st


_STATIC: dict[int, tuple[Any, Static]] = {}
"""Per program (bounded, like the emulator's program cache): its :class:`Static`."""


RATIOS = {
    "lane_efficiency",
    *(f"global_{d}_{x}" for d in ("load", "store") for x in ("sectors_per_request", "efficiency")),
    *(f"shared_{d}_{x}" for d in ("load", "store")
      for x in ("wavefronts_per_request", "bank_conflicts")),
    "shared_bank_conflicts", "shared_conflicts_per_request", "shared_wavefronts_per_ideal",
}  # fmt: skip
"""Totals computed from others (recomputed, never summed, when launches are combined)."""


def _distinct_per_row(rows: np.ndarray) -> int:
    """Distinct values per row, summed (rows already sorted are not sorted again)."""
    if (rows[:, 1:] < rows[:, :-1]).any():
        rows = np.sort(rows, axis=1)
    return rows.shape[0] + int(np.count_nonzero(rows[:, 1:] != rows[:, :-1]))


def _spanned(first: np.ndarray, last: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Every sector from each lane's first to its last (accesses wider than a sector, e.g. a
    bulk copy), and the lane each belongs to."""
    n = (last - first).astype(np.int64) + 1
    lane = np.repeat(np.arange(first.size), n)
    start = np.repeat(np.cumsum(n) - n, n)
    return first[lane] + (np.arange(lane.size) - start).astype(np.uint64), lane


def _distinct_pairs(warps: np.ndarray, first: np.ndarray, last: np.ndarray) -> int:
    """Distinct (warp, sector) pairs over every sector each lane touches."""
    w = warps.astype(np.uint64) << np.uint64(48)
    if ((last - first) > 1).any():
        sectors, lane = _spanned(first, last)
        return int(np.unique(sectors | w[lane]).size)
    keys = first | w
    cross = last != first
    if cross.any():
        keys = np.concatenate([keys, (last | w)[cross]])
    return int(np.unique(keys).size)


def derived(t: dict[str, float]) -> dict[str, float]:
    """Ratios a kernel engineer reads first (0 where the denominator is 0)."""

    def ratio(a: float, b: float) -> float:
        return a / b if b else 0.0

    out: dict[str, float] = {}
    for d in ("load", "store"):
        out[f"global_{d}_sectors_per_request"] = ratio(
            t.get(f"global_{d}_sectors", 0), t.get(f"global_{d}_requests", 0)
        )
        out[f"global_{d}_efficiency"] = ratio(
            t.get(f"global_{d}_bytes", 0), SECTOR * t.get(f"global_{d}_sectors", 0)
        )
        out[f"shared_{d}_wavefronts_per_request"] = ratio(
            t.get(f"shared_{d}_wavefronts", 0), t.get(f"shared_{d}_requests", 0)
        )
        out[f"shared_{d}_bank_conflicts"] = t.get(f"shared_{d}_wavefronts", 0) - t.get(
            f"shared_{d}_ideal", 0
        )
    conflicts = out["shared_load_bank_conflicts"] + out["shared_store_bank_conflicts"]
    reqs = t.get("shared_load_requests", 0) + t.get("shared_store_requests", 0)
    out["shared_bank_conflicts"] = conflicts
    out["shared_conflicts_per_request"] = ratio(conflicts, reqs)
    waves = t.get("shared_load_wavefronts", 0) + t.get("shared_store_wavefronts", 0)
    ideal = t.get("shared_load_ideal", 0) + t.get("shared_store_ideal", 0)
    out["shared_wavefronts_per_ideal"] = ratio(waves, ideal)
    return out


HOT_LINES = 40
"""PTX lines a record keeps (the most executed warp-instructions first)."""

NOTES = (
    "counted by the PTX emulator: exact for the emulated problem; caches are not modelled "
    "(DRAM bytes are the distinct 32-byte sectors touched: a lower bound); TMA and wgmma "
    "shared-memory operands are counted in bytes, their bank conflicts are not modelled"
)


def summarize(counts: list[Counts], outputs: int = 0, ctas: int = 0) -> dict[str, Any]:
    """What a record stores: the summed counters (ratios recomputed), the same per output
    element, and the hot PTX lines of all launches with their CUDA source lines."""
    totals: dict[str, float] = {}
    for c in counts:
        for k, v in c.totals.items():
            if k not in RATIOS:
                totals[k] = totals.get(k, 0) + v
    warps, threads = totals.get("warp_instructions", 0), totals.get("thread_instructions", 0)
    totals["lane_efficiency"] = threads / (32 * warps) if warps else 0.0
    totals.update(derived(totals))
    if ctas:
        totals["ctas"] = ctas
    lines: list[dict[str, Any]] = []
    for i, c in enumerate(counts):
        for line, row in c.lines.items():
            lines.append(
                {
                    "launch": i,
                    "ptx_line": line,
                    "source": c.sources.get(line, ""),
                    "text": c.texts.get(line, ""),
                    **row,
                }
            )
    lines.sort(key=lambda r: (-r["warp"], -_traffic(r), r["launch"], r["ptx_line"]))
    out: dict[str, Any] = {"counters": totals, "hot_lines": lines[:HOT_LINES], "notes": NOTES}
    if outputs:
        out["outputs"] = outputs
        out["per_output"] = per_output(totals, outputs)
    return out


_TRAFFIC = tuple(
    f"{space}_{d}_{what}"
    for space, what in (("global", "sectors"), ("shared", "wavefronts"))
    for d in ("load", "store")
)


def _traffic(row: dict[str, Any]) -> int:
    """A line's memory work (sectors and wavefronts): ties in warp-instructions go to it."""
    return sum(row.get(k, 0) for k in _TRAFFIC)


def per_output(totals: dict[str, float], outputs: int) -> dict[str, float]:
    """Work per output element: instructions, tensor multiply-adds, requests, DRAM bytes."""
    macs = sum(v for k, v in totals.items() if k.startswith("tensor_macs."))
    return {
        "warp_instructions": totals.get("warp_instructions", 0) / outputs,
        "thread_instructions": totals.get("thread_instructions", 0) / outputs,
        "tensor_macs": macs / outputs,
        "fp32_thread_instructions": totals.get("thread.fp32", 0) / outputs,
        "global_load_instructions": totals.get("warp.ld.global", 0) / outputs,
        "shared_load_instructions": (
            totals.get("warp.ld.shared", 0) + totals.get("warp.ldmatrix", 0)
        )
        / outputs,
        "dram_bytes_lower_bound": (
            totals.get("dram_read_bytes_lower_bound", 0)
            + totals.get("dram_write_bytes_lower_bound", 0)
        )
        / outputs,
    }
