// A warp-specialised TMA + wgmma pipeline, D[64 x 64] = A[64 x K] B[64 x K]^T (bf16, both
// K-major, K = 64 * KT), with Hopper bugs to plant one at a time:
//   WRONG_PARITY   the producer waits for the first release of a stage that was never used
//                  (parity 0 instead of 1): a deadlock
//   WRONG_TX       expect_tx announces 1 KB less than the two boxes bring: the phase never
//                  completes
//   DESC_SWIZZLE   the wgmma descriptors say 64B swizzle, the tensor maps wrote 128B: wrong
//                  numbers, no sanitizer sees it
//   EARLY_RELEASE  the consumer frees a stage before wgmma.wait_group retired its reads
#include <cuda_bf16.h>

typedef unsigned long long u64;

struct __align__(64) TmaMap {
    unsigned char bytes[128];
};

#define STAGES 2
#define TILE (64 * 64)  // elements of one 64 x 64 box
#define BYTES (2 * TILE * 2)
#ifdef WRONG_TX
#define EXPECT (BYTES - 1024)
#else
#define EXPECT BYTES
#endif
#ifndef DESC_SWIZZLE
#define DESC_SWIZZLE 128
#endif

__device__ __forceinline__ unsigned smem(const void* p) {
    return (unsigned)__cvta_generic_to_shared(p);
}

__device__ __forceinline__ void wait(u64* bar, unsigned parity) {
    unsigned done = 0;
    while (!done) {
        asm volatile(
            "{\n.reg .pred p;\nmbarrier.try_wait.parity.shared::cta.b64 p, [%1], %2;\n"
            "selp.u32 %0, 1, 0, p;\n}\n"
            : "=r"(done) : "r"(smem(bar)), "r"(parity) : "memory");
    }
}

__device__ __forceinline__ void arrive(u64* bar) {
    asm volatile("mbarrier.arrive.shared::cta.b64 _, [%0];" ::"r"(smem(bar)) : "memory");
}

__device__ __forceinline__ void load(void* dst, const TmaMap* map, int x, int y, u64* bar) {
    asm volatile(
        "cp.async.bulk.tensor.2d.shared::cluster.global.tile.mbarrier::complete_tx::bytes"
        " [%0], [%1, {%2, %3}], [%4];" ::"r"(smem(dst)), "l"(map), "r"(x), "r"(y), "r"(smem(bar))
        : "memory");
}

// K-major, rows of 128 bytes, 8-row groups 1024 B apart; k16 step s starts 32 s bytes in.
__device__ __forceinline__ u64 desc(const void* tile, int s) {
    const u64 mode = DESC_SWIZZLE == 128 ? 1 : DESC_SWIZZLE == 64 ? 2 : 3;
    return (((smem(tile) + 32 * s) & 0x3FFFF) >> 4) | (1ull << 16) | ((u64)(1024 >> 4) << 32) |
           (mode << 62);
}

#define A8(i) "+f"(d[i]), "+f"(d[i + 1]), "+f"(d[i + 2]), "+f"(d[i + 3]), "+f"(d[i + 4]), \
              "+f"(d[i + 5]), "+f"(d[i + 6]), "+f"(d[i + 7])

__device__ __forceinline__ void mma(float (&d)[32], u64 da, u64 db) {
    asm volatile(
        "wgmma.mma_async.sync.aligned.m64n64k16.f32.bf16.bf16 "
        "{%0, %1, %2, %3, %4, %5, %6, %7, %8, %9, %10, %11, %12, %13, %14, %15, %16, %17, %18, "
        "%19, %20, %21, %22, %23, %24, %25, %26, %27, %28, %29, %30, %31}, %32, %33, 1, 1, 1, 0, 0;"
        : A8(0), A8(8), A8(16), A8(24) : "l"(da), "l"(db));
}

extern "C" __global__ void pipeline(const __grid_constant__ TmaMap map_a,
                                    const __grid_constant__ TmaMap map_b, float* D, int kt_count) {
    extern __shared__ unsigned char raw[];
    unsigned char* base = raw + ((1024 - (smem(raw) & 1023)) & 1023);
    __nv_bfloat16* sa = reinterpret_cast<__nv_bfloat16*>(base);
    __nv_bfloat16* sb = sa + STAGES * TILE;
    u64* full = reinterpret_cast<u64*>(sb + STAGES * TILE);
    u64* empty = full + STAGES;
    if (threadIdx.x == 0) {
        for (int s = 0; s < STAGES; ++s) {
            asm volatile("mbarrier.init.shared::cta.b64 [%0], 1;" ::"r"(smem(&full[s])));
            asm volatile("mbarrier.init.shared::cta.b64 [%0], 1;" ::"r"(smem(&empty[s])));
        }
        asm volatile("fence.mbarrier_init.release.cluster;" ::: "memory");
    }
    __syncthreads();
    if (threadIdx.x < 128) {  // producer warpgroup: thread 0 issues the copies
        if (threadIdx.x == 0) {
            for (int kt = 0; kt < kt_count; ++kt) {
                const int s = kt % STAGES;
#ifdef WRONG_PARITY
                wait(&empty[s], (kt / STAGES) & 1);
#else
                wait(&empty[s], ((kt / STAGES) & 1) ^ 1);  // first use: the phase before counts
#endif
                asm volatile("mbarrier.arrive.expect_tx.shared::cta.b64 _, [%0], %1;" ::"r"(
                                 smem(&full[s])), "r"(EXPECT) : "memory");
                load(sa + s * TILE, &map_a, 64 * kt, 0, &full[s]);
                load(sb + s * TILE, &map_b, 64 * kt, 0, &full[s]);
            }
        }
        return;
    }
    float d[32];
    for (int j = 0; j < 32; ++j) d[j] = 0.0f;
    for (int kt = 0; kt < kt_count; ++kt) {
        const int s = kt % STAGES;
        wait(&full[s], (kt / STAGES) & 1);
        asm volatile("wgmma.fence.sync.aligned;" ::: "memory");
        for (int k = 0; k < 4; ++k) mma(d, desc(sa + s * TILE, k), desc(sb + s * TILE, k));
        asm volatile("wgmma.commit_group.sync.aligned;" ::: "memory");
#ifdef EARLY_RELEASE
        if (threadIdx.x == 128) arrive(&empty[s]);
        asm volatile("wgmma.wait_group.sync.aligned 0;" ::: "memory");
#else
        asm volatile("wgmma.wait_group.sync.aligned 0;" ::: "memory");
        if (threadIdx.x == 128) arrive(&empty[s]);
#endif
    }
    const int t = threadIdx.x - 128;
    for (int j = 0; j < 32; ++j) {
        const int row = 16 * (t / 32) + (t % 32) / 4 + 8 * ((j / 2) % 2);
        const int col = 8 * (j / 4) + 2 * (t % 4) + j % 2;
        D[row * 64 + col] = d[j];
    }
}
