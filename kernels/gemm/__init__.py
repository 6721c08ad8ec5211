"""In-tree GEMM plugin: the family, the Triton and CUDA C++ ladders and the baselines.

Variants are listed by module so that nothing is imported until it is asked for.
"""

from kernbench.registry import Plugin

PLUGIN = Plugin(
    families=("kernbench_kernels.gemm.family:GEMM",),
    variants={
        "torch_matmul": "kernbench_kernels.gemm.torch_matmul:build",
        "triton_naive": "kernbench_kernels.gemm.triton_naive:build",
    },
)
