"""Wiring the warp matrix semantics (:mod:`.mma`) into the machine: ``mma``, ``ldmatrix``,
``stmatrix``.

The pure functions work on whole warps; here each executing warp's registers are gathered
to ``(W, 32, n)``, row addresses come from lanes ``0..n_rows-1`` and shared memory is read or
written through the checked access layer. ``.aligned`` requires every lane of the warp: a
warp executing with fewer is a ``warp-sync-mask`` finding.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import access, fragments
from ..machine import Linker, Machine, Op
from ..ptx import ir
from ..schedule import ALL
from . import mma as pure
from .memory import SPACES
from .table import Registry

FAMILY = Registry()


def _items(o: Any) -> list[Any]:
    return list(o.items) if isinstance(o, ir.Vec) else [o]


def _warps(m: Machine, pc: int, tids: np.ndarray) -> tuple[np.ndarray, bool]:
    """Executing warps, and whether each has all of its lanes here (``tids`` is sorted)."""
    if tids.size == m.size:
        return m.all_warps, True
    w = tids >> 5
    warps = w[np.flatnonzero(np.diff(w, prepend=-1))]
    full = tids.size == warps.size * 32
    if not full:
        m.report(
            "warp-sync-mask",
            pc,
            tids,
            "a .aligned warp matrix instruction executed by part of a warp",
        )
    return warps, full


class _Regs:
    """Readers/writers of a brace list of registers, by warp (linked once)."""

    def __init__(self, L: Linker, o: Any, dtype: Any = np.uint32, write: bool = False) -> None:
        self.items = _items(o)
        self.dtype = dtype
        self.readers = [] if write else [L.read(x) for x in self.items]
        self.writers = [L.write(x) if x is not None else None for x in self.items] if write else []

    def gather(self, warps: np.ndarray) -> np.ndarray:
        cols = []
        for r in self.readers:
            v = r(ALL)
            if isinstance(v, ir.Imm):
                bits = v.bits if v.bits is not None else int(v.value)
                cols.append(np.full((warps.size, 32), bits, self.dtype))
            else:
                cols.append(np.asarray(v).reshape(-1, 32)[warps])
        return np.stack(cols, axis=-1).astype(self.dtype, copy=False)

    def scatter(
        self, s: Any, tids: np.ndarray, warps: np.ndarray, full: bool, vals: np.ndarray
    ) -> None:
        if full:
            flat = vals.reshape(-1, vals.shape[-1])
        else:
            pos = np.searchsorted(warps, tids >> 5) * 32 + (tids & 31)
            flat = vals.reshape(-1, vals.shape[-1])[pos]
        for i, w in enumerate(self.writers):
            if w is not None:
                w(s, flat[:, i])


@FAMILY.machine("mma")
def mma(ins: ir.Instruction) -> Op:
    f = pure.mma_factory(ins)
    wide = "f64" in ins.mods

    def link(L: Linker) -> Any:
        m, pc = L.m, L.pc
        dt = np.uint64 if wide else np.uint32
        a, b, c = (_Regs(L, o, dt) for o in ins.operands[1:4])
        writers = [L.write(x) if x is not None else None for x in _items(ins.operands[0])]

        def step(s: Any) -> None:
            tids = m.tids(s)
            warps, full = _warps(m, pc, tids)
            out = f(a.gather(warps), b.gather(warps), c.gather(warps))
            flat = out.reshape(-1, out.shape[-1])
            if not full:
                flat = flat[np.searchsorted(warps, tids >> 5) * 32 + (tids & 31)]
            for i, w in enumerate(writers):
                if w is not None:
                    w(s, flat[:, i])

        return step

    return Op(link, fuse=fuse_mma)


def _slots(L: Linker, o: Any) -> tuple[str, list[int]] | None:
    """Register class and slots of a brace list of plain registers (None if anything else)."""
    items = _items(o)
    slots = [L.m.program.slots.get(x.name) if isinstance(x, ir.Reg) else None for x in items]
    if any(x is None for x in slots) or len({c for c, _ in slots}) != 1:  # type: ignore[misc]
        return None
    return slots[0][0], [i for _, i in slots]  # type: ignore[index,misc]


def fuse_mma(linkers: list[Linker]) -> list[tuple[int, int, Any]]:
    """Batch runs of independent ``mma`` with the same modifiers into one call: the pure
    function is vectorised over warps, so k instructions become one call over k * W warps."""
    out: list[tuple[int, int, Any]] = []
    run: list[tuple[Linker, list[tuple[str, list[int]]]]] = []
    written: set[tuple[str, int]] = set()

    def flush() -> None:
        if len(run) > 1:
            out.append((run[0][0].pc, len(run), _batched(run)))
        run.clear()
        written.clear()

    for L in linkers:
        ops = [_slots(L, o) for o in L.ins.operands[:4]]
        if any(x is None for x in ops):
            flush()
            continue
        regs = [x for x in ops if x is not None]
        reads = {(c, i) for c, sl in regs[1:] for i in sl}
        if run and (reads & written or L.ins.mods != run[0][0].ins.mods):
            flush()
        run.append((L, regs))
        written.update((regs[0][0], i) for i in regs[0][1])
    flush()
    return out


_ELEM_VIEW = {8: np.uint8, 16: np.uint16, 32: np.uint32}
_FLOATS = {"f16", "bf16", "tf32", "e4m3", "e5m2"}


class FastMma:
    """``mma_factory``'s function computed with precomputed permutations instead of bit
    shifts and scatters (float inputs, f16/f32 accumulators).

    Same arithmetic as :mod:`.mma` (exact products, float64 sum, one rounding): only the
    register <-> matrix reshuffling differs, so results are bit-identical (tested). The
    steps are separate so that a batch can read each distinct operand once."""

    def __init__(self, shape: str, types: tuple[str, ...]) -> None:
        a_t, b_t, c_t, d_t = types
        self.frags = [
            fragments.mma_fragment(shape, op, t)
            for op, t in (("a", a_t), ("b", b_t), ("c", c_t), ("c", d_t))
        ]
        flat = [(f.row * f.cols + f.col).ravel() for f in self.frags]
        self.inv = [np.argsort(x) for x in flat]
        self.out = flat[3]
        self.types = types

    def operand(self, j: int, regs: np.ndarray) -> np.ndarray:
        """Operand ``j`` (0: A, 1: B, 2: C) of each warp, ``(W, 32, n)`` registers, as
        ``(W, rows, cols)`` exact float64 matrices."""
        f = self.frags[j]
        e = np.ascontiguousarray(regs, np.uint32).view(_ELEM_VIEW[f.elem_bits])
        e = e.reshape(e.shape[0], -1)[:, self.inv[j]]
        return fragments.to_float64(e, self.types[j]).reshape(-1, f.rows, f.cols)

    def result(self, acc: np.ndarray) -> np.ndarray:
        """``(W, rows, cols)`` float64 sums -> ``(W, 32, n)`` destination registers."""
        bits = fragments.from_float64(acc.reshape(acc.shape[0], -1), self.types[3])
        e = np.ascontiguousarray(bits[:, self.out]).view(np.uint32)
        return e.reshape(-1, 32, self.frags[3].n_regs)

    def __call__(self, a: np.ndarray, b: np.ndarray, c: np.ndarray) -> np.ndarray:
        with np.errstate(all="ignore"):
            acc = np.matmul(self.operand(0, a), self.operand(1, b)) + self.operand(2, c)
        return self.result(acc)


def fast_mma(ins: ir.Instruction) -> Any:
    """A :class:`FastMma` for float inputs with f16/f32 accumulators; the pure function
    of :mod:`.mma` otherwise."""
    shape, d_t, a_t, b_t, c_t, _ = pure._decode_mma(ins)
    if a_t not in _FLOATS or d_t not in ("f16", "f32") or c_t not in ("f16", "f32"):
        return pure.mma_factory(ins)
    return FastMma(shape, (a_t, b_t, c_t, d_t))


def _batched(run: list[tuple[Linker, list[tuple[str, list[int]]]]]) -> Any:
    """One step for ``k`` independent mma over the executing warps. With a :class:`FastMma`
    each distinct A and B register set is read once, and when the stretch multiplies most
    pairs of them (a warp tile's k-step: every A row block by every B column block), all
    products come from one matmul of the stacked operands per warp."""
    m = run[0][0].m
    f = fast_mma(run[0][0].ins)
    k = len(run)
    classes = [run[0][1][j][0] for j in range(4)]
    singles = [m.steps[L.pc] for L, _ in run]
    if any(r[1][j][0] != classes[j] for r in run for j in range(4)):
        return lambda s: [st(s) for st in singles]
    slots = [np.array([r[1][j][1] for r in run], np.int64) for j in range(4)]
    files = [m.regs.files[c] for c in classes]
    dt = [np.uint64 if c == "b64" else np.uint32 for c in classes]
    # distinct A and B register sets, and which one each mma uses
    (ua, ia), (ub, ib) = (np.unique(slots[j], axis=0, return_inverse=True) for j in (1, 2))
    ia, ib = ia.ravel(), ib.ravel()
    block = isinstance(f, FastMma) and len(ua) * len(ub) <= 2 * k

    def gather(j: int, sl: np.ndarray, cols: Any, w: int) -> np.ndarray:
        n = sl.shape[1]
        g = files[j][sl.ravel()][:, cols].astype(dt[j], copy=False)
        return g.reshape(len(sl), n, w, 32).transpose(0, 2, 3, 1).reshape(len(sl) * w, 32, n)

    def compute(cols: Any, w: int) -> np.ndarray:
        if not isinstance(f, FastMma):
            return f(gather(1, slots[1], cols, w), gather(2, slots[2], cols, w),
                     gather(3, slots[3], cols, w))  # fmt: skip
        a = f.operand(0, gather(1, ua, cols, w))  # (len(ua) * w, M, K)
        b = f.operand(1, gather(2, ub, cols, w))  # (len(ub) * w, K, N)
        c = f.operand(2, gather(3, slots[3], cols, w))  # (k * w, M, N)
        _, mm, kk = a.shape
        nn = b.shape[2]
        with np.errstate(all="ignore"):
            if block:  # per warp: (A blocks stacked by rows) @ (B blocks side by side)
                sa = a.reshape(len(ua), w, mm, kk).transpose(1, 0, 2, 3).reshape(w, -1, kk)
                sb = b.reshape(len(ub), w, kk, nn).transpose(1, 2, 0, 3).reshape(w, kk, -1)
                p = np.matmul(sa, sb).reshape(w, len(ua), mm, len(ub), nn)
                prod = p.transpose(1, 3, 0, 2, 4)[ia, ib]  # (k, w, M, N): mma r's tile
            else:
                a4, b4 = a.reshape(len(ua), w, mm, kk), b.reshape(len(ub), w, kk, nn)
                prod = np.matmul(a4[ia], b4[ib])
            acc = prod.reshape(k * w, mm, nn)
            acc += c  # in place: a fresh array of this size costs more than the add
        return f.result(acc)

    def step(s: Any) -> None:
        if s is ALL:
            cols: Any = slice(None)
            w = m.size // 32
        else:
            w_ = s >> 5
            warps = w_[np.flatnonzero(np.diff(w_, prepend=-1))]
            if s.size != warps.size * 32:
                for st in singles:
                    st(s)
                return
            w = warps.size
            cols = s
        d = compute(cols, w)
        nd = slots[0].shape[1]
        d = d.reshape(k, w, 32, nd).transpose(0, 3, 1, 2).reshape(k * nd, w * 32)
        if s is ALL:
            files[0][slots[0].ravel()] = d
        else:
            files[0][slots[0].ravel()[:, None], cols] = d

    return step


def _space(ins: ir.Instruction) -> str:
    sp = next((SPACES[x] for x in ins.mods if x in SPACES), "generic")
    return "shared" if sp == "shared" else "generic"


def _row_addresses(
    m: Machine, ea: Any, warps: np.ndarray, n_rows: int
) -> tuple[np.ndarray, np.ndarray]:
    a = np.broadcast_to(np.asarray(ea(ALL), np.uint64), (m.size,)).reshape(-1, 32)
    rows = a[warps, :n_rows].ravel()
    lanes = (warps[:, None] * 32 + np.arange(n_rows)).ravel()
    return rows, lanes


def fast_ldmatrix(ins: ir.Instruction) -> tuple[int, Any]:
    """``ldmatrix_factory``'s function as one gather: the pure function is probed once with
    rows holding each b16 element's own index, which yields, for every destination half,
    the element it takes; applying that permutation is bit-identical (tested)."""
    n_rows, f = pure.ldmatrix_factory(ins)
    probe = np.arange(n_rows * 8, dtype=np.uint16).view(np.uint8).reshape(1, n_rows, 16)
    got = np.asarray(f(probe), np.uint32)[0]  # (32, n): lo | hi << 16 element indices
    perm = np.stack([got & 0xFFFF, got >> 16], axis=-1).astype(np.int64).ravel()
    n = got.shape[1]

    def run(rows: np.ndarray) -> np.ndarray:
        e = np.ascontiguousarray(rows).view(np.uint16).reshape(rows.shape[0], -1)
        return np.ascontiguousarray(e[:, perm]).view(np.uint32).reshape(-1, 32, n)

    return n_rows, run


@FAMILY.machine("ldmatrix")
def ldmatrix(ins: ir.Instruction) -> Op:
    n_rows, f = fast_ldmatrix(ins)
    space = _space(ins)

    def link(L: Linker) -> Any:
        m, pc = L.m, L.pc
        ea, sp = L.address(ins.operands[1], space)
        d = _Regs(L, ins.operands[0], write=True)

        def step(s: Any) -> None:
            tids = m.tids(s)
            warps, full = _warps(m, pc, tids)
            addr, lanes = _row_addresses(m, ea, warps, n_rows)
            raw = access.load(m, pc, lanes, sp, addr, 16, 1)
            rows = np.ascontiguousarray(raw).view(np.uint8).reshape(warps.size, n_rows, 16)
            d.scatter(s, tids, warps, full, f(rows))

        return step

    return Op(link)


@FAMILY.machine("stmatrix", dests=0)
def stmatrix(ins: ir.Instruction) -> Op:
    n_rows, f = pure.stmatrix_factory(ins)
    space = _space(ins)

    def link(L: Linker) -> Any:
        m, pc = L.m, L.pc
        ea, sp = L.address(ins.operands[0], space)
        src = _Regs(L, ins.operands[1])

        def step(s: Any) -> None:
            tids = m.tids(s)
            warps, _ = _warps(m, pc, tids)
            rows = f(src.gather(warps))
            addr, lanes = _row_addresses(m, ea, warps, n_rows)
            vals = np.ascontiguousarray(rows).reshape(-1, 16).view(np.uint64)
            access.store(m, pc, lanes, sp, addr, 16, vals)

        return step

    return Op(link)


OPCODES = FAMILY.table
