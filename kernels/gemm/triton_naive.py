"""Ladder step 1: naive blocked Triton GEMM, one output tile per program, row-major tile order."""

from __future__ import annotations

import triton
import triton.language as tl

from kernbench.family import Inputs
from kernbench.problem import Problem
from kernbench.space import Config, Pow2, Space
from kernbench.variant import Launch, Unsupported, variant


@triton.jit
def gemm_naive_kernel(
    a_ptr, b_ptr, c_ptr, M, N, K,
    stride_am, stride_ak, stride_bk, stride_bn, stride_cm, stride_cn,
    alpha,
    BLOCK_M: tl.constexpr, BLOCK_N: tl.constexpr, BLOCK_K: tl.constexpr,
):
    pid_m = tl.program_id(0)
    pid_n = tl.program_id(1)
    offs_m = pid_m * BLOCK_M + tl.arange(0, BLOCK_M)
    offs_n = pid_n * BLOCK_N + tl.arange(0, BLOCK_N)
    offs_k = tl.arange(0, BLOCK_K)
    acc = tl.zeros((BLOCK_M, BLOCK_N), dtype=tl.float32)
    for k0 in range(0, K, BLOCK_K):
        ks = k0 + offs_k
        a = tl.load(a_ptr + offs_m[:, None] * stride_am + ks[None, :] * stride_ak,
                    mask=(offs_m[:, None] < M) & (ks[None, :] < K), other=0.0)
        b = tl.load(b_ptr + ks[:, None] * stride_bk + offs_n[None, :] * stride_bn,
                    mask=(ks[:, None] < K) & (offs_n[None, :] < N), other=0.0)
        acc += tl.dot(a, b)
    acc = acc * alpha
    c = acc.to(c_ptr.dtype.element_ty)
    tl.store(c_ptr + offs_m[:, None] * stride_cm + offs_n[None, :] * stride_cn, c,
             mask=(offs_m[:, None] < M) & (offs_n[None, :] < N))


SPACE = Space(
    params=(Pow2("BLOCK_M", 16, 128), Pow2("BLOCK_N", 16, 128), Pow2("BLOCK_K", 16, 64)),
    constraints=(),
)


@variant(
    family="gemm",
    name="triton_naive",
    language="triton",
    space=SPACE,
    defaults=[{"BLOCK_M": 64, "BLOCK_N": 64, "BLOCK_K": 32}],
    order=1,
)
def build(problem: Problem, config: Config, inputs: Inputs) -> Launch:
    """One program per output tile, tiles in row-major order; loads go straight from
    global memory into ``tl.dot`` with no reuse beyond the tile. The starting point of the
    Triton ladder."""
    a, b, out = inputs["a"], inputs["b"], inputs["out"]
    if inputs["beta"] != 0.0:
        raise Unsupported("triton_naive computes beta = 0 only")
    m, n, k = problem.int("m"), problem.int("n"), problem.int("k")
    bm, bn, bk = int(config["BLOCK_M"]), int(config["BLOCK_N"]), int(config["BLOCK_K"])
    grid = (triton.cdiv(m, bm), triton.cdiv(n, bn))
    alpha = float(inputs["alpha"])

    def launch() -> None:
        gemm_naive_kernel[grid](
            a, b, out, m, n, k,
            a.stride(0), a.stride(1), b.stride(0), b.stride(1), out.stride(0), out.stride(1),
            alpha, BLOCK_M=bm, BLOCK_N=bn, BLOCK_K=bk,
        )

    return launch

