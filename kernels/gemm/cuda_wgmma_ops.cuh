// wgmma.mma_async wrappers for the Hopper steps of the CUDA GEMM ladder (steps 8-10), one per
// tile width N; each thread of the warpgroup holds N/2 fp32 accumulators in d (the m64nNk16
// accumulator layout: warp w owns rows 16w..16w+15, d[j] is row l/4 + 8*((j/2)%2), column
// 8*(j/4) + 2*(l%4) + j%2 for lane l). D is always accumulated into (scale-d = 1): callers
// zero the accumulators first. Inline asm takes no operand packs, so each width spells out
// its register list; the operands themselves come from KB_ACC32.
#pragma once

#include "cuda_common.cuh"

typedef unsigned long long u64;

// A CUtensorMap passed by value (const __grid_constant__): 128 opaque bytes the driver
// encoded on the host (kernbench.backends.cuda_tensormap). Declared here so the kernels need
// no driver header.
struct __align__(64) TmaDesc {
    unsigned char bytes[128];
};

// --- mbarriers --------------------------------------------------------------------------------

__device__ __forceinline__ void mbar_init(u64* bar, unsigned arrivals) {
    asm volatile("mbarrier.init.shared::cta.b64 [%0], %1;\n" ::"r"(smem_addr(bar)), "r"(arrivals)
                 : "memory");
}

// Make barrier initialisation visible to the async proxy (TMA) and to the cluster.
__device__ __forceinline__ void fence_barrier_init() {
    asm volatile("fence.mbarrier_init.release.cluster;\n" ::: "memory");
}

// One arrival that also announces `bytes` of TMA traffic the phase must wait for.
__device__ __forceinline__ void mbar_expect_tx(u64* bar, unsigned bytes) {
    asm volatile("mbarrier.arrive.expect_tx.shared::cta.b64 _, [%0], %1;\n" ::"r"(smem_addr(bar)),
                 "r"(bytes)
                 : "memory");
}

__device__ __forceinline__ void mbar_arrive(u64* bar) {
    asm volatile("mbarrier.arrive.shared::cta.b64 _, [%0];\n" ::"r"(smem_addr(bar)) : "memory");
}

// Arrive on the barrier at the same shared-memory offset in CTA `rank` of this cluster. The
// default (release, CTA scope) form, as CUTLASS's cluster barriers use it: the stage's reads
// are complete after wgmma.wait_group, and a cluster-scope release would add a GPU-wide
// MEMBAR before every arrival.
__device__ __forceinline__ void mbar_arrive_cluster(u64* bar, unsigned rank) {
    asm volatile(
        "{\n"
        ".reg .b32 remote;\n"
        "mapa.shared::cluster.u32 remote, %0, %1;\n"
        "mbarrier.arrive.shared::cluster.b64 _, [remote];\n"
        "}\n" ::"r"(smem_addr(bar)),
        "r"(rank)
        : "memory");
}

__device__ __forceinline__ bool mbar_try_wait(unsigned addr, unsigned parity) {
    unsigned done;
    asm volatile(
        "{\n"
        ".reg .pred ready;\n"
        "mbarrier.try_wait.parity.shared::cta.b64 ready, [%1], %2;\n"
        "selp.u32 %0, 1, 0, ready;\n"
        "}\n"
        : "=r"(done)
        : "r"(addr), "r"(parity)
        : "memory");
    return done != 0;
}

// Wait until the phase with this parity has completed (phases alternate 0, 1, 0, ...).
__device__ __forceinline__ void mbar_wait(u64* bar, unsigned parity) {
    const unsigned addr = smem_addr(bar);
    while (!mbar_try_wait(addr, parity)) {
    }
}

// --- TMA --------------------------------------------------------------------------------------

// Copy the box at (x = inner/column, y = row) of a 2-D tensor map into shared memory; the
// barrier's transaction count drops by the box's bytes when it lands.
__device__ __forceinline__ void tma_load(void* dst, const TmaDesc* map, int x, int y, u64* bar) {
    asm volatile(
        "cp.async.bulk.tensor.2d.shared::cluster.global.tile.mbarrier::complete_tx::bytes"
        " [%0], [%1, {%2, %3}], [%4];\n" ::"r"(smem_addr(dst)),
        "l"(map), "r"(x), "r"(y), "r"(smem_addr(bar))
        : "memory");
}

// The same box written to the same offset in every CTA of `mask` (bit r = cluster rank r),
// signalling each destination's barrier at `bar`'s offset.
__device__ __forceinline__ void tma_load_multicast(void* dst, const TmaDesc* map, int x, int y,
                                                   u64* bar, unsigned short mask) {
    asm volatile(
        "cp.async.bulk.tensor.2d.shared::cluster.global.tile.mbarrier::complete_tx::bytes"
        ".multicast::cluster [%0], [%1, {%2, %3}], [%4], %5;\n" ::"r"(smem_addr(dst)),
        "l"(map), "r"(x), "r"(y), "r"(smem_addr(bar)), "h"(mask)
        : "memory");
}

// Shared -> global through a tensor map; the box is clipped at the matrix edges.
__device__ __forceinline__ void tma_store(const TmaDesc* map, const void* src, int x, int y) {
    asm volatile(
        "cp.async.bulk.tensor.2d.global.shared::cta.tile.bulk_group [%0, {%1, %2}], [%3];\n" ::"l"(map),
        "r"(x), "r"(y), "r"(smem_addr(src))
        : "memory");
}

__device__ __forceinline__ void tma_store_commit() {
    asm volatile("cp.async.bulk.commit_group;\n" ::: "memory");
}

// Wait until the shared memory of all committed stores has been read (it may be reused).
__device__ __forceinline__ void tma_store_wait_read() {
    asm volatile("cp.async.bulk.wait_group.read 0;\n" ::: "memory");
}

// Wait until all committed stores have completed (before the kernel exits).
__device__ __forceinline__ void tma_store_wait_all() {
    asm volatile("cp.async.bulk.wait_group 0;\n" ::: "memory");
}

// --- clusters ---------------------------------------------------------------------------------

__device__ __forceinline__ unsigned cluster_rank() {
    unsigned rank;
    asm volatile("mov.u32 %0, %%cluster_ctarank;\n" : "=r"(rank));
    return rank;
}

// Every thread of every CTA in the cluster (a plain __syncthreads without clusters).
__device__ __forceinline__ void cluster_sync() {
    asm volatile("barrier.cluster.arrive.release.aligned;\nbarrier.cluster.wait.acquire.aligned;\n" ::
                     : "memory");
}

// Order this thread's generic-proxy shared-memory writes before later async-proxy reads (TMA).
__device__ __forceinline__ void fence_proxy_async() {
    asm volatile("fence.proxy.async.shared::cta;\n" ::: "memory");
}

// --- wgmma ------------------------------------------------------------------------------------

// A shared-memory matrix descriptor with the 128-byte swizzle TMA writes: 14 bits of address,
// leading and stride byte offsets (16-byte units), base offset 0 (tiles start 1024-aligned) and
// the swizzle mode in bits 62-63. A function of the integer shared address, and host-callable,
// so that tests/kernels/gemm/test_wgmma_descriptors.py checks it against CuTe without a GPU.
__host__ __device__ __forceinline__ u64 wgmma_desc_at(unsigned smem_address,
                                                      unsigned leading_bytes,
                                                      unsigned stride_bytes) {
    const u64 addr = smem_address;
    return ((addr & 0x3FFFF) >> 4) | ((u64)((leading_bytes >> 4) & 0x3FFF) << 16) |
           ((u64)((stride_bytes >> 4) & 0x3FFF) << 32) | (1ull << 62);
}

__device__ __forceinline__ void wgmma_fence() {
    asm volatile("wgmma.fence.sync.aligned;\n" ::: "memory");
}

__device__ __forceinline__ void wgmma_commit() {
    asm volatile("wgmma.commit_group.sync.aligned;\n" ::: "memory");
}

template <int PENDING>
__device__ __forceinline__ void wgmma_wait() {
    asm volatile("wgmma.wait_group.sync.aligned %0;\n" ::"n"(PENDING) : "memory");
}

// Registers per thread after the warp-specialised split (the block's total must fit 64K).
template <int REGS>
__device__ __forceinline__ void regs_release() {
    asm volatile("setmaxnreg.dec.sync.aligned.u32 %0;\n" ::"n"(REGS));
}

template <int REGS>
__device__ __forceinline__ void regs_claim() {
    asm volatile("setmaxnreg.inc.sync.aligned.u32 %0;\n" ::"n"(REGS));
}

// A barrier among `threads` threads of the block (ids 1..15; 0 is __syncthreads).
__device__ __forceinline__ void named_barrier(int id, int threads) {
    asm volatile("bar.sync %0, %1;\n" ::"r"(id), "r"(threads) : "memory");
}

// The accumulator operands "+f"(d[i]) of a wgmma, 8 and 32 at a time (d[i] is register %i).
#define KB_ACC8(i)                                                                          \
    "+f"(d[(i) + 0]), "+f"(d[(i) + 1]), "+f"(d[(i) + 2]), "+f"(d[(i) + 3]), "+f"(d[(i) + 4]), \
        "+f"(d[(i) + 5]), "+f"(d[(i) + 6]), "+f"(d[(i) + 7])
#define KB_ACC32(i) KB_ACC8(i), KB_ACC8((i) + 8), KB_ACC8((i) + 16), KB_ACC8((i) + 24)

// D[64 x 64] += A[64 x 16] (K-major) * B[16 x 64] (TRANS_B: 0 K-major, 1 N-major), fp32 D.
template <int TRANS_B>
__device__ __forceinline__ void wgmma_n64(float (&d)[32], unsigned long long desc_a,
                                          unsigned long long desc_b) {
    asm volatile(
        "{\n"
        "wgmma.mma_async.sync.aligned.m64n64k16.f32." KB_MMA_TYPE "." KB_MMA_TYPE " "
        "{%0, %1, %2, %3, %4, %5, %6, %7, %8, %9, %10, %11, %12, %13, %14, %15, %16, %17, %18, %19, %20, %21, %22, %23, %24, %25, %26, %27, %28, %29, %30, %31}, "
        "%32, %33, 1, 1, 1, 0, %34;\n"
        "}\n"
        : KB_ACC32(0)
        : "l"(desc_a), "l"(desc_b), "n"(TRANS_B));
}

// D[64 x 128] += A[64 x 16] (K-major) * B[16 x 128] (TRANS_B: 0 K-major, 1 N-major), fp32 D.
template <int TRANS_B>
__device__ __forceinline__ void wgmma_n128(float (&d)[64], unsigned long long desc_a,
                                          unsigned long long desc_b) {
    asm volatile(
        "{\n"
        "wgmma.mma_async.sync.aligned.m64n128k16.f32." KB_MMA_TYPE "." KB_MMA_TYPE " "
        "{%0, %1, %2, %3, %4, %5, %6, %7, %8, %9, %10, %11, %12, %13, %14, %15, %16, %17, %18, %19, %20, %21, %22, %23, %24, %25, %26, %27, %28, %29, %30, %31, %32, %33, %34, %35, %36, %37, %38, %39, %40, %41, %42, %43, %44, %45, %46, %47, %48, %49, %50, %51, %52, %53, %54, %55, %56, %57, %58, %59, %60, %61, %62, %63}, "
        "%64, %65, 1, 1, 1, 0, %66;\n"
        "}\n"
        : KB_ACC32(0), KB_ACC32(32)
        : "l"(desc_a), "l"(desc_b), "n"(TRANS_B));
}

// D[64 x 256] += A[64 x 16] (K-major) * B[16 x 256] (TRANS_B: 0 K-major, 1 N-major), fp32 D.
template <int TRANS_B>
__device__ __forceinline__ void wgmma_n256(float (&d)[128], unsigned long long desc_a,
                                          unsigned long long desc_b) {
    asm volatile(
        "{\n"
        "wgmma.mma_async.sync.aligned.m64n256k16.f32." KB_MMA_TYPE "." KB_MMA_TYPE " "
        "{%0, %1, %2, %3, %4, %5, %6, %7, %8, %9, %10, %11, %12, %13, %14, %15, %16, %17, %18, %19, %20, %21, %22, %23, %24, %25, %26, %27, %28, %29, %30, %31, %32, %33, %34, %35, %36, %37, %38, %39, %40, %41, %42, %43, %44, %45, %46, %47, %48, %49, %50, %51, %52, %53, %54, %55, %56, %57, %58, %59, %60, %61, %62, %63, %64, %65, %66, %67, %68, %69, %70, %71, %72, %73, %74, %75, %76, %77, %78, %79, %80, %81, %82, %83, %84, %85, %86, %87, %88, %89, %90, %91, %92, %93, %94, %95, %96, %97, %98, %99, %100, %101, %102, %103, %104, %105, %106, %107, %108, %109, %110, %111, %112, %113, %114, %115, %116, %117, %118, %119, %120, %121, %122, %123, %124, %125, %126, %127}, "
        "%128, %129, 1, 1, 1, 0, %130;\n"
        "}\n"
        : KB_ACC32(0), KB_ACC32(32), KB_ACC32(64), KB_ACC32(96)
        : "l"(desc_a), "l"(desc_b), "n"(TRANS_B));
}

// One k16 step of a 64 x BN warpgroup tile with B stored N-major (row-major K x N in global):
// the accumulator array's length (BN / 2) picks the instruction.
__device__ __forceinline__ void wgmma_bn(float (&d)[32], u64 desc_a, u64 desc_b) {
    wgmma_n64<1>(d, desc_a, desc_b);
}
__device__ __forceinline__ void wgmma_bn(float (&d)[64], u64 desc_a, u64 desc_b) {
    wgmma_n128<1>(d, desc_a, desc_b);
}
__device__ __forceinline__ void wgmma_bn(float (&d)[128], u64 desc_a, u64 desc_b) {
    wgmma_n256<1>(d, desc_a, desc_b);
}

// --- tiles in shared memory (128-byte swizzle, as TMA writes them) ---------------------------
//
// An A tile of R rows x 64 k (K-major) is one TMA box: row r at byte 128 r. A B tile of
// 64 k x BN is BN/64 boxes of [64 k][64 n] (N-major), box j at byte 8192 j. So for k16 step
// s: A rows 64i.. start at 8192 i + 32 s bytes (stride between 8-row groups 1024 B), and B
// starts at 2048 s with 64-column groups 8192 B apart and 8-k-row groups 1024 B apart.
#define KB_TILE_K 64
#define KB_BOX_BYTES (64 * KB_TILE_K * 2)

// A is K-major: LBO is unused by the hardware for swizzled K-major layouts (16 is the value
// it assumes), SBO = 1024 B between 8-row groups. B is N-major: LBO = 8192 B between 64-column
// boxes, SBO = 1024 B between 8-k-row groups. `*_at` take the tile's shared address (host and
// device); `*_tile` are the kernels' pointer wrappers.
__host__ __device__ __forceinline__ u64 desc_a_at(unsigned a_tile, int m64, int k16) {
    return wgmma_desc_at(a_tile + (m64 * 64 * KB_TILE_K + 16 * k16) * (unsigned)sizeof(elem_t),
                         16, 1024);
}

__host__ __device__ __forceinline__ u64 desc_b_at(unsigned b_tile, int k16) {
    return wgmma_desc_at(b_tile + 16 * k16 * 64 * (unsigned)sizeof(elem_t), KB_BOX_BYTES, 1024);
}

__device__ __forceinline__ u64 desc_a_tile(const elem_t* a_tile, int m64, int k16) {
    return desc_a_at(smem_addr(a_tile), m64, k16);
}

__device__ __forceinline__ u64 desc_b_tile(const elem_t* b_tile, int k16) {
    return desc_b_at(smem_addr(b_tile), k16);
}

// Issue the TMA loads of k-tile `kt`: A rows m0.. (one box of a_rows) and WIDTH/64 B boxes.
template <int WIDTH>
__device__ __forceinline__ void load_ab(elem_t* a_tile, elem_t* b_tile, const TmaDesc* map_a,
                                        const TmaDesc* map_b, int m0, int n0, int kt, u64* bar) {
    tma_load(a_tile, map_a, kt * KB_TILE_K, m0, bar);
#pragma unroll
    for (int j = 0; j < WIDTH / 64; ++j) {
        tma_load(b_tile + j * 64 * KB_TILE_K, map_b, n0 + 64 * j, kt * KB_TILE_K, bar);
    }
}

// Issue one 64-deep k-tile of a warpgroup's TILES x (64 x BN) accumulator tiles, straight from
// the shared A tile (TILES x 64 rows) and B tile: 4 k16 steps of TILES wgmmas, committed as one
// group and not waited for. wgmmas accumulating into the same registers run in order, so the
// next k-tile may be issued while this group is in flight; its tiles may be refilled only after
// a wgmma_wait has retired the group.
template <int TILES, int ACC>
__device__ __forceinline__ void wgmma_k_tile_async(float (&d)[TILES][ACC], const elem_t* a_tile,
                                                   const elem_t* b_tile) {
    wgmma_fence();
#pragma unroll
    for (int k = 0; k < KB_TILE_K / 16; ++k)
#pragma unroll
        for (int i = 0; i < TILES; ++i)
            wgmma_bn(d[i], desc_a_tile(a_tile, i, k), desc_b_tile(b_tile, k));
    wgmma_commit();
}

// One k-tile, waited for: the tiles may be refilled afterwards (step 8's single buffer).
template <int TILES, int ACC>
__device__ __forceinline__ void wgmma_k_tile(float (&d)[TILES][ACC], const elem_t* a_tile,
                                             const elem_t* b_tile) {
    wgmma_k_tile_async(d, a_tile, b_tile);
    wgmma_wait<0>();
}

// Round the dynamic shared memory base up to 1024 bytes: the 128-byte swizzle repeats every
// 1024 bytes and TMA and wgmma both apply it to absolute addresses.
__device__ __forceinline__ unsigned char* align_1024(unsigned char* p) {
    return p + ((1024 - (smem_addr(p) & 1023)) & 1023);
}

// Write one warpgroup's 64 x WIDTH accumulators (rows row0.., columns col0..) to global memory as
// alpha * acc + beta * C, two neighbouring columns per 32-bit store (N is a multiple of 8).
template <int WIDTH>
__device__ __forceinline__ void store_wg_tile(elem_t* out, const elem_t* c, int M, int N,
                                              int row0, int col0, const float (&d)[WIDTH / 2],
                                              float alpha, float beta) {
    const int t = threadIdx.x % 128;
    const int row = row0 + 16 * (t / 32) + (t % 32) / 4;
#pragma unroll
    for (int j = 0; j < WIDTH / 8; ++j) {
        const int col = col0 + 8 * j + 2 * (t % 4);
        if (col >= N) continue;
#pragma unroll
        for (int h = 0; h < 2; ++h) {
            const int r = row + 8 * h;
            if (r >= M) continue;
            const index_t at = (index_t)r * N + col;
            const elem_t lo = from_f32(epilogue_value(d[4 * j + 2 * h], c, at, alpha, beta));
            const elem_t hi = from_f32(epilogue_value(d[4 * j + 2 * h + 1], c, at + 1, alpha, beta));
            *reinterpret_cast<unsigned*>(out + at) = pack2(lo, hi);
        }
    }
}
