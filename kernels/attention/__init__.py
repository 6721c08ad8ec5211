"""In-tree paged-attention plugin: decode attention over a paged KV cache.

Variants are listed by module so that nothing is imported until it is asked for.
"""

from kernbench.registry import Plugin

PLUGIN = Plugin(
    families=("kernbench_kernels.attention.family:PAGED_ATTENTION",),
    variants={
        "triton_single_pass": "kernbench_kernels.attention.triton_single_pass:build",
        "triton_split_kv": "kernbench_kernels.attention.triton_split_kv:build",
        "triton_cascade": "kernbench_kernels.attention.triton_cascade:build",
        "cuda_split_kv": "kernbench_kernels.attention.cuda_split_kv:build",
        "torch_sdpa": "kernbench_kernels.attention.torch_sdpa:build",
        "torch_flex": "kernbench_kernels.attention.torch_flex:build",
    },
)
