// Ladder step 6: step 5 with fragments loaded from shared memory by ldmatrix.
// Config macros: BM, BN, BK, WARPS_M, WARPS_N (BN / WARPS_N a multiple of 16), STAGES.
// Shared memory is dynamic: STAGES * (BM*(BK+8) + BK*(BN+8)) elements.
#define PAD 8
#include "cuda_mma_tiles.cuh"

extern "C" __global__ void __launch_bounds__(THREADS, 1)
gemm_cuda_ldmatrix(const elem_t* __restrict__ A, const elem_t* __restrict__ B,
                   elem_t* __restrict__ Out, const elem_t* __restrict__ C,
                   int M, int N, int K, float alpha, float beta) {
    extern __shared__ __align__(16) unsigned char smem[];
    elem_t* As = reinterpret_cast<elem_t*>(smem);
    elem_t* Bs = As + STAGES * A_STAGE;
    const int tid = threadIdx.x;
    const WarpTile w = warp_tile(tid);
    const int block_m = blockIdx.y * BM;
    const int block_n = blockIdx.x * BN;
    const int k_tiles = (K + BK - 1) / BK;

    float acc[MI][NI][4];
    zero_fill(acc);
    const CpAsyncRing ring{As, Bs, A, B, M, N, K, block_m, block_n, tid};
    ring.start(k_tiles);  // k-tiles 0..STAGES-2 in flight
    for (int kt = 0; kt < k_tiles; ++kt) {
        cp_async_wait<STAGES - 2>();  // k-tile kt has landed (one group per k-tile)
        __syncthreads();  // tile kt visible to all; stage (kt-1) % STAGES free to refill
        const int next = kt + STAGES - 1;
        if (next < k_tiles) ring.load(next % STAGES, next);
        cp_async_commit();  // one group per iteration, empty past the end
        const elem_t* as = As + (kt % STAGES) * A_STAGE;
        const elem_t* bs = Bs + (kt % STAGES) * B_STAGE;
#pragma unroll
        for (int kk = 0; kk < BK; kk += 16) {
            unsigned a[MI][4], b[NI][2];
            // One ldmatrix.x4 per A fragment and one transposing x4 per pair of B fragments
            // replace 4 + 4 scalar shared loads (NI is even: WN is a multiple of 16).
#pragma unroll
            for (int i = 0; i < MI; ++i)
                ldmatrix_a(a[i], as + (w.m + i * 16) * LDA + kk, LDA, w.lane);
#pragma unroll
            for (int j = 0; j < NI; j += 2)
                ldmatrix_b2(b[j], b[j + 1], bs + kk * LDB + w.n + j * 8, LDB, w.lane);
            mma_tiles(acc, a, b);
        }
    }
    cp_async_wait<0>();
    store_warp_tile(Out, C, M, N, block_m, block_n, acc, alpha, beta, w);
}
