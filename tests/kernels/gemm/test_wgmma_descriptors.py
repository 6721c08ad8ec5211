"""Ladder steps 8-10 hand wgmma the same shared-memory descriptors CuTe builds for the same tiles.

A wrong descriptor (offsets, k16 advance, swizzle mode) only shows as wrong numbers on an H100,
so wgmma_descriptors.cu checks ours against CuTe's on the host: every tile shape, stage,
consumer warpgroup, m64 sub-tile and k16 step the kernels use. Needs nvcc and the CUTLASS
headers (the ``nvidia-cutlass`` wheel), no GPU; the build is cached like the CUTLASS baselines'.
"""

from __future__ import annotations

import ctypes
import functools
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from kernbench_kernels.gemm import cuda_persistent, cuda_wgmma, cuda_ws, cutlass_common
from kernbench_kernels.gemm.cuda_ladder import COMMON_HEADER
from kernbench_kernels.gemm.cuda_wgmma_common import OPS_HEADER

from kernbench.backends import nvcc_lib

SOURCE = Path(__file__).with_name("wgmma_descriptors.cu")
KERNELS = Path(cuda_wgmma.__file__).parent
SUMMARY = re.compile(r"checked (\d+) descriptors, (\d+) mismatches")
COVERED = re.compile(r"covered BM=(\d+) BN=(\d+) consumers=(\d+) stages=(\d+)")

pytestmark = [
    pytest.mark.skipif(cutlass_common.probe() is not None, reason=str(cutlass_common.probe())),
    pytest.mark.slow,
    pytest.mark.xdist_group("wgmma_descriptors"),  # one worker builds each dtype's check once
]


@functools.cache
def report(dtype: str) -> str:
    """Build the check (cached on disk by source, headers and CUTLASS version) and run it."""
    dirs = cutlass_common.include_dirs() or ()
    spec = nvcc_lib.LibSpec(
        source=SOURCE,
        arch="sm_90a",
        defines={"KB_BF16": "1" if dtype == "bf16" else "0"},
        include_dirs=(KERNELS, *dirs),
        depends=(KERNELS / OPS_HEADER, KERNELS / COMMON_HEADER),
        salt=f"cutlass {cutlass_common.version()}",
        label=f"wgmma descriptor check ({dtype})",
    )
    check = nvcc_lib.load(nvcc_lib.build(spec, quiet=True).path).kb_check_wgmma_descriptors
    check.restype = ctypes.c_long
    check.argtypes = [ctypes.c_char_p, ctypes.c_long]
    out = ctypes.create_string_buffer(1 << 20)
    check(out, len(out))
    return out.value.decode()


def geometries() -> Iterator[tuple[int, int, int, int]]:
    """(BM, BN, consumer warpgroups, STAGES) of every valid config of steps 8-10."""
    for c in cuda_wgmma.SPACE:
        yield int(c["BM"]), int(c["BN"]), 1, 1
    for module in (cuda_ws, cuda_persistent):
        for c in module.SPACE:
            yield int(c["BM"]), int(c["BN"]), 2, int(c["STAGES"])


@pytest.mark.parametrize("dtype", ["bf16", "fp16"])
def test_descriptors_match_cute(dtype: str) -> None:
    text = report(dtype)
    summary = SUMMARY.search(text)
    assert summary, text[-2000:]
    checked, mismatches = int(summary.group(1)), int(summary.group(2))
    assert checked > 0
    wrong = [line for line in text.splitlines() if line.startswith("MISMATCH")]
    assert mismatches == 0, "\n".join(wrong[:20])


@pytest.mark.parametrize("dtype", ["bf16", "fp16"])
def test_every_tile_shape_of_the_spaces_is_checked(dtype: str) -> None:
    """A new tile shape or deeper ring in a space must be added to the check."""
    covered: dict[tuple[int, int, int], int] = {}
    for bm, bn, consumers, stages in COVERED.findall(report(dtype)):
        covered[int(bm), int(bn), int(consumers)] = int(stages)
    for bm, bn, consumers, stages in geometries():
        key = (bm, bn, consumers)
        assert key in covered, f"BM={bm} BN={bn} consumers={consumers} is not checked"
        assert covered[key] >= stages, f"{key}: STAGES={stages} > {covered[key]} checked"
