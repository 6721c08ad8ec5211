"""In-tree paged-attention plugin: decode attention over a paged KV cache."""

from kernbench.registry import Plugin

PLUGIN = Plugin(
    families=(),
    variants={},
)
