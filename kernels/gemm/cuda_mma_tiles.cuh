// What the mma.sync steps of the CUDA C++ GEMM ladder (3-7) share, in the order the ladder
// introduces it: the warp tiling, mma and epilogue (step 3), 16-byte chunks (step 4) and the
// cp.async ring of stages (step 5); fragments come from cuda_common.cuh. A step's .cu keeps
// its own idea and its K loops with their fragment loads: those stay in the kernel, where
// the reader sees them and where they compiled before (moved into a helper, the loops
// compile to a permuted register numbering or instruction order, and ptxas allocates
// differently: the SASS changes).
//
// Needs the config macros BM, BN, BK (block tile), WARPS_M, WARPS_N (warp grid) and PAD
// (elements added to each shared-memory row), which the including step defines or takes
// from its config; the ring of stages also needs STAGES.
#pragma once

#include "cuda_common.cuh"

#define THREADS (WARPS_M * WARPS_N * 32)
#define WM (BM / WARPS_M)  // a warp's tile: WM x WN outputs, MI x NI mma tiles of 16x8
#define WN (BN / WARPS_N)
#define MI (WM / 16)
#define NI (WN / 8)
#define LDA (BK + PAD)  // row strides of the shared A [BM][LDA] and B [BK][LDB] tiles
#define LDB (BN + PAD)

// --- step 3: warp tiles of mma.sync m16n8k16 ------------------------------------------------

// Where a thread's warp works: its lane and the top-left corner (m, n) of its WM x WN tile
// within the block tile. Warps are laid out WARPS_M x WARPS_N, row by row.
struct WarpTile {
    int lane, m, n;
};

__device__ __forceinline__ WarpTile warp_tile(int tid) {
    const int lane = tid % 32;
    const int warp = tid / 32;
    return {lane, (warp / WARPS_N) * WM, (warp % WARPS_N) * WN};
}

// The warp's MI x NI tensor-core products of one k16 step.
__device__ __forceinline__ void mma_tiles(float (&acc)[MI][NI][4], const unsigned (&a)[MI][4],
                                          const unsigned (&b)[NI][2]) {
#pragma unroll
    for (int i = 0; i < MI; ++i)
#pragma unroll
        for (int j = 0; j < NI; ++j) mma_16816(acc[i][j], a[i], b[j]);
}

// Epilogue: alpha * acc + beta * C straight from the fragments, bounds-checked per element.
__device__ __forceinline__ void store_warp_tile(elem_t* out, const elem_t* c, int M, int N,
                                                int block_m, int block_n,
                                                const float (&acc)[MI][NI][4], float alpha,
                                                float beta, WarpTile w) {
#pragma unroll
    for (int i = 0; i < MI; ++i)
#pragma unroll
        for (int j = 0; j < NI; ++j)
            store_acc_tile(out, c, M, N, block_m + w.m + i * 16, block_n + w.n + j * 8, acc[i][j],
                           alpha, beta, w.lane);
}

// --- step 4: 16-byte chunks -----------------------------------------------------------------

// 16-byte (8-element) copies per thread for a tile of `elems` elements: the block's threads
// take chunk tid, tid + THREADS, ... in an unrolled loop that stops where the chunks run out.
#define CHUNKS(elems) (((elems) / 8 + THREADS - 1) / THREADS)

// --- step 5: the cp.async multistage pipeline ------------------------------------------------

#ifdef STAGES
#define A_STAGE (BM * LDA)  // elements of one stage of the A and B rings
#define B_STAGE (BK * LDB)

// Issue the cp.async copies of k-tile `kt` into one stage; out-of-range chunks are zero-filled.
__device__ __forceinline__ void load_stage(elem_t* as, elem_t* bs, const elem_t* A,
                                           const elem_t* B, int M, int N, int K, int block_m,
                                           int block_n, int kt, int tid) {
    const int k0 = kt * BK;
#pragma unroll
    for (int it = 0; it < CHUNKS(BM * BK); ++it) {
        const int i = it * THREADS + tid;
        if (i >= BM * BK / 8) break;
        const int r = i / (BK / 8), c = (i % (BK / 8)) * 8;
        const int gr = block_m + r, gc = k0 + c;
        const bool ok = gr < M && gc < K;
        cp_async_16(as + r * LDA + c, ok ? A + (index_t)gr * K + gc : A, ok);
    }
#pragma unroll
    for (int it = 0; it < CHUNKS(BK * BN); ++it) {
        const int i = it * THREADS + tid;
        if (i >= BK * BN / 8) break;
        const int r = i / (BN / 8), c = (i % (BN / 8)) * 8;
        const int gr = k0 + r, gc = block_n + c;
        const bool ok = gr < K && gc < N;
        cp_async_16(bs + r * LDB + c, ok ? B + (index_t)gr * N + gc : B, ok);
    }
}

// A block's ring of STAGES shared A and B tiles (As, Bs) and the operands it is filled from.
// start() puts k-tiles 0..STAGES-2 in flight, one commit group each (empty past the end);
// the K loop then waits for k-tile kt, refills the stage k-tile kt-1 freed with k-tile
// kt+STAGES-1 and commits one group per iteration, so wait_group<STAGES-2> always means
// "k-tile kt has landed". That loop stays in each kernel: as a method, it compiles differently.
struct CpAsyncRing {
    elem_t* As;
    elem_t* Bs;
    const elem_t* A;
    const elem_t* B;
    int M, N, K, block_m, block_n, tid;

    __device__ __forceinline__ void load(int stage, int kt) const {
        load_stage(As + stage * A_STAGE, Bs + stage * B_STAGE, A, B, M, N, K, block_m, block_n,
                   kt, tid);
    }

    __device__ __forceinline__ void start(int k_tiles) const {
#pragma unroll
        for (int s = 0; s < STAGES - 1; ++s) {
            if (s < k_tiles) load(s, s);
            cp_async_commit();
        }
    }
};
#endif
