"""The Hopper bulk-copy (TMA) unit: ``cp.async.bulk[.tensor]``, bulk groups, the tensor-map
instructions (``tensormap.replace``, ``tensormap.cp_fenceproxy``) and prefetches.

Copies are done when issued, by the async proxy: a load writes the box (out-of-bounds
elements filled, the map's swizzle applied; :mod:`..hopper.tma`) into the destination CTA's
shared memory, or every CTA of a multicast mask, and completes its bytes on the mbarrier at
the same offset there. Until that barrier's phase completes the bytes stay pending for the
sanitizer, so a read before the wait is a finding. A store writes only the in-bounds part
of its box. Bulk groups therefore complete at once; ``commit_group``/``wait_group`` only
keep their place in the program.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import access
from ..cluster import OFFSET_MASK, ClusterMap, remote_owner, shared_flat
from ..hopper import tensormap as tmap
from ..hopper.tma import TmaUnsupported, box_addresses, box_bytes, fill_bits
from ..machine import Linker, Machine, Op
from ..memory import UINT
from ..ptx import ir
from . import async_copy, proxy
from .mbarrier import MBarriers
from .table import NotSupported, Registry
from .tensormap import read_map

FAMILY = Registry()


def _nop(ins: ir.Instruction) -> Op:
    return Op(lambda L: lambda s: None)


def _land(
    m: Machine,
    pc: int,
    tid: int,
    cta: int,
    off: np.ndarray,
    data: np.ndarray,
    eb: int,
    mbar_off: int | None,
) -> None:
    """Async-proxy write of ``data`` (raw, ``eb`` bytes each) at shared offsets ``off`` of
    CTA ``cta``; the bytes stay pending on the mbarrier until its phase completes."""
    tids = np.array([tid])
    bad = off + eb > m.shared_size
    if bad.any():
        m.sanitizer.out_of_bounds(pc, "shared", tids, off[bad].astype(np.uint64), eb)
        off, data = off[~bad], data[~bad]
    flat = cta * m.shared_stride + off.astype(np.int64)
    if m.observer is not None:  # counters: bytes landed, bank conflicts not modelled
        m.observer.bulk(pc, off.size * eb, False)
    for check in m.hooks.get("async-write", ()):
        check(m, pc, tids, flat, eb)
    unfenced = m.extensions.get("unfenced")
    if unfenced is not None:  # async-proxy data now: nothing generic left to fence
        unfenced.writer[flat >> 4] = -1
    m.shared.write(flat, eb, data.reshape(-1, 1))
    san = m.sanitizer
    if san.active:
        san.async_written(flat, eb)
        if mbar_off is not None:
            bar = MBarriers.of(m).bars.get(cta * m.shared_stride + mbar_off)
            if bar is not None:
                san.async_pending(flat, eb, +1)
                bar.landing.append((flat, eb))


def _complete(m: Machine, pc: int, tid: int, cta: int, mbar_off: int, nbytes: int) -> None:
    MBarriers.of(m).add_tx(pc, np.array([tid]), cta * m.shared_stride + mbar_off, -nbytes)


def _targets(m: Machine, tid: int, dst: int, mask: int | None) -> list[int]:
    """Wave indices of the CTAs a load writes: the destination's, or the multicast mask's."""
    cta = m.threads.cta[tid]
    if mask is None:
        owner = remote_owner(m, np.array([cta]), np.array([dst], np.uint64))
        return [int(owner[0])] if owner[0] >= 0 else []
    ranks = np.array([r for r in range(16) if mask >> r & 1], np.int64)
    peers = ClusterMap.of(m).peer(np.full(ranks.size, cta), ranks)
    return [int(p) for p in peers if p >= 0]


# ---------------------------------------------------------------------------- tensor copies


def _tensor_operand(ins: ir.Instruction, i: int) -> ir.TensorAddr:
    """Operand ``i``, the ``[tensorMap, {coordinates}]`` of a tensor copy."""
    o = ins.operands[i]
    if not isinstance(o, ir.TensorAddr):
        raise NotSupported(ins, "expected [tensorMap, {coordinates}]")
    return o


def _box(
    m: Machine, pc: int, tid: int, f: tmap.TensorMapFields, coords: list[int], off: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """:func:`box_addresses` of thread ``tid``'s box, or None with a ``tma-error`` finding."""
    try:
        return box_addresses(f, coords, off)
    except (TmaUnsupported, ValueError) as e:
        m.report("tma-error", pc, np.array([tid]), str(e))
        return None


def _tensor_load(ins: ir.Instruction, multicast: bool) -> Op:
    ops = ins.operands
    tensor = _tensor_operand(ins, 1)

    def link(L: Linker) -> Any:
        m, pc = L.m, L.pc
        dst, _ = L.address(ops[0], "shared")
        mbar, _ = L.address(ops[2], "shared")
        base = L.scalar(tensor.base)
        coords = [L.scalar(c) for c in tensor.coords]
        mask = L.scalar(ops[3]) if multicast else None

        def step(s: Any) -> None:
            tids = m.tids(s)
            n = tids.size
            d = np.broadcast_to(np.asarray(dst(s), np.uint64), (n,))
            mb = np.broadcast_to(np.asarray(mbar(s), np.uint64), (n,))
            b = base(s, n)
            cs = [c(s, n) for c in coords]
            mk = mask(s, n) if mask is not None else None
            for i, tid in enumerate(tids.tolist()):
                f = read_map(m, pc, tid, int(b[i]))
                if f is None:
                    continue
                off = int(d[i]) & OFFSET_MASK
                if off % 128:
                    m.report(
                        "tma-error",
                        pc,
                        np.array([tid]),
                        f"TMA destination shared offset {off} is not 128-byte aligned",
                        off,
                    )
                    continue
                box = _box(m, pc, tid, f, [int(np.int32(c[i])) for c in cs], off)
                if box is None:
                    continue
                g, inb, sh = box
                eb = f.elem_bytes
                data = np.full(g.size, fill_bits(f), UINT[eb])
                if inb.any():
                    k = int(inb.sum())
                    vals = access.load(
                        m, pc, np.full(k, tid), "host", g[inb].astype(np.uint64), eb, 1
                    )
                    data[inb] = vals[:, 0]
                mb_off = int(mb[i]) & OFFSET_MASK
                for cta in _targets(m, tid, int(d[i]), int(mk[i]) if mk is not None else None):
                    _land(m, pc, tid, cta, sh, data, eb, mb_off)
                    _complete(m, pc, tid, cta, mb_off, box_bytes(f))

        return step

    return Op(link)


class BulkStores:
    """Shared bytes that bulk stores (to global memory) read, by issuing thread and bulk
    group: until a ``cp.async.bulk.wait_group[.read]`` covers the group, overwriting them is
    a ``bulk-copy-in-flight`` finding (the copy may still be reading them)."""

    def __init__(self, m: Machine) -> None:
        self.m = m
        self.committed = np.zeros(m.size, np.int64)
        self.records: list[tuple[int, int, np.ndarray]] = []
        """(thread, group, 16-byte chunks of the wave's shared memory)."""

    @staticmethod
    def of(m: Machine) -> BulkStores:
        return m.extension("bulk-store", lambda: BulkStores(m))

    def add(self, tid: int, flat: np.ndarray) -> None:
        self.records.append((tid, int(self.committed[tid]), np.unique(flat >> 4)))

    def wait(self, tids: np.ndarray, keep: int) -> None:
        mine = set(tids.tolist())
        self.records = [
            r for r in self.records if r[0] not in mine or r[1] >= self.committed[r[0]] - keep
        ]


def check_store_source(
    m: Machine, pc: int, tids: np.ndarray, flat: np.ndarray, nbytes: int
) -> None:
    """A write to shared bytes a bulk store has not finished reading is a finding."""
    b = m.extensions.get("bulk-store")
    if b is None or not b.records:
        return
    busy = np.concatenate([r[2] for r in b.records])
    hit = np.isin(flat.astype(np.int64) >> 4, busy)
    report_write_hit(
        m,
        pc,
        tids,
        flat,
        hit,
        "bulk-copy-in-flight",
        "which a bulk store to global memory may still be reading: no "
        "cp.async.bulk.wait_group.read has covered it",
    )


def report_write_hit(
    m: Machine,
    pc: int,
    tids: np.ndarray,
    flat: np.ndarray,
    hit: np.ndarray,
    kind: str,
    what: str,
) -> None:
    """A ``kind`` finding on the threads of a shared write (flat offsets ``flat``, by
    ``tids``: one each, or one thread for all) where ``hit``, naming the first offset hit:
    "writes shared offset N, ``what``"."""
    if hit.any():
        i = int(np.flatnonzero(hit)[0])
        off = int(flat[i]) % m.shared_stride
        t = tids if tids.size == flat.size else np.broadcast_to(tids[:1], flat.shape)
        m.report(kind, pc, t[hit], f"writes shared offset {off}, {what}", off)


def register_write_check(m: Machine, check: Any) -> None:
    """Link-time: run ``check`` on every shared write, generic or async-proxy."""
    for hook in ("shared-write", "async-write"):
        checks = m.hooks.setdefault(hook, [])
        if check not in checks:
            checks.append(check)


REDUCE_OPS = ("add", "min", "max", "inc", "dec", "and", "or", "xor")
_MAP_TYPES = {"f32.ftz": "f32"}


def _reducer(m: Machine, pc: int, tid: int, op: str, typ: str) -> Any:
    """``f(old, new) -> stored`` raw bits for a ``cp.reduce`` of ``typ`` elements."""
    from .memory import _combine

    try:
        f = _combine(op, _MAP_TYPES.get(typ, typ))
    except KeyError:
        m.report("tma-error", pc, np.array([tid]), f"no .{op} reduction of .{typ} elements")
        return None
    return lambda old, new: f(old, new, new)


def _tensor_store(ins: ir.Instruction, reduce: str | None = None) -> Op:
    ops = ins.operands
    tensor = _tensor_operand(ins, 0)

    def link(L: Linker) -> Any:
        m, pc = L.m, L.pc
        src, _ = L.address(ops[1], "shared")
        base = L.scalar(tensor.base)
        coords = [L.scalar(c) for c in tensor.coords]
        register_write_check(m, check_store_source)
        proxy.watch(m)

        def step(s: Any) -> None:
            tids = m.tids(s)
            n = tids.size
            a = np.broadcast_to(np.asarray(src(s), np.uint64), (n,))
            b = base(s, n)
            cs = [c(s, n) for c in coords]
            for i, tid in enumerate(tids.tolist()):
                f = read_map(m, pc, tid, int(b[i]))
                if f is None:
                    continue
                off = int(a[i]) & OFFSET_MASK
                box = _box(m, pc, tid, f, [int(np.int32(c[i])) for c in cs], off)
                if box is None:
                    continue
                g, inb, sh = box
                eb = f.elem_bytes
                if not inb.any():
                    continue
                sh = sh[inb]
                if (sh + eb > m.shared_size).any():
                    m.sanitizer.out_of_bounds(
                        pc, "shared", np.array([tid]), sh.astype(np.uint64), eb
                    )
                    continue
                flat = int(m.threads.cta[tid]) * m.shared_stride + sh
                proxy.check_async_read(m, pc, np.array([tid]), flat, "a TMA store")
                BulkStores.of(m).add(tid, flat)
                vals = m.shared.read(flat, eb)
                k = vals.shape[0]
                dst = g[inb].astype(np.uint64)
                if reduce is not None:  # cp.reduce: read, combine, write back
                    typ = tmap.ELEMTYPE_NAMES[f.elemtype]
                    combine = _reducer(m, pc, tid, reduce, typ)
                    if combine is None:
                        continue
                    old = access.load(m, pc, np.full(k, tid), "host", dst, eb, 1)
                    vals = np.asarray(combine(old[:, 0], vals[:, 0]), old.dtype)[:, None]
                access.store(m, pc, np.full(k, tid), "host", dst, eb, vals)
                if m.observer is not None:  # counters: bytes stored from shared memory
                    m.observer.bulk(pc, k * eb, True)

        return step

    return Op(link)


# ---------------------------------------------------------------------------- plain bulk copies


def _bulk(ins: ir.Instruction) -> Op:
    mods = ins.mods
    ops = ins.operands
    if len(mods) < 4:
        raise NotSupported(ins, "bulk copy form")
    to_global = mods[2] == "global"
    from_shared = mods[3] == "shared::cta" and not to_global
    multicast = "multicast::cluster" in mods

    def link(L: Linker) -> Any:
        m, pc = L.m, L.pc
        dst, _ = L.address(ops[0], "global" if to_global else "shared")
        src, _ = L.address(ops[1], "shared" if (to_global or from_shared) else "global")
        size = L.scalar(ops[2])
        mbar = None if to_global else L.address(ops[3], "shared")[0]
        mask = L.scalar(ops[4]) if multicast else None
        if to_global:
            register_write_check(m, check_store_source)
            proxy.watch(m)

        def step(s: Any) -> None:
            tids = m.tids(s)
            n = tids.size
            d = np.broadcast_to(np.asarray(dst(s), np.uint64), (n,))
            a = np.broadcast_to(np.asarray(src(s), np.uint64), (n,))
            sz = size(s, n)
            mb = np.broadcast_to(np.asarray(mbar(s), np.uint64), (n,)) if mbar else None
            mk = mask(s, n) if mask is not None else None
            for i, tid in enumerate(tids.tolist()):
                nb = int(sz[i])
                one = np.array([tid])
                if nb <= 0 or nb % 16:
                    m.report("tma-error", pc, one, f"bulk copy size {nb} is not a multiple of 16")
                    continue
                if to_global or from_shared:
                    fl, ok = shared_flat(m, pc, one, "shared", a[i : i + 1], nb, 16)
                    if not ok[0]:
                        continue
                    data = m.shared.u8[int(fl[0]) : int(fl[0]) + nb].copy()
                else:
                    data = access.load(m, pc, one, "host", a[i : i + 1], 1, nb, align=16)[0]
                if to_global:
                    chunks = int(fl[0]) + np.arange(0, nb, 16)
                    proxy.check_async_read(m, pc, one, chunks, "a bulk store")
                    BulkStores.of(m).add(tid, chunks)
                    access.store(m, pc, one, "host", d[i : i + 1], 1, data.reshape(1, nb))
                    if m.observer is not None:  # counters: bytes stored from shared memory
                        m.observer.bulk(pc, nb, True)
                    continue
                assert mb is not None
                off = int(d[i]) & OFFSET_MASK
                mb_off = int(mb[i]) & OFFSET_MASK
                offs = off + np.arange(nb, dtype=np.int64)
                for cta in _targets(m, tid, int(d[i]), int(mk[i]) if mk is not None else None):
                    _land(m, pc, tid, cta, offs, data.astype(np.uint8), 1, mb_off)
                    _complete(m, pc, tid, cta, mb_off, nb)

        return step

    return Op(link)


def _commit(m: Machine, tids: np.ndarray) -> None:
    BulkStores.of(m).committed[tids] += 1


def _wait(m: Machine, tids: np.ndarray, keep: int) -> None:
    BulkStores.of(m).wait(tids, keep)


@FAMILY.machine("cp", dests=0)
def cp(ins: ir.Instruction) -> Op:
    """The sm_90 ``cp``: bulk forms here, ``cp.async`` (sm_80) as before."""
    mods = ins.mods
    if "bulk" not in mods:
        return async_copy.cp(ins)
    if "prefetch" in mods:
        return _nop(ins)
    if "commit_group" in mods:
        return Op(lambda L: lambda s: _commit(L.m, L.m.tids(s)))
    if "wait_group" in mods:  # loads complete when issued; stores' sources are released here
        n = ins.operands[0] if ins.operands else None
        if not isinstance(n, ir.Imm):
            raise NotSupported(ins, "wait_group needs an immediate")
        keep = int(n.value)
        return Op(lambda L: lambda s: _wait(L.m, L.m.tids(s), keep))
    if mods[0] == "reduce":
        op = next((x for x in mods if x in REDUCE_OPS), None)
        if "tensor" not in mods or "bulk_group" not in mods or op is None:
            raise NotSupported(ins, "cp.reduce.async.bulk forms other than tensor tiles")
        if any(x.startswith("im2col") for x in mods):
            raise NotSupported(ins, "im2col mode")
        return _tensor_store(ins, op)
    if "tensor" in mods:
        if any(x.startswith("im2col") for x in mods):
            raise NotSupported(ins, "im2col mode")
        if "mbarrier::complete_tx::bytes" in mods:
            return _tensor_load(ins, "multicast::cluster" in mods)
        if "bulk_group" in mods:
            return _tensor_store(ins)
        raise NotSupported(ins, "tensor copy form")
    if mods[:2] != ("async", "bulk"):
        raise NotSupported(ins, "bulk copy form")
    return _bulk(ins)


OPCODES = FAMILY.table
