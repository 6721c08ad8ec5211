// Ladder step 6: step 5 with fragments loaded from shared memory by ldmatrix.
// Config macros: BM, BN, BK, WARPS_M, WARPS_N (BN / WARPS_N a multiple of 16), STAGES.
// Shared memory is dynamic: STAGES * (BM*(BK+8) + BK*(BN+8)) elements.
#include "cuda_common.cuh"

#define THREADS (WARPS_M * WARPS_N * 32)
#define CHUNKS(elems) (((elems) / 8 + THREADS - 1) / THREADS)  // 16-byte copies per thread
#define WM (BM / WARPS_M)
#define WN (BN / WARPS_N)
#define MI (WM / 16)
#define NI (WN / 8)
#define PAD 8
#define LDA (BK + PAD)
#define LDB (BN + PAD)
#define A_STAGE (BM * LDA)
#define B_STAGE (BK * LDB)

// Issue the copies of k-tile `kt` into stage `s`; out-of-range chunks are zero-filled.
__device__ __forceinline__ void load_tile(elem_t* As, elem_t* Bs, const elem_t* A,
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
        cp_async_16(As + r * LDA + c, ok ? A + (index_t)gr * K + gc : A, ok);
    }
#pragma unroll
    for (int it = 0; it < CHUNKS(BK * BN); ++it) {
        const int i = it * THREADS + tid;
        if (i >= BK * BN / 8) break;
        const int r = i / (BN / 8), c = (i % (BN / 8)) * 8;
        const int gr = k0 + r, gc = block_n + c;
        const bool ok = gr < K && gc < N;
        cp_async_16(Bs + r * LDB + c, ok ? B + (index_t)gr * N + gc : B, ok);
    }
}

extern "C" __global__ void __launch_bounds__(THREADS, 1)
gemm_cuda_ldmatrix(const elem_t* __restrict__ A, const elem_t* __restrict__ B,
                   elem_t* __restrict__ Out, const elem_t* __restrict__ C,
                   int M, int N, int K, float alpha, float beta) {
    extern __shared__ __align__(16) unsigned char smem[];
    elem_t* As = reinterpret_cast<elem_t*>(smem);
    elem_t* Bs = As + STAGES * A_STAGE;
    const int tid = threadIdx.x;
    const int lane = tid % 32;
    const int warp = tid / 32;
    const int warp_m = (warp / WARPS_N) * WM;
    const int warp_n = (warp % WARPS_N) * WN;
    const int block_m = blockIdx.y * BM;
    const int block_n = blockIdx.x * BN;
    const int k_tiles = (K + BK - 1) / BK;

    float acc[MI][NI][4];
#pragma unroll
    for (int i = 0; i < MI; ++i)
#pragma unroll
        for (int j = 0; j < NI; ++j)
#pragma unroll
            for (int r = 0; r < 4; ++r) acc[i][j][r] = 0.0f;

    // Prologue: STAGES-1 tiles in flight. Every iteration commits one group (empty past the
    // end) so that wait_group<STAGES-2> always means "tile kt has landed".
#pragma unroll
    for (int s = 0; s < STAGES - 1; ++s) {
        if (s < k_tiles)
            load_tile(As + s * A_STAGE, Bs + s * B_STAGE, A, B, M, N, K, block_m, block_n, s, tid);
        cp_async_commit();
    }
    for (int kt = 0; kt < k_tiles; ++kt) {
        cp_async_wait<STAGES - 2>();
        __syncthreads();  // tile kt visible to all; stage (kt-1) % STAGES free to refill
        const int next = kt + STAGES - 1;
        if (next < k_tiles) {
            const int s = next % STAGES;
            load_tile(As + s * A_STAGE, Bs + s * B_STAGE, A, B, M, N, K, block_m, block_n, next, tid);
        }
        cp_async_commit();
        const elem_t* as = As + (kt % STAGES) * A_STAGE;
        const elem_t* bs = Bs + (kt % STAGES) * B_STAGE;
#pragma unroll
        for (int kk = 0; kk < BK; kk += 16) {
            unsigned a[MI][4], b[NI][2];
            // One ldmatrix.x4 per A fragment and one transposing x4 per pair of B fragments
            // replace 4 + 4 scalar shared loads (NI is even: WN is a multiple of 16).
#pragma unroll
            for (int i = 0; i < MI; ++i)
                ldmatrix_a(a[i], as + (warp_m + i * 16) * LDA + kk, LDA, lane);
#pragma unroll
            for (int j = 0; j < NI; j += 2)
                ldmatrix_b2(b[j], b[j + 1], bs + kk * LDB + warp_n + j * 8, LDB, lane);
#pragma unroll
            for (int i = 0; i < MI; ++i)
#pragma unroll
                for (int j = 0; j < NI; ++j) mma_16816(acc[i][j], a[i], b[j]);
        }
    }
    cp_async_wait<0>();
#pragma unroll
    for (int i = 0; i < MI; ++i)
#pragma unroll
        for (int j = 0; j < NI; ++j)
            store_acc_tile(Out, C, M, N, block_m + warp_m + i * 16, block_n + warp_n + j * 8,
                           acc[i][j], alpha, beta, lane);
}
