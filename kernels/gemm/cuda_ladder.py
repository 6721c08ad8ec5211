"""What the CUDA C++ GEMM ladder steps share: declarations, input checks, tile rules, compile and launch.

Every step's kernel has the signature ``(A, B, Out, C, M, N, K, alpha, beta)`` over
row-major matrices; a step module declares only its space, its kernel build (macros,
threads, dynamic shared memory), its grid and, in its build's docstring, what it changes.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from kernbench.backends.cuda import KernelBuild, Plan, requirements, static_check
from kernbench.family import Inputs
from kernbench.problem import Problem
from kernbench.space import Categorical, Config, Constraint, Pow2, Space, Value
from kernbench.variant import Build, Launch, Requirements, Unsupported, Variant, variant

HERE = Path(__file__).parent
SM80_STEPS = (
    "cuda_naive",
    "cuda_smem_simt",
    "cuda_mma",
    "cuda_vectorized",
    "cuda_cp_async",
    "cuda_ldmatrix",
    "cuda_tuned",
)
"""The sm_80 steps 1-7 in order, each a module of this package named as its variant."""
COMMON_HEADER = "cuda_common.cuh"
MMA_SOURCES = (COMMON_HEADER, "cuda_mma_tiles.cuh")
"""The headers of the mma.sync steps 3-7."""
DTYPES = ("fp16", "bf16")
ELEM_BYTES = 2
PAD = 8
"""Elements added to each shared-memory row from step 4 on (16 bytes: rows stay aligned)."""
SHARED_LIMIT = 227 * 1024
"""Shared memory one block may use on Hopper."""

MMA_BLOCK = (Pow2("BM", 32, 256), Pow2("BN", 32, 256), Categorical("BK", (16, 32, 64)))
"""The block tile of steps 3-6 (step 7 searches fewer, larger tiles)."""
WARP_GRID = (Categorical("WARPS_M", (1, 2, 4)), Categorical("WARPS_N", (1, 2, 4)))
STAGES = Categorical("STAGES", (2, 3, 4, 5))
"""Depth of the cp.async pipeline of steps 5-7."""

Grid = Callable[[Problem, Config], tuple[int, ...]]


def ladder_step(
    *,
    order: int,
    space: Space,
    defaults: Sequence[Mapping[str, Value]],
    plan: Plan,
    sources: Sequence[str],
    requires: Requirements | None = None,
    arch: str | None = None,
) -> Callable[[Build], Variant]:
    """The ``@variant`` of a ladder step: GEMM in CUDA C++ on fp16/bf16, statically checked
    by compiling its plan (for ``arch`` when given), sm_80 and up unless ``requires`` says
    otherwise. The name is the module's and the build's docstring is the description."""
    return variant(
        family="gemm",
        language="cuda",
        space=space,
        defaults=defaults,
        dtypes=DTYPES,
        requires=requires or requirements((8, 0)),
        static_check=static_check(plan, arch),
        sources=sources,
        order=order,
    )


def cdiv(a: int, b: int) -> int:
    return -(-a // b)


def kernel_build(
    source: str, config: Config, dtype: str, threads: int, dynamic_shared: int = 0
) -> KernelBuild:
    """The build of ``source``'s kernel (named ``gemm_<module>``) with the config as macros."""
    defines: dict[str, Value] = {**config, "KB_BF16": int(dtype == "bf16")}
    return KernelBuild(HERE / source, "gemm_" + Path(source).stem, threads, defines, dynamic_shared)


def warps(config: Mapping[str, Value]) -> int:
    return int(config["WARPS_M"]) * int(config["WARPS_N"])


def mma_build(source: str, config: Config, dtype: str, dynamic_shared: int = 0) -> KernelBuild:
    """The build of an mma.sync step (3-7): a block of WARPS_M x WARPS_N warps."""
    return kernel_build(source, config, dtype, 32 * warps(config), dynamic_shared)


def mma_constraints(n_multiple: int = 8) -> tuple[Constraint, ...]:
    """Warp-tile rules of the mma.sync steps; ``n_multiple`` 16 for ldmatrix's B pairs."""

    def warp_tile_m(c: Mapping[str, Value]) -> bool:
        """BM / WARPS_M is a multiple of 16 (the mma tile height)"""
        return int(c["BM"]) % (16 * int(c["WARPS_M"])) == 0

    def warp_tile_n(c: Mapping[str, Value]) -> bool:
        return int(c["BN"]) % (n_multiple * int(c["WARPS_N"])) == 0

    warp_tile_n.__doc__ = f"BN / WARPS_N is a multiple of {n_multiple}"

    def registers(c: Mapping[str, Value]) -> bool:
        """a warp tile's accumulators and fragments fit 160 registers per thread (64x64 at most)"""
        mi = int(c["BM"]) // int(c["WARPS_M"]) // 16
        ni = int(c["BN"]) // int(c["WARPS_N"]) // 8
        return 4 * mi * ni + 4 * mi + 2 * ni <= 160

    def block_size(c: Mapping[str, Value]) -> bool:
        """4 to 8 warps per block: fewer hide no latency, more cap the registers per thread"""
        return 4 <= warps(c) <= 8

    return warp_tile_m, warp_tile_n, registers, block_size


def pipeline_shared(config: Mapping[str, Value], epilogue: bool = False) -> int:
    """Dynamic shared memory of the cp.async steps: STAGES padded A and B tiles (and the
    padded output tile of the shared-memory epilogue, which reuses them)."""
    bm, bn, bk = int(config["BM"]), int(config["BN"]), int(config["BK"])
    elems = int(config["STAGES"]) * (bm * (bk + PAD) + bk * (bn + PAD))
    if epilogue:
        elems = max(elems, bm * (bn + PAD))
    return elems * ELEM_BYTES


def pipeline_fits_shared(c: Mapping[str, Value]) -> bool:
    """all STAGES tiles fit the 227 KB of shared memory a Hopper block may use"""
    return pipeline_shared(c) <= SHARED_LIMIT


def tile_grid(problem: Problem, config: Config) -> tuple[int, ...]:
    """One block per BM x BN output tile: x along N, y along M."""
    return cdiv(problem.int("n"), int(config["BN"])), cdiv(problem.int("m"), int(config["BM"]))


def _row_major(t: Any, rows: int, cols: int) -> bool:
    return (
        tuple(t.shape) == (rows, cols)
        and (rows == 1 or t.stride(0) == cols)
        and (cols == 1 or t.stride(1) == 1)
    )


def check_inputs(problem: Problem, inputs: Inputs, name: str, vector: bool) -> None:
    """Raise Unsupported for what the ladder's kernels do not handle, saying why."""
    m, n, k = problem.int("m"), problem.int("n"), problem.int("k")
    tensors = {"A": (inputs["a"], m, k), "B": (inputs["b"], k, n), "out": (inputs["out"], m, n)}
    if inputs["beta"] != 0.0:
        tensors["C"] = (inputs["c"], m, n)
    for label, (t, rows, cols) in tensors.items():
        if not _row_major(t, rows, cols):
            raise Unsupported(
                f"{name} reads and writes contiguous row-major matrices only ({label} is not)"
            )
        if vector and t.data_ptr() % 16:
            raise Unsupported(f"{name} moves 16-byte chunks: {label} must be 16-byte aligned")
    if vector and (k % 8 or n % 8):
        raise Unsupported(
            f"{name} moves 16-byte chunks: K and N must be multiples of 8 (K={k}, N={n})"
        )


def prepare(
    name: str,
    plan: Plan,
    grid: Grid,
    problem: Problem,
    config: Config,
    inputs: Inputs,
    *,
    vector: bool,
) -> tuple[tuple[int, ...], KernelBuild]:
    """Check the inputs, their dtype and the grid; the grid and the kernel build to launch."""
    import torch

    check_inputs(problem, inputs, name, vector)
    dtype = {torch.float16: "fp16", torch.bfloat16: "bf16"}.get(inputs["a"].dtype)
    if dtype is None:
        raise Unsupported(f"{name} computes fp16 and bf16 only (got {inputs['a'].dtype})")
    blocks = grid(problem, config)
    if blocks[0] >= 2**31 or any(d > 65535 for d in blocks[1:]):
        raise Unsupported(f"{name}: grid {blocks} exceeds the CUDA grid limits")
    return blocks, plan(problem, config, dtype)


def output_args(problem: Problem, inputs: Inputs) -> tuple[Any, ...]:
    """The kernel arguments after the operands: ``Out, C (None when beta is 0), M, N, K, alpha, beta``."""
    beta = float(inputs["beta"])
    return (
        inputs["out"],
        inputs.get("c") if beta != 0.0 else None,
        problem.int("m"),
        problem.int("n"),
        problem.int("k"),
        float(inputs["alpha"]),
        beta,
    )


def launch_gemm(
    name: str,
    plan: Plan,
    grid: Grid,
    problem: Problem,
    config: Config,
    inputs: Inputs,
    *,
    vector: bool,
) -> Launch:
    """Check the inputs, compile for this device (cached) and return the launch closure."""
    from kernbench.backends.cuda_launch import load

    blocks, build = prepare(name, plan, grid, problem, config, inputs, vector=vector)
    return load(build).launcher(
        blocks, build.threads, (inputs["a"], inputs["b"], *output_args(problem, inputs))
    )
