"""The CUDA C++ backend: compile, cache, resources, SASS and argument packing (no GPU needed),
plus launches, clusters and tensor maps on a GPU."""

from __future__ import annotations

import ctypes
import os
import shutil
import struct

import pytest
import torch

from kernbench.backends import cuda, cuda_compile
from kernbench.backends.cuda_compile import CompilationError, CudaUnavailable, Nvcc, Nvrtc
from kernbench.backends.cuda_launch import pack
from kernbench.backends.cuda_tensormap import TensorMap, check_box
from kernbench.device import cpu_device

KERNEL = r"""
#include <cuda_fp16.h>
#include "helper.cuh"
extern "C" __global__ void scale(const __half* x, float* y, int n, float s, long long off) {
    __shared__ float tile[TILE];
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    tile[threadIdx.x % TILE] = i < n ? __half2float(x[i]) : 0.0f;
    __syncthreads();
    if (i < n) y[i] = tile[threadIdx.x % TILE] * s * HELPER_FACTOR + (float)off;
}
"""


def _compilers() -> list[object]:
    found: list[object] = []
    for kind in (Nvrtc, Nvcc):
        try:
            found.append(kind())
        except CudaUnavailable as exc:
            found.append(pytest.param(None, marks=pytest.mark.skip(reason=str(exc))))
    return found


@pytest.fixture(autouse=True)
def cache_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("KERNBENCH_CUDA_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache"


@pytest.fixture
def source(tmp_path):
    (tmp_path / "helper.cuh").write_text("#define HELPER_FACTOR 2.0f\n")
    path = tmp_path / "scale.cu"
    path.write_text(KERNEL)
    return path


class Counting(cuda_compile.Compiler):
    """Wraps a compiler and counts real compilations, to see the cache work."""

    def __init__(self, inner: cuda_compile.Compiler) -> None:
        self.inner, self.calls, self.name = inner, 0, inner.name

    @property
    def version(self) -> str:
        return self.inner.version

    @property
    def include_dirs(self):
        return self.inner.include_dirs

    def compile(self, source, filename, arch, options):
        self.calls += 1
        return self.inner.compile(source, filename, arch, options)

    def ptx(self, source, filename, arch, options):
        self.calls += 1
        return self.inner.ptx(source, filename, arch, options)


@pytest.mark.parametrize("compiler", _compilers(), ids=["nvrtc", "nvcc"])
def test_compiles_with_macros_and_reports_resources(source, compiler):
    binary = cuda.compile_cuda(source, "sm_80", {"TILE": 64}, compiler=compiler)
    assert binary.image[:4] == b"\x7fELF"
    assert binary.compiler == compiler.version and binary.arch == "sm_80"
    info = binary.info("scale")
    assert info.static_shared == 64 * 4  # the macro reached the source
    assert info.registers > 0 and info.spill_stores == 0
    res = binary.resources("scale", threads=128, dynamic_shared=1000)
    assert (res.shared_bytes, res.threads, res.spill_bytes) == (256 + 1000, 128, 0)
    assert "FMUL" in binary.sass() or "FFMA" in binary.sass()


def test_cache_key_covers_source_headers_macros_arch(source):
    compiler = Counting(cuda_compile.default_compiler())
    first = cuda.compile_cuda(source, "sm_80", {"TILE": 32}, compiler=compiler)
    again = cuda.compile_cuda(source, "sm_80", {"TILE": 32}, compiler=compiler)
    assert (again.path, again.log, compiler.calls) == (first.path, first.log, 1)
    keys = {first.key}
    keys.add(cuda.compile_cuda(source, "sm_80", {"TILE": 64}, compiler=compiler).key)
    keys.add(cuda.compile_cuda(source, "sm_90", {"TILE": 32}, compiler=compiler).key)
    (source.parent / "helper.cuh").write_text("#define HELPER_FACTOR 3.0f\n")
    keys.add(cuda.compile_cuda(source, "sm_80", {"TILE": 32}, compiler=compiler).key)
    assert len(keys) == 4 and compiler.calls == 4


def test_compile_error_carries_the_log(tmp_path):
    bad = tmp_path / "bad.cu"
    bad.write_text('extern "C" __global__ void k() { undeclared_thing(); }\n')
    with pytest.raises(CompilationError, match="undeclared_thing"):
        cuda.compile_cuda(bad, "sm_80")


def test_arch_specific_target_sm90a(tmp_path):
    src = tmp_path / "wg.cu"
    src.write_text(
        'extern "C" __global__ void k() { asm volatile("wgmma.fence.sync.aligned;"); }\n'
    )
    assert cuda.compile_cuda(src, "sm_90a").image[:4] == b"\x7fELF"
    with pytest.raises(CompilationError):
        cuda.compile_cuda(src, "sm_90")  # wgmma exists only on the arch-specific target
    with pytest.raises(ValueError, match="bad CUDA architecture"):
        cuda.compile_cuda(src, "hopper")


def test_parse_ptxas_reads_spills_and_stack():
    log = """ptxas info    : Compiling entry function 'k' for 'sm_90'
ptxas info    : Function properties for k
    24 bytes stack frame, 16 bytes spill stores, 12 bytes spill loads
ptxas info    : Used 255 registers, used 1 barriers, 2048 bytes smem, 400 bytes cmem[0]
ptxas info    : Compiling entry function 'j' for 'sm_90'
ptxas info    : Used 10 registers, 400 bytes cmem[0]"""
    found = cuda.parse_ptxas(log)
    assert found["k"] == cuda.PtxasInfo(255, 2048, 24, 16, 12)
    assert found["j"].registers == 10 and found["j"].static_shared == 0


def test_kernel_build_drives_a_static_check(source):
    from kernbench.staticcheck import Target

    plan = lambda problem, config, dtype: cuda.KernelBuild(  # noqa: E731
        source, "scale", threads=256, defines={"TILE": config["TILE"]}, dynamic_shared=4096
    )
    [res] = cuda.static_check(plan)(None, {"TILE": 16}, "fp16", Target(arch="sm_80"))
    assert res.kernel == "scale" and res.shared_bytes == 16 * 4 + 4096 and res.threads == 256


def test_compiler_choice_and_missing_headers(monkeypatch):
    cuda_compile.default_compiler.cache_clear()
    monkeypatch.setenv("KERNBENCH_CUDA_COMPILER", "clang")
    with pytest.raises(CudaUnavailable, match="use nvrtc, nvcc or auto"):
        cuda_compile.default_compiler()
    cuda_compile.default_compiler.cache_clear()
    monkeypatch.setattr(cuda_compile, "cuda_header_dir", lambda: None)
    with pytest.raises(CudaUnavailable, match=r"cuda_fp16\.h"):
        Nvrtc()
    cuda_compile.default_compiler.cache_clear()


@pytest.mark.parametrize("compiler", _compilers(), ids=["nvrtc", "nvcc"])
def test_ptx_for_the_emulator_carries_line_information_and_is_cached(source, compiler):
    counting = Counting(compiler)
    ptx = cuda.compile_ptx(source, "sm_80", {"TILE": 64}, compiler=counting)
    assert ".entry scale(" in ptx and ".target sm_80" in ptx
    assert ".loc" in ptx and "scale.cu" in ptx  # findings name the CUDA line
    assert cuda.compile_ptx(source, "sm_80", {"TILE": 64}, compiler=counting) == ptx
    assert counting.calls == 1
    assert ".target sm_90a" in cuda.compile_ptx(source, "sm_90a", {"TILE": 64}, compiler=counting)


def test_cuda_variants_say_why_they_cannot_run_on_the_cpu():
    req = cuda.requirements((8, 0))
    assert req.devices == frozenset({"cuda", "emu"}) and req.min_compute_capability == (8, 0)
    assert cuda.probe() is None  # compiler and cuda-bindings are installed here

    from kernbench.registry import Registry

    v = Registry.discover().variant("cuda_naive")
    assert v.unavailable(cpu_device()) == "cuda_naive does not run on the cpu device"


def test_pack_lays_out_pointers_ints_floats_and_tensor_maps():
    t = torch.zeros(4)
    tmap = TensorMap(bytes(range(128)))
    packed = pack([t, 7, 2.5, ctypes.c_int64(2**40), None, tmap, True])
    slots = (ctypes.c_void_p * 7).from_address(packed.address)
    read = lambda i, n: ctypes.string_at(slots[i], n)  # noqa: E731
    assert struct.unpack("<Q", read(0, 8))[0] == t.data_ptr()
    assert struct.unpack("<i", read(1, 4))[0] == 7
    assert struct.unpack("<f", read(2, 4))[0] == 2.5
    assert struct.unpack("<q", read(3, 8))[0] == 2**40
    assert struct.unpack("<Q", read(4, 8))[0] == 0
    assert read(5, 128) == bytes(range(128)) and slots[5] % 64 == 0
    assert read(6, 1) == b"\x01"
    with pytest.raises(OverflowError, match="c_int64"):
        pack([2**40])
    with pytest.raises(TypeError):
        pack(["text"])


def test_tensor_map_box_rules_are_checked_before_the_driver():
    a = torch.zeros(256, 256, dtype=torch.float16)
    check_box(a, 128, 64, "128B")  # 64 halves = 128 B: exactly one swizzle span
    with pytest.raises(ValueError, match="exceeds the 128B swizzle"):
        check_box(a, 128, 128, "128B")
    with pytest.raises(ValueError, match=r"1\.\.256"):
        check_box(a, 512, 64, "none")
    with pytest.raises(ValueError, match="row pitch"):
        check_box(torch.zeros(16, 9, dtype=torch.float16)[:, :8], 8, 8, "none")
    with pytest.raises(ValueError, match="row-major"):
        check_box(a.t(), 8, 8, "none")


def test_tensor_map_is_encoded_into_64_byte_aligned_memory(monkeypatch):
    from kernbench.backends import cuda_tensormap
    from kernbench.backends.cuda_driver import CudaError

    seen: list[tuple] = []

    def fake_encode(address, dtype, rank, base, dims, strides, box, elem_strides, *modes):
        seen.append((address, rank, base, list(dims), strides[0], list(box)))
        ctypes.memmove(address, bytes(range(128)), 128)  # what the driver writes
        return 0

    monkeypatch.setattr(cuda_tensormap, "encode_function", lambda: fake_encode)
    a = torch.zeros(300, 256, dtype=torch.bfloat16)
    for _ in range(8):  # every map, wherever its buffer falls
        tmap = cuda_tensormap.encode_tiled_2d(a, 128, 64)
        address, rank, base, dims, pitch, box = seen[-1]
        assert address % 64 == 0 and address == tmap.address
        assert (rank, base, dims, pitch, box) == (2, a.data_ptr(), [256, 300], 512, [64, 128])
        assert tmap.raw == bytes(range(128))
    monkeypatch.setattr(cuda_tensormap, "encode_function", lambda: lambda *args: 1)
    with pytest.raises(CudaError, match="cuTensorMapEncodeTiled failed: CUDA_ERROR_INVALID_VALUE"):
        cuda_tensormap.encode_tiled_2d(a, 128, 64)


def test_launching_and_tensor_maps_import_one_way():
    import ast
    import inspect

    from kernbench.backends import cuda_tensormap

    tree = ast.parse(inspect.getsource(cuda_tensormap))
    imported = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    assert "cuda_launch" not in imported and "cuda_driver" in imported


def test_sass_needs_a_disassembler(source, monkeypatch):
    binary = cuda.compile_cuda(source, "sm_80", {"TILE": 32})
    monkeypatch.setattr(cuda, "find_tool", lambda name: None)
    with pytest.raises(CudaUnavailable, match="cuobjdump"):
        binary.sass()


def test_cache_writes_are_whole_files(source, cache_dir):
    binary = cuda.compile_cuda(source, "sm_80", {"TILE": 32})
    leftovers = [p for p in os.listdir(cache_dir) if not p.endswith((".cubin", ".json"))]
    assert binary.path.parent == cache_dir and leftovers == []
    shutil.rmtree(cache_dir)
    assert cuda.compile_cuda(source, "sm_80", {"TILE": 32}).path.is_file()


# --- on a GPU ---------------------------------------------------------------------------

ARGS_KERNEL = r"""
struct Map { alignas(64) unsigned char bytes[128]; };
extern "C" __global__ void args(float* out, const float* x, int n, float s, long long big,
                                const __grid_constant__ Map map) {
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i < n) out[i] = x[i] * s + (float)(big >> 32) + (float)map.bytes[i % 128];
}
"""


@pytest.mark.gpu
def test_launch_passes_every_argument_kind(tmp_path):
    from kernbench.backends.cuda_launch import Kernel, device_arch

    src = tmp_path / "args.cu"
    src.write_text(ARGS_KERNEL)
    kernel = Kernel(cuda.compile_cuda(src, device_arch()), "args")
    x = torch.randn(1000, device="cuda")
    out = torch.full_like(x, float("nan"))
    raw = bytes(i % 7 for i in range(128))
    kernel.launcher(4, 256, [out, x, 1000, 0.5, ctypes.c_int64(3 << 32), TensorMap(raw)])()
    torch.cuda.synchronize()
    expected = (
        x * 0.5
        + 3
        + torch.tensor([raw[i % 128] for i in range(1000)], device="cuda", dtype=torch.float32)
    )
    torch.testing.assert_close(out, expected)


@pytest.mark.gpu
def test_large_dynamic_shared_memory_and_clusters(tmp_path):
    from kernbench.backends.cuda_launch import Kernel, device_arch

    if torch.cuda.get_device_capability() < (9, 0):
        pytest.skip("clusters need sm_90")
    src = tmp_path / "cl.cu"
    src.write_text(r"""
extern "C" __global__ void cl(int* out) {
    extern __shared__ int buf[];
    buf[threadIdx.x] = threadIdx.x;
    unsigned rank;
    asm volatile("mov.u32 %0, %%cluster_ctarank;" : "=r"(rank));
    __syncthreads();
    if (threadIdx.x == 0) out[blockIdx.x] = (int)rank + buf[0];
}
""")
    kernel = Kernel(cuda.compile_cuda(src, device_arch()), "cl", dynamic_shared=100 * 1024)
    out = torch.full((8,), -1, dtype=torch.int32, device="cuda")
    kernel.launcher(8, 128, [out], cluster=2)()
    torch.cuda.synchronize()
    assert out.tolist() == [0, 1] * 4


@pytest.mark.gpu
def test_tensor_map_encodes_on_hopper():
    from kernbench.backends.cuda_tensormap import encode_tiled_2d

    if torch.cuda.get_device_capability() < (9, 0):
        pytest.skip("tensor maps need sm_90")
    a = torch.randn(512, 256, device="cuda", dtype=torch.bfloat16)
    tmap = encode_tiled_2d(a, 128, 64)
    assert len(tmap.raw) == 128 and any(tmap.raw) and tmap.address % 64 == 0
