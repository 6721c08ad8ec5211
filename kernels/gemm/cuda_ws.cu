// Ladder step 9 (sm_90a): an mbarrier ring of STAGES buffers with warp specialisation.
// Warpgroup 0 produces: one thread waits until a stage is free (its `empty` barrier), then
// has TMA fill it and signal `full`. Warpgroups 1 and 2 consume: each waits on `full`, runs
// its wgmmas on its half (BM/2 rows) of the tile and releases the stage. Loads for the next
// STAGES-1 k-tiles are in flight while the tensor cores work, and setmaxnreg moves registers
// from the producer (40 per thread) to the consumers (232 per thread) for the accumulators.
// Config macros: BM (128 or 256), BN (64, 128 or 256), STAGES.
#include "cuda_wgmma_ops.cuh"

#define CONSUMERS 2
#define WG_ROWS (BM / CONSUMERS)
#define MI (WG_ROWS / 64)
#define A_TILE (BM * KB_TILE_K)
#define B_TILE (BN * KB_TILE_K)

extern "C" __global__ void __launch_bounds__(128 * (CONSUMERS + 1), 1)
gemm_cuda_ws(const __grid_constant__ TmaDesc map_a, const __grid_constant__ TmaDesc map_b,
             elem_t* __restrict__ Out, const elem_t* __restrict__ C, int M, int N, int K,
             float alpha, float beta) {
    extern __shared__ unsigned char smem_raw[];
    elem_t* sA = reinterpret_cast<elem_t*>(align_1024(smem_raw));
    elem_t* sB = sA + STAGES * A_TILE;
    u64* full = reinterpret_cast<u64*>(sB + STAGES * B_TILE);
    u64* empty = full + STAGES;
    const int m0 = blockIdx.y * BM;
    const int n0 = blockIdx.x * BN;
    const int wg = threadIdx.x / 128;
    if (threadIdx.x == 0) {
        for (int s = 0; s < STAGES; ++s) {
            mbar_init(&full[s], 1);
            mbar_init(&empty[s], CONSUMERS);
        }
        fence_barrier_init();
    }
    __syncthreads();
    const int ktiles = (K + KB_TILE_K - 1) / KB_TILE_K;

    if (wg == 0) {
        regs_release<40>();
        if (threadIdx.x == 0) {
            for (int kt = 0; kt < ktiles; ++kt) {
                const int s = kt % STAGES;
                if (kt >= STAGES) mbar_wait(&empty[s], (kt / STAGES - 1) & 1);
                mbar_expect_tx(&full[s], (BM + BN) * KB_TILE_K * sizeof(elem_t));
                load_ab<BN>(sA + s * A_TILE, sB + s * B_TILE, &map_a, &map_b, m0, n0, kt, &full[s]);
            }
        }
        return;
    }

    regs_claim<232>();
    const int c = wg - 1;
    float d[MI][BN / 2];
    zero_fill(d);
    for (int kt = 0; kt < ktiles; ++kt) {
        const int s = kt % STAGES;
        mbar_wait(&full[s], (kt / STAGES) & 1);
        const elem_t* a_tile = sA + s * A_TILE + c * WG_ROWS * KB_TILE_K;
        wgmma_k_tile(d, a_tile, sB + s * B_TILE);
        if (threadIdx.x % 128 == 0) mbar_arrive(&empty[s]);  // this warpgroup is done with stage s
    }
#pragma unroll
    for (int i = 0; i < MI; ++i)
        store_wg_tile<BN>(Out, C, M, N, m0 + c * WG_ROWS + 64 * i, n0, d[i], alpha, beta);
}
