// Small sm_90a kernels for the emulator's Hopper machine tests: TMA loads and stores through
// tensor maps, wgmma from shared-memory descriptors (each swizzle) and from registers, an
// mbarrier producer/consumer ring between warps, and a 2-CTA cluster (multicast, DSMEM,
// remote arrive). Each stores what it saw so the tests compare it with hand-derived values.
#include <cuda_bf16.h>

typedef unsigned long long u64;

struct __align__(64) TmaMap {
    unsigned char bytes[128];
};

__device__ __forceinline__ unsigned smem(const void* p) {
    return (unsigned)__cvta_generic_to_shared(p);
}

__device__ __forceinline__ void mbar_init(u64* bar, unsigned n) {
    asm volatile("mbarrier.init.shared::cta.b64 [%0], %1;" ::"r"(smem(bar)), "r"(n) : "memory");
    asm volatile("fence.mbarrier_init.release.cluster;" ::: "memory");
}

__device__ __forceinline__ void mbar_expect_tx(u64* bar, unsigned bytes) {
    asm volatile("mbarrier.arrive.expect_tx.shared::cta.b64 _, [%0], %1;" ::"r"(smem(bar)),
                 "r"(bytes) : "memory");
}

__device__ __forceinline__ void mbar_arrive(u64* bar) {
    asm volatile("mbarrier.arrive.shared::cta.b64 _, [%0];" ::"r"(smem(bar)) : "memory");
}

__device__ __forceinline__ void mbar_wait(u64* bar, unsigned parity) {
    unsigned done = 0;
    while (!done) {
        asm volatile(
            "{\n.reg .pred p;\n"
            "mbarrier.try_wait.parity.shared::cta.b64 p, [%1], %2;\n"
            "selp.u32 %0, 1, 0, p;\n}\n"
            : "=r"(done) : "r"(smem(bar)), "r"(parity) : "memory");
    }
}

__device__ __forceinline__ void mbar_spin(u64* bar, unsigned parity) {
    unsigned done = 0;
    while (!done) {
        asm volatile(
            "{\n.reg .pred p;\n"
            "mbarrier.test_wait.parity.shared::cta.b64 p, [%1], %2;\n"
            "selp.u32 %0, 1, 0, p;\n}\n"
            : "=r"(done) : "r"(smem(bar)), "r"(parity) : "memory");
    }
}

__device__ __forceinline__ void tma_load(void* dst, const TmaMap* map, int x, int y, u64* bar) {
    asm volatile(
        "cp.async.bulk.tensor.2d.shared::cluster.global.tile.mbarrier::complete_tx::bytes"
        " [%0], [%1, {%2, %3}], [%4];" ::"r"(smem(dst)), "l"(map), "r"(x), "r"(y), "r"(smem(bar))
        : "memory");
}

__device__ __forceinline__ void cluster_sync() {
    asm volatile("barrier.cluster.arrive.release.aligned;\nbarrier.cluster.wait.acquire.aligned;"
                 ::: "memory");
}

// --- TMA -------------------------------------------------------------------------------

#ifndef BOX_R
#define BOX_R 8
#endif
#ifndef BOX_C
#define BOX_C 16
#endif

__device__ void load_box(const TmaMap* map, unsigned short* out, int x, int y) {
    __shared__ __align__(1024) unsigned short tile[BOX_R * BOX_C];
    __shared__ u64 bar;
    if (threadIdx.x == 0) {
        mbar_init(&bar, 1);
        mbar_expect_tx(&bar, sizeof(tile));
        tma_load(tile, map, x, y, &bar);
    }
    __syncthreads();
    mbar_wait(&bar, 0);
    for (int i = threadIdx.x; i < BOX_R * BOX_C; i += blockDim.x) out[i] = tile[i];
}

// The map by value (a __grid_constant__ parameter) ...
extern "C" __global__ void tma_load_box(const __grid_constant__ TmaMap map, unsigned short* out,
                                        int x, int y) {
    load_box(&map, out, x, y);
}

// ... or in global memory.
extern "C" __global__ void tma_load_box_ptr(const TmaMap* map, unsigned short* out, int x,
                                            int y) {
    load_box(map, out, x, y);
}

// Shared -> global: the box holds 1, 2, 3... in shared-memory order (the swizzle applied).
extern "C" __global__ void tma_store_box(const __grid_constant__ TmaMap map, int x, int y) {
    __shared__ __align__(1024) unsigned short tile[BOX_R * BOX_C];
    for (int i = threadIdx.x; i < BOX_R * BOX_C; i += blockDim.x) tile[i] = i + 1;
#ifndef NO_FENCE  // without it the TMA store may read the box before the writes
    asm volatile("fence.proxy.async.shared::cta;" ::: "memory");
#endif
    __syncthreads();
    if (threadIdx.x == 0) {
        asm volatile(
            "cp.async.bulk.tensor.2d.global.shared::cta.tile.bulk_group [%0, {%1, %2}], [%3];"
            ::"l"(&map), "r"(x), "r"(y), "r"(smem(tile)) : "memory");
        asm volatile("cp.async.bulk.commit_group;" ::: "memory");
#ifdef REWRITE_EARLY  // a bug: the box is rewritten before the store has read it
        asm volatile("st.shared.u16 [%0], %1;" ::"r"(smem(tile)), "h"((unsigned short)0) : "memory");
#endif
        asm volatile("cp.async.bulk.wait_group.read 0;" ::: "memory");
        asm volatile("cp.async.bulk.wait_group 0;" ::: "memory");
    }
}

// --- wgmma -------------------------------------------------------------------------------
// D[64 x 32] (f32) = A[64 x 16] * B[32 x 16]^T, both K-major, bf16, one warpgroup.

#ifndef SWIZZLE
#define SWIZZLE 128
#endif

// Byte offset of element (r, k) of a K-major operand in the canonical layout for SWIZZLE.
__device__ __forceinline__ unsigned place(int r, int k) {
#if SWIZZLE == 0
    // 8x16-byte core matrices: rows 16 B apart, k-halves 128 B apart (LBO), 8-row groups
    // 256 B apart (SBO)
    return (r % 8) * 16 + (r / 8) * 256 + (k / 8) * 128 + (k % 8) * 2;
#else
    const unsigned lin = r * SWIZZLE + k * 2;  // rows of SWIZZLE bytes
    return lin ^ (((lin >> 7) & (SWIZZLE / 16 - 1)) << 4);
#endif
}

__device__ __forceinline__ u64 descriptor(unsigned addr) {
#if SWIZZLE == 0
    const u64 lbo = 128, sbo = 256, mode = 0;
#else
    const u64 lbo = 16, sbo = 8 * SWIZZLE, mode = SWIZZLE == 128 ? 1 : SWIZZLE == 64 ? 2 : 3;
#endif
    return ((addr & 0x3FFFF) >> 4) | ((lbo >> 4) << 16) | ((sbo >> 4) << 32) | (mode << 62);
}

#define ACC16(d) \
    "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3]), "+f"(d[4]), "+f"(d[5]), "+f"(d[6]), \
        "+f"(d[7]), "+f"(d[8]), "+f"(d[9]), "+f"(d[10]), "+f"(d[11]), "+f"(d[12]), "+f"(d[13]), \
        "+f"(d[14]), "+f"(d[15])
#define DREGS "{%0, %1, %2, %3, %4, %5, %6, %7, %8, %9, %10, %11, %12, %13, %14, %15}"

// The accumulator layout: register j of thread t is row 16(t/32) + (t%32)/4 + 8((j/2)%2),
// column 8(j/4) + 2(t%4) + j%2.
__device__ void store_d(const float (&d)[16], float* D) {
    const int t = threadIdx.x;
    for (int j = 0; j < 16; ++j) {
        const int row = 16 * (t / 32) + (t % 32) / 4 + 8 * ((j / 2) % 2);
        const int col = 8 * (j / 4) + 2 * (t % 4) + j % 2;
        D[row * 32 + col] = d[j];
    }
}

extern "C" __global__ void wgmma_smem(const __nv_bfloat16* A, const __nv_bfloat16* B, float* D,
                                      int accumulate) {
    __shared__ __align__(1024) unsigned char sa[64 * 128];
    __shared__ __align__(1024) unsigned char sb[32 * 128];
    for (int i = threadIdx.x; i < 64 * 16; i += 128)
        *reinterpret_cast<__nv_bfloat16*>(sa + place(i / 16, i % 16)) = A[i];
    for (int i = threadIdx.x; i < 32 * 16; i += 128)
        *reinterpret_cast<__nv_bfloat16*>(sb + place(i / 16, i % 16)) = B[i];
#ifndef NO_FENCE  // without it the wgmma may read the operands before the writes
    asm volatile("fence.proxy.async.shared::cta;" ::: "memory");
#endif
    __syncthreads();
    float d[16];
    for (int j = 0; j < 16; ++j) d[j] = 1e30f;  // ignored: the first wgmma has scale-d false
    const u64 da = descriptor(smem(sa)), db = descriptor(smem(sb));
    asm volatile("wgmma.fence.sync.aligned;" ::: "memory");
    for (int step = 0; step < 1 + accumulate; ++step) {
        asm volatile(
            "{\n.reg .pred p;\nsetp.ne.b32 p, %18, 0;\n"
            "wgmma.mma_async.sync.aligned.m64n32k16.f32.bf16.bf16 " DREGS
            ", %16, %17, p, 1, 1, 0, 0;\n}\n"
            : ACC16(d) : "l"(da), "l"(db), "r"(step));
    }
    asm volatile("wgmma.commit_group.sync.aligned;" ::: "memory");
#ifdef READ_EARLY  // a bug: the accumulators are read while the wgmmas are in flight
    asm volatile("st.global.f32 [%0], %1;" ::"l"(D + threadIdx.x), "f"(d[0]) : "memory");
#endif
    asm volatile("wgmma.wait_group.sync.aligned 0;" ::: "memory");
    store_d(d, D);
}

// A from registers (the m16n8k16 A fragment per warp: rows 16w..), B from shared memory.
extern "C" __global__ void wgmma_regs(const __nv_bfloat16* A, const __nv_bfloat16* B, float* D) {
    __shared__ __align__(1024) unsigned char sb[32 * 128];
    for (int i = threadIdx.x; i < 32 * 16; i += 128)
        *reinterpret_cast<__nv_bfloat16*>(sb + place(i / 16, i % 16)) = B[i];
    asm volatile("fence.proxy.async.shared::cta;" ::: "memory");
    __syncthreads();
    const int w = threadIdx.x / 32, l = threadIdx.x % 32;
    unsigned a[4];
    for (int i = 0; i < 4; ++i) {
        const int row = 16 * w + l / 4 + 8 * (i % 2), col = 2 * (l % 4) + 8 * (i / 2);
        const unsigned short lo = __bfloat16_as_ushort(A[row * 16 + col]);
        const unsigned short hi = __bfloat16_as_ushort(A[row * 16 + col + 1]);
        a[i] = lo | ((unsigned)hi << 16);
    }
    float d[16];
    for (int j = 0; j < 16; ++j) d[j] = 0.0f;
    const u64 db = descriptor(smem(sb));
    asm volatile("wgmma.fence.sync.aligned;" ::: "memory");
    asm volatile(
        "wgmma.mma_async.sync.aligned.m64n32k16.f32.bf16.bf16 " DREGS
        ", {%16, %17, %18, %19}, %20, 1, 1, 1, 0;\n"
        : ACC16(d) : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "l"(db));
    asm volatile("wgmma.commit_group.sync.aligned;" ::: "memory");
    asm volatile("wgmma.wait_group.sync.aligned 0;" ::: "memory");
    store_d(d, D);
}

// --- warp specialisation: an mbarrier ring between a producer and a consumer warp ---------

#define STAGES 2

extern "C" __global__ void ws_ring(const unsigned* in, unsigned* out, int iters) {
    __shared__ unsigned ring[STAGES][32];
    __shared__ u64 full[STAGES], empty[STAGES];
    const int lane = threadIdx.x % 32;
    if (threadIdx.x == 0) {
        for (int s = 0; s < STAGES; ++s) {
            mbar_init(&full[s], 32);
            mbar_init(&empty[s], 32);
        }
    }
    __syncthreads();
    if (threadIdx.x < 32) {  // producer
        for (int it = 0; it < iters; ++it) {
            const int s = it % STAGES;
            if (it >= STAGES) mbar_wait(&empty[s], (it / STAGES - 1) & 1);
            ring[s][lane] = in[it * 32 + lane];
            mbar_arrive(&full[s]);
        }
    } else {  // consumer
        for (int it = 0; it < iters; ++it) {
            const int s = it % STAGES;
#ifdef TEST_WAIT
            mbar_spin(&full[s], (it / STAGES) & 1);
#else
            mbar_wait(&full[s], (it / STAGES) & 1);
#endif
            out[it * 32 + lane] = ring[s][lane] * 2 + it;
            mbar_arrive(&empty[s]);
        }
    }
}

// --- a 2-CTA cluster: multicast TMA, distributed shared memory, remote arrive --------------

#ifdef CLUSTER_DIMS
#define CLUSTER __cluster_dims__(2, 1, 1)
#else
#define CLUSTER
#endif

extern "C" __global__ void CLUSTER cluster_pair(const __grid_constant__ TmaMap map,
                                                unsigned short* out, unsigned* info) {
    __shared__ __align__(1024) unsigned short tile[BOX_R * BOX_C];
    __shared__ u64 bar, handshake;
    __shared__ unsigned from_peer;
    unsigned rank, cluster_id, nrank;
    asm volatile("mov.u32 %0, %%cluster_ctarank;" : "=r"(rank));
    asm volatile("mov.u32 %0, %%clusterid.x;" : "=r"(cluster_id));
    asm volatile("mov.u32 %0, %%cluster_nctarank;" : "=r"(nrank));
    if (threadIdx.x == 0) {
        mbar_init(&bar, 1);
        mbar_init(&handshake, 1);
    }
    cluster_sync();  // every barrier of the cluster exists
    if (threadIdx.x == 0) {
        mbar_expect_tx(&bar, sizeof(tile));
        if (rank == 0) {
            asm volatile(
                "cp.async.bulk.tensor.2d.shared::cluster.global.tile.mbarrier::complete_tx::bytes"
                ".multicast::cluster [%0], [%1, {%2, %3}], [%4], %5;" ::"r"(smem(tile)),
                "l"(&map), "r"(0), "r"((int)cluster_id * BOX_R), "r"(smem(&bar)), "h"((unsigned short)3)
                : "memory");
        }
        // write into the peer's shared memory, then arrive on its handshake barrier
        unsigned remote_val, remote_bar;
        asm volatile("mapa.shared::cluster.u32 %0, %1, %2;" : "=r"(remote_val)
                     : "r"(smem(&from_peer)), "r"(rank ^ 1));
        asm volatile("st.shared::cluster.u32 [%0], %1;" ::"r"(remote_val), "r"(100 + rank + 10 * cluster_id)
                     : "memory");
        asm volatile("mapa.shared::cluster.u32 %0, %1, %2;" : "=r"(remote_bar)
                     : "r"(smem(&handshake)), "r"(rank ^ 1));
        asm volatile("mbarrier.arrive.release.cluster.shared::cluster.b64 _, [%0];" ::"r"(remote_bar)
                     : "memory");
    }
    mbar_wait(&bar, 0);
    mbar_wait(&handshake, 0);
    for (int i = threadIdx.x; i < BOX_R * BOX_C; i += blockDim.x)
        out[blockIdx.x * BOX_R * BOX_C + i] = tile[i];
    if (threadIdx.x == 0) {
        info[blockIdx.x * 4 + 0] = rank;
        info[blockIdx.x * 4 + 1] = from_peer;
        info[blockIdx.x * 4 + 2] = nrank;
        info[blockIdx.x * 4 + 3] = cluster_id;
    }
    cluster_sync();  // nobody leaves while its peer may still write into it
}

// --- a tensor map built by the kernel (as Triton does) and plain bulk copies ---------------

#define REPLACE(field, type, value) \
    asm volatile("tensormap.replace.tile." field ".shared::cta.b1024." type " [%0], %1;" \
                 ::"r"(smem(&smap)), value : "memory")
#define REPLACE_AT(field, type, ord, value) \
    asm volatile("tensormap.replace.tile." field ".shared::cta.b1024." type " [%0], " ord ", %1;" \
                 ::"r"(smem(&smap)), value : "memory")

extern "C" __global__ void map_in_kernel(TmaMap* gmap, const unsigned short* tensor,
                                         unsigned short* out, int rows, int cols) {
    __shared__ TmaMap smap;
    __shared__ __align__(1024) unsigned short tile[BOX_R * BOX_C];
    __shared__ u64 bar;
    if (threadIdx.x < 16) reinterpret_cast<unsigned long long*>(&smap)[threadIdx.x] = 0;
    __syncwarp();
    if (threadIdx.x == 0) {
        REPLACE("global_address", "b64", "l"(tensor));
        asm volatile("tensormap.replace.tile.rank.shared::cta.b1024.b32 [%0], 1;"
                     ::"r"(smem(&smap)) : "memory");
        asm volatile("tensormap.replace.tile.elemtype.shared::cta.b1024.b32 [%0], 1;"
                     ::"r"(smem(&smap)) : "memory");  // .u16
        REPLACE_AT("box_dim", "b32", "0", "r"(BOX_C));
        REPLACE_AT("box_dim", "b32", "1", "r"(BOX_R));
        REPLACE_AT("global_dim", "b32", "0", "r"(cols));
        REPLACE_AT("global_dim", "b32", "1", "r"(rows));
        REPLACE_AT("global_stride", "b64", "0", "l"((u64)cols * 2));
        REPLACE_AT("element_stride", "b32", "0", "r"(1));
        REPLACE_AT("element_stride", "b32", "1", "r"(1));
    }
    __syncwarp();
    asm volatile(
        "tensormap.cp_fenceproxy.global.shared::cta.tensormap::generic.release.gpu.sync.aligned"
        " [%0], [%1], 128;" ::"l"(gmap), "r"(smem(&smap)) : "memory");
    asm volatile("fence.proxy.tensormap::generic.acquire.gpu [%0], 128;" ::"l"(gmap) : "memory");
    if (threadIdx.x == 0) {
        mbar_init(&bar, 1);
        mbar_expect_tx(&bar, sizeof(tile));
        tma_load(tile, gmap, 2, 1, &bar);
    }
    __syncwarp();
    mbar_wait(&bar, 0);
    for (int i = threadIdx.x; i < BOX_R * BOX_C; i += blockDim.x) out[i] = tile[i];
}

// 256 bytes global -> shared with complete_tx, then shared -> global in a bulk group.
extern "C" __global__ void bulk_copy(const uint4* in, uint4* out) {
    __shared__ __align__(128) uint4 buf[16];
    __shared__ u64 bar;
    if (threadIdx.x == 0) {
        mbar_init(&bar, 1);
        mbar_expect_tx(&bar, sizeof(buf));
        asm volatile(
            "cp.async.bulk.shared::cluster.global.mbarrier::complete_tx::bytes [%0], [%1], %2, [%3];"
            ::"r"(smem(buf)), "l"(in), "r"((unsigned)sizeof(buf)), "r"(smem(&bar)) : "memory");
    }
    __syncwarp();
    mbar_wait(&bar, 0);
    if (threadIdx.x < 16) buf[threadIdx.x].x += 1;
    asm volatile("fence.proxy.async.shared::cta;" ::: "memory");
    __syncwarp();
    if (threadIdx.x == 0) {
        asm volatile("cp.async.bulk.global.shared::cta.bulk_group [%0], [%1], %2;"
                     ::"l"(out), "r"(smem(buf)), "r"((unsigned)sizeof(buf)) : "memory");
        asm volatile("cp.async.bulk.commit_group;" ::: "memory");
        asm volatile("cp.async.bulk.wait_group 0;" ::: "memory");
    }
}

// f16 inputs and f16 accumulators: register j of thread t packs columns 2j' and 2j'+1 of the
// f32 numbering (j' = 2j, 2j + 1), low half first. K-major 128B-swizzled operands as above.
extern "C" __global__ void wgmma_f16acc(const __half* A, const __half* B, __half* D) {
    __shared__ __align__(1024) unsigned char sa[64 * 128];
    __shared__ __align__(1024) unsigned char sb[32 * 128];
    for (int i = threadIdx.x; i < 64 * 16; i += 128)
        *reinterpret_cast<__half*>(sa + place(i / 16, i % 16)) = A[i];
    for (int i = threadIdx.x; i < 32 * 16; i += 128)
        *reinterpret_cast<__half*>(sb + place(i / 16, i % 16)) = B[i];
    asm volatile("fence.proxy.async.shared::cta;" ::: "memory");
    __syncthreads();
    unsigned d[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    asm volatile("wgmma.fence.sync.aligned;" ::: "memory");
    asm volatile(
        "wgmma.mma_async.sync.aligned.m64n32k16.f16.f16.f16 {%0, %1, %2, %3, %4, %5, %6, %7},"
        " %8, %9, 1, 1, 1, 0, 0;"
        : "+r"(d[0]), "+r"(d[1]), "+r"(d[2]), "+r"(d[3]), "+r"(d[4]), "+r"(d[5]), "+r"(d[6]),
          "+r"(d[7])
        : "l"(descriptor(smem(sa))), "l"(descriptor(smem(sb))));
    asm volatile("wgmma.commit_group.sync.aligned;" ::: "memory");
    asm volatile("wgmma.wait_group.sync.aligned 0;" ::: "memory");
    const int t = threadIdx.x;
    for (int r = 0; r < 8; ++r) {
        for (int h = 0; h < 2; ++h) {
            const int j = 2 * r + h;
            const int row = 16 * (t / 32) + (t % 32) / 4 + 8 * ((j / 2) % 2);
            const int col = 8 * (j / 4) + 2 * (t % 4) + j % 2;
            D[row * 32 + col] = __ushort_as_half((unsigned short)(d[r] >> (16 * h)));
        }
    }
}

// A 3-D box (planes x rows x columns, innermost last in memory) with element strides.
#ifndef BOX3_BYTES
#define BOX3_BYTES 256
#endif
extern "C" __global__ void tma_load_3d(const __grid_constant__ TmaMap map, unsigned short* out,
                                       int x, int y, int z) {
    __shared__ __align__(128) unsigned short box[BOX3_BYTES / 2];
    __shared__ u64 bar;
    if (threadIdx.x == 0) {
        mbar_init(&bar, 1);
        mbar_expect_tx(&bar, BOX3_BYTES);
        asm volatile(
            "cp.async.bulk.tensor.3d.shared::cluster.global.tile.mbarrier::complete_tx::bytes"
            " [%0], [%1, {%2, %3, %4}], [%5];" ::"r"(smem(box)), "l"(&map), "r"(x), "r"(y),
            "r"(z), "r"(smem(&bar)) : "memory");
    }
    __syncthreads();
    mbar_wait(&bar, 0);
    for (int i = threadIdx.x; i < BOX3_BYTES / 2; i += blockDim.x) out[i] = box[i];
}

// Shared -> global with an add: the tensor's elements inside the box grow by 1, 2, 3...
extern "C" __global__ void tma_reduce_box(const __grid_constant__ TmaMap map, int x, int y) {
    __shared__ __align__(1024) unsigned short tile[BOX_R * BOX_C];
    for (int i = threadIdx.x; i < BOX_R * BOX_C; i += blockDim.x) tile[i] = i + 1;
    asm volatile("fence.proxy.async.shared::cta;" ::: "memory");
    __syncthreads();
    if (threadIdx.x == 0) {
        asm volatile(
            "cp.reduce.async.bulk.tensor.2d.global.shared::cta.add.tile.bulk_group"
            " [%0, {%1, %2}], [%3];" ::"l"(&map), "r"(x), "r"(y), "r"(smem(tile)) : "memory");
        asm volatile("cp.async.bulk.commit_group;" ::: "memory");
        asm volatile("cp.async.bulk.wait_group 0;" ::: "memory");
    }
}
