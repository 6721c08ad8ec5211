"""Run without ``TRITON_INTERPRET``: Triton's own launches on the PTX emulator.

The suite interprets Triton (``tests/conftest.py``), and an interpreting process cannot
compile: ``triton.language`` itself was decorated for the interpreter. So
``test_triton_emu.py`` runs this file in a clean process, where the emulated device is
activated before the kernels below are decorated, exactly as in a measurement worker. Each
``check_*`` asserts its hand-derived expectation; the last line printed is a JSON object
``{check: "ok" or the failure}``. ``--arch sm_90a`` first runs them on emulated Hopper.
"""

from __future__ import annotations

import json
import sys
import traceback

from kernbench import device

ARCH = sys.argv[2] if sys.argv[1:2] == ["--arch"] else "sm_80"
device.activate(f"emu:{ARCH}")  # before any kernel is decorated

import torch  # noqa: E402
import triton  # noqa: E402
import triton.language as tl  # noqa: E402

from kernbench.backends.emu_launch import EmulatorFindings, take_results  # noqa: E402


@triton.jit
def axpby(x_ptr, y_ptr, out_ptr, n, alpha, beta, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    x = tl.load(x_ptr + offs, mask=mask)
    y = tl.load(y_ptr + offs, mask=mask)
    tl.store(out_ptr + offs, alpha * x + beta * y, mask=mask)


def check_parameters_follow_triton_specialisation() -> None:
    """n=100 (not a multiple of 16), an fp32 alpha and an int beta: beta=1 is specialised
    into the kernel (no parameter for it), beta=3 is a parameter; both launches are exact
    (small integers and halves in fp32) and recorded with 32 * num_warps threads."""
    x = torch.arange(100, dtype=torch.float32)
    y = torch.full((100,), 5.0)
    out = torch.zeros(100)
    take_results()
    axpby[(4,)](x, y, out, 100, 2.0, 1, BLOCK=32, num_warps=1)
    assert torch.equal(out, 2 * torch.arange(100.0) + 5)  # 2*i + 1*5
    axpby[(2,)](x, y, out, 100, 0.5, 3, BLOCK=64, num_warps=2)
    assert torch.equal(out, 0.5 * torch.arange(100.0) + 15)  # i/2 + 3*5
    first, second = take_results()
    assert (first.kernel, first.arch, first.grid, first.block) == (
        "axpby",
        "sm_80",
        (4, 1, 1),
        (32, 1, 1),
    )
    assert (second.grid, second.block) == ((2, 1, 1), (64, 1, 1))
    assert first.result.thread_instructions >= 4 * 32 and not first.result.findings


@triton.jit
def copy_unmasked(x_ptr, out_ptr, BLOCK: tl.constexpr):
    offs = tl.arange(0, BLOCK)
    tl.store(out_ptr + offs, tl.load(x_ptr + offs))


def check_findings_raise_and_the_launch_is_recorded() -> None:
    """A 64-element copy between 48-element tensors with no mask: elements 48..63 are read
    and written past both buffers; the emulator reports it instead of touching host memory."""
    x, out = torch.ones(48), torch.zeros(48)
    take_results()
    try:
        copy_unmasked[(1,)](x, out, BLOCK=64, num_warps=2)
    except EmulatorFindings as err:
        assert {f.kind for f in err.findings} == {"global-out-of-bounds"}, err
        assert "copy_unmasked" in str(err)
    else:
        raise AssertionError("no findings for an unmasked out-of-bounds copy")
    assert torch.equal(out, torch.ones(48))  # the in-bounds part was written
    [launch] = take_results()  # recorded before raising: the harness stores the counts
    assert launch.result.findings


@triton.jit
def square_dot(a_ptr, b_ptr, out_ptr, N: tl.constexpr):
    rows = tl.arange(0, N)
    a = tl.load(a_ptr + rows[:, None] * N + rows[None, :])
    b = tl.load(b_ptr + rows[:, None] * N + rows[None, :])
    tl.store(out_ptr + rows[:, None] * N + rows[None, :], tl.dot(a, b))


def check_bf16_dot_is_exact_on_small_integers() -> None:
    """bf16 ``tl.dot`` (mma.sync m16n8k16, fp32 accumulator on sm_80), the path Triton's
    interpreter gets wrong: integers in [-4, 4] are exact in bf16 and every sum of 32
    products (|sum| <= 32 * 16 = 512) is exact in fp32, so out == A @ B exactly."""
    gen = torch.Generator().manual_seed(0)
    a = torch.randint(-4, 5, (32, 32), generator=gen).to(torch.bfloat16)
    b = torch.randint(-4, 5, (32, 32), generator=gen).to(torch.bfloat16)
    out = torch.zeros(32, 32)
    square_dot[(1,)](a, b, out, N=32, num_warps=4)
    assert torch.equal(out, a.double().matmul(b.double()).float())
    assert take_results()[-1].result.line_counts  # ran (and was counted) on the emulator


def check_the_jit_compiled_for_sm_80() -> None:
    """The JIT's target is the emulated architecture's, and its PTX says so (the first
    check's compilation, looked up again: same specialisation, same options)."""
    x = torch.empty(100)
    kernel = axpby.warmup(x, x, x, 100, 2.0, 1, BLOCK=32, num_warps=1, grid=(4,))
    assert kernel.metadata.target.arch == 80
    assert ".target sm_80" in kernel.asm["ptx"]


@triton.jit
def descriptor_tile(desc, out_ptr, BLOCK: tl.constexpr):
    tile = desc.load([BLOCK, 0])  # rows BLOCK..2 BLOCK - 1, columns 0..BLOCK - 1
    rows = tl.arange(0, BLOCK)
    tl.store(out_ptr + rows[:, None] * BLOCK + rows[None, :], tile)


def check_host_tensor_descriptors_expand_as_triton_expands_them() -> None:
    """A host-side ``TensorDescriptor`` argument: on sm_80 (no TMA) Triton passes it as its
    base pointer, shape, strides and flags; the tile at rows 16..31, columns 0..15 of a
    48x24 matrix of distinct values comes back exactly."""
    from triton.tools.tensor_descriptor import TensorDescriptor

    x = torch.arange(48 * 24, dtype=torch.float32).reshape(48, 24)
    out = torch.zeros(16, 16)
    descriptor_tile[(1,)](TensorDescriptor.from_tensor(x, [16, 16]), out, BLOCK=16)
    assert torch.equal(out, x[16:32, 0:16])


@triton.jit
def descriptor_edge(desc, out_ptr, BLOCK: tl.constexpr):
    tile = desc.load([40, 16])  # rows 40..55 of 48, columns 16..31 of 24
    rows = tl.arange(0, BLOCK)
    tl.store(out_ptr + rows[:, None] * BLOCK + rows[None, :], tile)


def check_host_tensor_descriptors_are_tma_on_hopper() -> None:
    """On sm_90a the same loads are TMA copies through a tensor map the launcher encodes
    (64-byte swizzle for 16 fp32 columns); a box past the matrix's edge is zero-filled:
    rows 40..47 and columns 16..23 of the 48x24 matrix, zeros elsewhere."""
    from triton.tools.tensor_descriptor import TensorDescriptor

    x = torch.arange(48 * 24, dtype=torch.float32).reshape(48, 24)
    out = torch.zeros(16, 16)
    kernel = descriptor_tile[(1,)](TensorDescriptor.from_tensor(x, [16, 16]), out, BLOCK=16)
    assert kernel.metadata.tensordesc_meta and "cp.async.bulk.tensor" in kernel.asm["ptx"]
    assert torch.equal(out, x[16:32, 0:16])
    edge = torch.full((16, 16), -1.0)
    descriptor_edge[(1,)](TensorDescriptor.from_tensor(x, [16, 16]), edge, BLOCK=16)
    expected = torch.zeros(16, 16)
    expected[:8, :8] = x[40:48, 16:24]
    assert torch.equal(edge, expected)


def main(names: list[str]) -> None:
    checks = {n: f for n, f in globals().items() if n.startswith("check_") and callable(f)}
    report: dict[str, str] = {}
    for name in names or sorted(checks):
        try:
            checks[name]()
            report[name] = "ok"
        except Exception:
            report[name] = traceback.format_exc(limit=4)[-2000:]
    print(json.dumps(report))


if __name__ == "__main__":
    main(sys.argv[3:] if sys.argv[1:2] == ["--arch"] else sys.argv[1:])
