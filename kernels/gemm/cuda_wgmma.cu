// Ladder step 8 (sm_90a): TMA loads and wgmma from one warpgroup.
// One warpgroup (128 threads) computes a BM x BN tile. Per 64-wide k-tile, thread 0 asks the
// TMA unit for the A box and the BN/64 B boxes (128-byte swizzled, edges zero-filled) and all
// threads wait on one mbarrier; then the warpgroup issues BM/64 x 4 asynchronous wgmma
// m64nBNk16 straight from shared memory (wgmma_k_tile in cuda_wgmma_ops.cuh; steps 9 and 10
// issue the same k-tile without waiting), waits for them and the block synchronises before
// the buffer is refilled: no overlap of loads and math yet (that is step 9).
// Config macros: BM (64 or 128), BN (64, 128 or 256).
#include "cuda_wgmma_ops.cuh"

#define MI (BM / 64)

extern "C" __global__ void __launch_bounds__(128, 1)
gemm_cuda_wgmma(const __grid_constant__ TmaDesc map_a, const __grid_constant__ TmaDesc map_b,
                elem_t* __restrict__ Out, const elem_t* __restrict__ C, int M, int N, int K,
                float alpha, float beta) {
    extern __shared__ unsigned char smem_raw[];
    unsigned char* smem = align_1024(smem_raw);
    elem_t* sA = reinterpret_cast<elem_t*>(smem);
    elem_t* sB = sA + BM * KB_TILE_K;
    u64* full = reinterpret_cast<u64*>(sB + BN * KB_TILE_K);
    const int m0 = blockIdx.y * BM;
    const int n0 = blockIdx.x * BN;
    if (threadIdx.x == 0) {
        mbar_init(full, 1);
        fence_barrier_init();
    }
    __syncthreads();

    float d[MI][BN / 2];
    zero_fill(d);

    const int ktiles = (K + KB_TILE_K - 1) / KB_TILE_K;
    for (int kt = 0; kt < ktiles; ++kt) {
        if (threadIdx.x == 0) {
            mbar_expect_tx(full, (BM + BN) * KB_TILE_K * sizeof(elem_t));
            load_ab<BN>(sA, sB, &map_a, &map_b, m0, n0, kt, full);
        }
        mbar_wait(full, kt & 1);
        wgmma_k_tile(d, sA, sB);
        __syncthreads();  // every wgmma has read the tiles before thread 0 refills them
    }
#pragma unroll
    for (int i = 0; i < MI; ++i)
        store_wg_tile<BN>(Out, C, M, N, m0 + 64 * i, n0, d[i], alpha, beta);
}
