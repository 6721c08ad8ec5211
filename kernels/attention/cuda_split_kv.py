"""Paged decode, split-KV (flash-decoding) in CUDA C++: 16-byte loads, warp-shuffle reductions."""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path

from kernbench.backends.cuda import KernelBuild, requirements
from kernbench.family import Inputs
from kernbench.problem import Problem
from kernbench.space import Categorical, Config, Space, Value
from kernbench.staticcheck import Resources, Target
from kernbench.variant import Launch, Unsupported, variant

from .cache import context_lengths
from .triton_common import LOG2E, SPLITS, group_of, heuristic_splits, sm_count

SOURCE = Path(__file__).parent / "cuda_split_kv.cu"
HEADER = "../gemm/cuda_common.cuh"
HEAD_SLOTS = 4
"""Query heads x 16-byte vectors a lane keeps in registers (queries and accumulators): with 4,
the default (TOKENS 4, VEC 1) fits 128 registers; 8 took 247 (8 warps per SM, not 16)."""
MERGE_THREADS = 128
VECTOR_TENSORS = ("q", "k_cache", "v_cache", "out")
"""Tensors the kernels read or write in 16-byte (output: 8-byte) vectors."""


def loads_fit_registers(c: Mapping[str, Value]) -> bool:
    """TOKENS x VEC <= 4: the K and V vectors in flight take at most 32 registers per lane"""
    return int(c["TOKENS"]) * int(c["VEC"]) <= 4


SPACE = Space(
    params=(
        SPLITS,
        Categorical("TOKENS", (1, 2, 4)),
        Categorical("VEC", (1, 2, 4)),
        Categorical("WARPS", (1, 2, 4, 8)),
    ),
    constraints=(loads_fit_registers,),
)


def heads_per_cta(problem: Problem, config: Mapping[str, Value]) -> int:
    """The whole GQA group when its queries and accumulators fit registers, else a tile of it."""
    return min(group_of(problem), HEAD_SLOTS // int(config["VEC"]))


def head_tiles(problem: Problem, config: Mapping[str, Value]) -> int:
    return math.ceil(group_of(problem) / heads_per_cta(problem, config))


def num_splits(problem: Problem, config: Mapping[str, Value], sms: int) -> int:
    """NUM_SPLITS of the config, or the Triton variants' heuristic over whole contexts."""
    chosen = int(config["NUM_SPLITS"])
    if chosen:
        return chosen
    ctas = problem.int("batch") * problem.int("kv_heads") * head_tiles(problem, config)
    return heuristic_splits(ctas, max(context_lengths(problem)), sms)


def kernels(
    problem: Problem, config: Mapping[str, Value], dtype: str
) -> tuple[KernelBuild, KernelBuild]:
    """The split pass (with its warp-merge buffer in dynamic shared memory) and the merge."""
    d, heads, warps = problem.int("head_dim"), heads_per_cta(problem, config), int(config["WARPS"])
    defines: dict[str, Value] = {
        "HEAD_DIM": d,
        "GROUP": group_of(problem),
        "HEADS": heads,
        "PAGE": problem.int("block_size"),
        "HND": int(problem["layout"] == "hnd"),
        "WARPS": warps,
        "TOKENS": int(config["TOKENS"]),
        "VEC": int(config["VEC"]),
        "KB_BF16": int(dtype == "bf16"),
    }
    merge_buffer = 4 * warps * heads * (d + 2)
    return (
        KernelBuild(SOURCE, "paged_split_partial", 32 * warps, defines, merge_buffer),
        KernelBuild(SOURCE, "paged_split_merge", MERGE_THREADS, defines),
    )


def static_check(problem: Problem, config: Config, dtype: str, target: Target) -> list[Resources]:
    """Both kernels compiled for the target; the merge is launched only with two splits or more."""
    return [k.resources(target.arch) for k in kernels(problem, config, dtype)]


def check_inputs(inputs: Inputs) -> str:
    """The dtype name; Unsupported for strided or misaligned tensors (16-byte loads)."""
    import torch

    q = inputs["q"]
    dtype = {torch.float16: "fp16", torch.bfloat16: "bf16"}.get(q.dtype)
    if dtype is None:
        raise Unsupported(f"cuda_split_kv computes fp16 and bf16 only (got {q.dtype})")
    for name in ("q", "k_cache", "v_cache", "out", "block_tables", "context_lens"):
        t = inputs[name]
        if not t.is_contiguous():
            raise Unsupported(f"cuda_split_kv reads contiguous tensors only ({name} is strided)")
        if name in VECTOR_TENSORS and t.data_ptr() % 16:
            raise Unsupported(
                f"cuda_split_kv moves 16-byte vectors: {name} must be 16-byte aligned"
            )
    return dtype


@variant(
    family="paged_attention",
    name="cuda_split_kv",
    language="cuda",
    space=SPACE,
    defaults=[{"NUM_SPLITS": 0, "TOKENS": 4, "VEC": 1, "WARPS": 4}],
    dtypes=("fp16", "bf16"),
    requires=requirements((8, 0)),
    static_check=static_check,
    sources=("cuda_split_kv.cu", HEADER),
    order=2,
)
def build(problem: Problem, config: Config, inputs: Inputs) -> Launch:
    """Flash-decoding in CUDA C++. Each sequence's context is cut into NUM_SPLITS chunks
    (0 = the Triton variants' heuristic: two waves of CTAs over the SMs, chunks of 256 tokens
    or more); one CTA per (chunk, kv head, sequence) serves every query head of the GQA group
    (up to 4 / VEC heads, so that a lane's queries, accumulators and loads in flight fit 128
    registers and 16 warps share an SM; larger groups are tiled, and the tiles of a kv head,
    launched side by side, find its K/V in L2), so each K/V byte crosses HBM about once.
    Lanes load K and V as 16-byte vectors (VEC per token, so head_dim / (8 VEC) lanes share a
    token), TOKENS tokens per lane group in flight before any math; dot products and the
    softmax max are reduced with warp shuffles, each warp keeps its own online softmax with no
    barrier in the loop, and the warps merge through shared memory at the end. A second
    kernel merges the chunks by log-sum-exp (skipped with one chunk). With every load a full
    coalesced 16-byte vector and enough bytes in flight per SM, the time should approach K+V
    bytes over the HBM bandwidth; the scratch round trip is batch x q_heads x chunks x
    head_dim floats. CUDA cores only: at large group sizes the FMAs and shuffles can become
    the limit, which tensor cores would lift."""
    import torch

    from kernbench.backends.cuda_launch import load

    dtype = check_inputs(inputs)
    batch, q_heads, kv_heads = problem.int("batch"), problem.int("q_heads"), problem.int("kv_heads")
    if batch > 65535:
        raise Unsupported(f"cuda_split_kv puts sequences on grid.z: batch={batch} > 65535")
    q = inputs["q"]
    splits = num_splits(problem, config, sm_count(q.device))
    partial, merge = kernels(problem, config, dtype)
    rows = batch * q_heads
    scratch = {"device": q.device, "dtype": torch.float32}
    acc = torch.empty(rows * splits * problem.int("head_dim"), **scratch) if splits > 1 else None
    ml = torch.empty(rows * splits * 2, **scratch) if splits > 1 else None
    qk_scale = float(inputs["scale"]) * LOG2E
    args = (
        q,
        inputs["k_cache"],
        inputs["v_cache"],
        inputs["block_tables"],
        inputs["context_lens"],
        acc,
        ml,
        inputs["out"],
        qk_scale,
        kv_heads,
        int(inputs["block_tables"].shape[1]),
        splits,
    )
    grid = (splits, kv_heads * head_tiles(problem, config), batch)
    first = load(partial).launcher(grid, partial.threads, args)
    if splits == 1:
        return first
    merge_rows = MERGE_THREADS // (problem.int("head_dim") // 4)
    second = load(merge).launcher(
        math.ceil(rows / merge_rows), merge.threads, (acc, ml, inputs["out"], rows, splits)
    )

    def launch() -> None:
        first()
        second()

    return launch
