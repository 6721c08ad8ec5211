"""In-tree GEMM plugin: the family, the Triton and CUDA C++ ladders and the baselines.

Variants are listed by module so that nothing is imported until it is asked for.
"""

from kernbench.registry import Plugin

PLUGIN = Plugin(
    families=("kernbench_kernels.gemm.family:GEMM",),
    variants={
        # CUDA C++ ladder, steps 1-7 (mma.sync, sm_80+)
        "cuda_naive": "kernbench_kernels.gemm.cuda_naive:build",
        "cuda_smem_simt": "kernbench_kernels.gemm.cuda_smem_simt:build",
        "cuda_mma": "kernbench_kernels.gemm.cuda_mma:build",
        "cuda_vectorized": "kernbench_kernels.gemm.cuda_vectorized:build",
        "cuda_cp_async": "kernbench_kernels.gemm.cuda_cp_async:build",
        "cuda_ldmatrix": "kernbench_kernels.gemm.cuda_ldmatrix:build",
        "cuda_tuned": "kernbench_kernels.gemm.cuda_tuned:build",
        "cuda_wgmma": "kernbench_kernels.gemm.cuda_wgmma:build",
        "cuda_ws": "kernbench_kernels.gemm.cuda_ws:build",
        "cuda_persistent": "kernbench_kernels.gemm.cuda_persistent:build",
        "cutlass_sm80": "kernbench_kernels.gemm.cutlass_sm80:build",
        "cutlass_sm90": "kernbench_kernels.gemm.cutlass_sm90:build",
        "torch_matmul": "kernbench_kernels.gemm.torch_matmul:build",
        "triton_grouped": "kernbench_kernels.gemm.triton_grouped:build",
        "triton_naive": "kernbench_kernels.gemm.triton_naive:build",
        "triton_persistent": "kernbench_kernels.gemm.triton_persistent:build",
        "triton_pipelined": "kernbench_kernels.gemm.triton_pipelined:build",
        "triton_splitk": "kernbench_kernels.gemm.triton_splitk:build",
        "triton_tma": "kernbench_kernels.gemm.triton_tma:build",
    },
)
