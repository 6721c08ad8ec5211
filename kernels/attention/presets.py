"""Named problem grids of the paged-attention family, declared as data.

Grids whose K and V would pass ``MAX_KV_BYTES`` in 16-bit are left out: the cache and a
baseline's gathered copy must both fit in an 80 GB GPU.
"""

from __future__ import annotations

import itertools

HEADS = {
    # (q_heads, kv_heads, head_dim) of the models decode kernels are usually tuned for.
    "llama3-8b": ((32, 8, 128),),
    "llama2-7b": ((32, 32, 128),),
    "70b-tp": ((32, 4, 128), (16, 2, 128)),
}
BATCHES = (1, 4, 16, 64, 256)
CONTEXTS = (128, 512, 2048, 8192, 32768)
LONG_CONTEXTS = (65536, 131072)
MAX_KV_BYTES = 24 * 2**30


def _heads(q: int, kv: int, d: int) -> str:
    return f"q_heads={q},kv_heads={kv},head_dim={d}"


def _fits(batch: int, tokens: int, kv: int, d: int) -> bool:
    return 2 * batch * tokens * kv * d * 2 <= MAX_KV_BYTES


def uniform_grid(model: str) -> tuple[str, ...]:
    """Batch 1..256 x context 128..32k, then 64k and 128k at batch 1."""
    out = []
    for (q, kv, d), batch, context in itertools.product(HEADS[model], BATCHES, CONTEXTS):
        if _fits(batch, context, kv, d):
            out.append(f"batch={batch},context={context},{_heads(q, kv, d)}")
    out += [
        f"batch=1,context={c},{_heads(q, kv, d)}"
        for (q, kv, d) in HEADS[model]
        for c in LONG_CONTEXTS
    ]
    return tuple(out)


def mixed_grid() -> tuple[str, ...]:
    """Ragged batches: random, long-tail and one-long-among-short lengths (Llama-3-8B heads)."""
    return tuple(
        f"batch={batch},context={context},lengths={kind},{_heads(32, 8, 128)}"
        for kind, batch, context in itertools.product(
            ("random", "longtail", "one_long"), (16, 64, 256), (4096, 32768)
        )
        if _fits(batch, context, 8, 128)
    )


def shared_prefix_grid() -> tuple[str, ...]:
    """Prefix {1k,4k,16k,32k} x suffix {64,256,1k,4k} x batch {16,64,128,256}."""
    return tuple(
        f"batch={batch},context={suffix},shared_prefix={prefix},{_heads(32, 8, 128)}"
        for prefix, suffix, batch in itertools.product(
            (1024, 4096, 16384, 32768), (64, 256, 1024, 4096), (16, 64, 128, 256)
        )
    )


def block_grid() -> tuple[str, ...]:
    """Every block size in both layouts at one mid-sized problem."""
    return tuple(
        f"batch=64,context=4096,{_heads(32, 8, 128)},block_size={bs},layout={layout}"
        for bs, layout in itertools.product((1, 8, 16, 32, 64), ("nhd", "hnd"))
    )


PRESETS: dict[str, tuple[str, ...]] = {
    "llama3-8b": uniform_grid("llama3-8b"),
    "llama2-7b": uniform_grid("llama2-7b"),
    "70b-tp": uniform_grid("70b-tp"),
    "mixed": mixed_grid(),
    "shared-prefix": shared_prefix_grid(),
    "block-sizes": block_grid(),
    # First light on an H200: one decode problem reading 2 GiB of K and V (far over the 60 MB
    # L2), and one ragged GQA batch of the same size class.
    "first-light": (
        f"batch=64,context=8192,{_heads(32, 8, 128)}",
        f"batch=64,context=8192,lengths=random,{_heads(32, 8, 128)}",
    ),
    "cpu-small": (
        "batch=3,context=40,lengths=random,q_heads=4,kv_heads=2,head_dim=64,block_size=16",
        "batch=2,context=33,q_heads=8,kv_heads=1,head_dim=64,block_size=8,layout=hnd",
        "batch=3,context=20,q_heads=4,kv_heads=1,head_dim=64,block_size=16,shared_prefix=32",
    ),
}
