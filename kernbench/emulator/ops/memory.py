"""Loads, stores, atomics and address conversion (``ld st ldu atom red cvta isspacep``...).

The factories decode modifiers once; each execution computes lane addresses, then the
checked access layer (:mod:`..access`) does the rest. Cache, ordering and eviction hints are
accepted and ignored: the emulator is sequentially consistent.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import access
from ..machine import Linker, Op
from ..memory import LOCAL_WINDOW, SHARED_WINDOW, UINT, WINDOW_SIZE, window
from ..ptx import ir
from .table import NotSupported, Registry

FAMILY = Registry()

TYPES = {
    "b8": 1, "u8": 1, "s8": 1, "b16": 2, "u16": 2, "s16": 2, "f16": 2, "bf16": 2,
    "b32": 4, "u32": 4, "s32": 4, "f32": 4, "f16x2": 4, "bf16x2": 4, "tf32": 4,
    "b64": 8, "u64": 8, "s64": 8, "f64": 8, "b128": 16,
}  # fmt: skip
SPACES = {
    "global": "global",
    "shared": "shared",
    "shared::cta": "shared",
    "local": "local",
    "const": "const",
    "param": "param",
    "param::entry": "param",
    "param::func": "param",
}
SIGNED = {"s8": np.int8, "s16": np.int16, "s32": np.int32, "s64": np.int64}


def decode(ins: ir.Instruction) -> tuple[str, str, int, int]:
    """(space, type, width in bytes, vector length) of a memory instruction."""
    space, typ, vec = "generic", "", 1
    for m in ins.mods:
        if m in SPACES:
            space = SPACES[m]
        elif m == "shared::cluster":
            space = "shared"
        elif m in TYPES:
            typ = m
        elif m in ("v2", "v4", "v8"):
            vec = int(m[1])
    if not typ:
        raise NotSupported(ins, "no data type")
    return space, typ, TYPES[typ], vec


def imm_bits(imm: ir.Imm, typ: str) -> int:
    """Raw bits of an immediate stored as ``typ``."""
    w = TYPES.get(typ, 8)
    if imm.bits is not None and (imm.width or 0) // 8 == w:
        return imm.bits
    if typ.startswith("f") or imm.is_float:
        dt = {2: np.float16, 4: np.float32, 8: np.float64}[w]
        return int(np.array(imm.value, dt).view(UINT[w]))
    return int(imm.value) & ((1 << (8 * w)) - 1)


def lanes(x: Any, n: int) -> np.ndarray:
    a = np.asarray(x)
    return np.broadcast_to(a, (n,)) if a.ndim == 0 else a


def _as_raw(x: Any, typ: str, n: int) -> np.ndarray:
    if isinstance(x, ir.Imm):
        x = imm_bits(x, typ)
    w = TYPES[typ]
    return lanes(np.asarray(x).astype(UINT[8 if w == 16 else w]), n)


@FAMILY.machine("ld", "ldu")
def ld(ins: ir.Instruction) -> Op:
    space, typ, w, vec = decode(ins)
    if w == 16:
        raise NotSupported(ins, ".b128 loads")
    signed = SIGNED.get(typ)

    def link(L: Linker) -> Any:
        m, pc = L.m, L.pc
        ea, sp = L.address(ins.operands[1], space)
        dst = ins.operands[0]
        items = dst.items if isinstance(dst, ir.Vec) else (dst,)
        writers = [None if x is None else L.write(x) for x in items]
        if len(items) != vec:
            raise ValueError(f"line {ins.line}: {vec} destinations expected")

        def step(s: Any) -> None:
            tids = m.tids(s)
            a = ea(s)
            if np.ndim(a) == 0 and sp == "host":
                if m.observer is not None:  # one lane loads for all: the warps still ask
                    m.observer.access(pc, tids, sp, lanes(a, tids.size), w * vec, False, m.host)
                vals = access.load(m, pc, tids[:1], sp, lanes(a, 1), w, vec, observe=False)
                vals = np.broadcast_to(vals, (tids.size, vec))
            else:
                vals = access.load(m, pc, tids, sp, lanes(a, tids.size), w, vec)
            if signed is not None:
                vals = vals.view(signed).astype(np.int64)
            for i, wr in enumerate(writers):
                if wr is not None:
                    wr(s, vals[:, i])

        return step

    return Op(link)


@FAMILY.machine("st", dests=0)
def st(ins: ir.Instruction) -> Op:
    space, typ, w, _vec = decode(ins)
    if w == 16:
        raise NotSupported(ins, ".b128 stores")

    def link(L: Linker) -> Any:
        m, pc = L.m, L.pc
        ea, sp = L.address(ins.operands[0], space)
        src = ins.operands[1]
        items = src.items if isinstance(src, ir.Vec) else (src,)
        readers = [L.read(x) for x in items if x is not None]

        def step(s: Any) -> None:
            tids = m.tids(s)
            n = tids.size
            vals = np.stack([_as_raw(r(s), typ, n) for r in readers], axis=1)
            access.store(m, pc, tids, sp, lanes(ea(s), n), w, vals)

        return step

    return Op(link)


def _nop(ins: ir.Instruction) -> Op:
    return Op(lambda L: lambda s: None)


for _op in ("prefetch", "prefetchu", "membar", "fence", "discard", "applypriority"):
    FAMILY.machine(_op, dests=0)(_nop)


@FAMILY.machine("createpolicy")
def createpolicy(ins: ir.Instruction) -> Op:
    def link(L: Linker) -> Any:
        w = L.write(ins.operands[0])
        return lambda s: w(s, 0)

    return Op(link)


@FAMILY.machine("cvta")
def cvta(ins: ir.Instruction) -> Op:
    to = "to" in ins.mods
    space = next(
        (SPACES.get(m, m) for m in ins.mods if m in SPACES or m == "shared::cluster"), "global"
    )
    window = {"shared": SHARED_WINDOW, "shared::cluster": SHARED_WINDOW, "local": LOCAL_WINDOW}.get(
        space, 0
    )

    def link(L: Linker) -> Any:
        r, w = L.read(ins.operands[1]), L.write(ins.operands[0])
        win = np.uint64(L.param_base() if space == "param" else window)

        def step(s: Any) -> None:
            a = r(s)
            if isinstance(a, ir.Imm):
                a = np.uint64(a.value)
            a = np.asarray(a).astype(np.uint64)
            w(s, (a - win) if to else (a + win))

        return step

    return Op(link)


@FAMILY.machine("isspacep")
def isspacep(ins: ir.Instruction) -> Op:
    space = next((SPACES.get(m, m) for m in ins.mods), "global")

    def link(L: Linker) -> Any:
        r, w = L.read(ins.operands[1]), L.write(ins.operands[0])

        def step(s: Any) -> None:
            win = window(np.asarray(r(s)).astype(np.uint64))
            want = {"shared": 1, "local": 2}.get(space, 0)
            w(s, win == want)

        return step

    return Op(link)


# ----------------------------------------------------------------------------- atomics


def _float_view(typ: str) -> Any:
    return {"f32": np.float32, "f64": np.float64, "f16": np.float16}.get(typ)


def _bf16_add(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    f = (a.astype(np.uint32) << 16).view(np.float32) + (b.astype(np.uint32) << 16).view(np.float32)
    u = f.view(np.uint32)
    r = (u + np.uint32(0x7FFF) + ((u >> 16) & 1)) >> 16
    r = np.where(np.isnan(f), np.uint32(0x7FFF), r)
    return r.astype(np.uint16)


def _combine(op: str, typ: str) -> Any:
    """``f(old, b, c) -> new`` on raw bits for an atomic operation."""
    w = TYPES[typ]
    dt = UINT[w]
    fv = _float_view(typ)
    sv = SIGNED.get(typ)
    if op == "add" and typ in ("f16x2", "bf16x2"):
        half = (
            _bf16_add
            if typ == "bf16x2"
            else (lambda a, b: (a.view(np.float16) + b.view(np.float16)).view(np.uint16))
        )

        def add2(old: Any, b: Any, c: Any) -> Any:
            lo = half((old & 0xFFFF).astype(np.uint16), (b & 0xFFFF).astype(np.uint16))
            hi = half((old >> 16).astype(np.uint16), (b >> 16).astype(np.uint16))
            return lo.astype(np.uint32) | (hi.astype(np.uint32) << 16)

        return add2
    if op == "add" and typ == "bf16":
        return lambda old, b, c: _bf16_add(old, b)
    if op in ("add", "min", "max") and fv is not None:
        f = {"add": np.add, "min": np.fmin, "max": np.fmax}[op]
        return lambda old, b, c: f(old.view(fv), b.view(fv)).astype(fv).view(dt)
    if op in ("min", "max"):
        f = np.minimum if op == "min" else np.maximum
        if sv is not None:
            return lambda old, b, c: f(old.view(sv), b.view(sv)).view(dt)
        return lambda old, b, c: f(old, b)
    return {
        "add": lambda old, b, c: old + b,
        "and": lambda old, b, c: old & b,
        "or": lambda old, b, c: old | b,
        "xor": lambda old, b, c: old ^ b,
        "exch": lambda old, b, c: b,
        "cas": lambda old, b, c: np.where(old == b, c, old),
        "inc": lambda old, b, c: np.where(old >= b, dt(0), old + dt(1)),
        "dec": lambda old, b, c: np.where((old == 0) | (old > b), b, old - dt(1)),
    }[op]


OPS = ("add", "min", "max", "inc", "dec", "and", "or", "xor", "exch", "cas")


def atomic_rmw(
    m: Any,
    pc: int,
    tids: np.ndarray,
    space: str,
    addr: np.ndarray,
    w: int,
    f: Any,
    b: np.ndarray,
    c: np.ndarray,
) -> np.ndarray:
    """Apply ``f`` lane by lane in lane order (colliding lanes see each other's results);
    returns each lane's old value (zero for lanes that were refused)."""
    old_all = np.zeros(tids.size, UINT[w])
    for p in access.resolve(m, pc, tids, space, addr, w, write=True, atomic=True):
        pos = np.arange(tids.size) if p.lanes is None else p.lanes
        off = p.off
        while pos.size:
            _, first = np.unique(off, return_index=True)
            if first.size == pos.size:
                first = np.arange(pos.size)
            o, ln = off[first], pos[first]
            old = p.region.read(o, w)[:, 0]
            p.region.write(o, w, np.asarray(f(old, b[ln], c[ln]), UINT[w])[:, None])
            old_all[ln] = old
            rest = np.ones(pos.size, bool)
            rest[first] = False
            pos, off = pos[rest], off[rest]
    return old_all


def _atom(ins: ir.Instruction, has_dest: bool) -> Op:
    space, typ, w, vec = decode(ins)
    op = next((x for x in ins.mods if x in OPS), None)
    if op is None or vec != 1 or w not in (2, 4, 8):
        raise NotSupported(ins, "operation/type combination")
    f = _combine(op, typ)
    first = 1 if has_dest else 0

    def link(L: Linker) -> Any:
        m, pc = L.m, L.pc
        ea, sp = L.address(ins.operands[first], space)
        rb = L.read(ins.operands[first + 1])
        rc = L.read(ins.operands[first + 2]) if op == "cas" else None
        wr = L.write(ins.operands[0]) if has_dest else None

        def step(s: Any) -> None:
            tids = m.tids(s)
            n = tids.size
            b = _as_raw(rb(s), typ, n)
            c = _as_raw(rc(s), typ, n) if rc is not None else b
            old = atomic_rmw(m, pc, tids, sp, lanes(ea(s), n), w, f, b, c)
            if wr is not None:
                wr(s, old)

        return step

    return Op(link)


FAMILY.machine("atom")(lambda ins: _atom(ins, True))
FAMILY.machine("red", dests=0)(lambda ins: _atom(ins, False))

OPCODES = FAMILY.table

__all__ = ["OPCODES", "WINDOW_SIZE", "atomic_rmw", "decode", "imm_bits"]
