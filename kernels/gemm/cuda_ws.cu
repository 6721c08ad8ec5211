// Ladder step 9 (sm_90a): an mbarrier ring of STAGES buffers with warp specialisation.
// Warpgroup 0 produces: one thread waits until a stage is free (its `empty` barrier), then
// has TMA fill it and signal `full`. Warpgroups 1 and 2 consume: each waits on `full` and
// issues its wgmmas on its half (BM/2 rows) of the tile, keeping one k-tile's group in flight
// while it issues the next (wgmma.wait_group 1); a stage is released only once the wgmmas
// reading it have retired. Loads for the next STAGES-1 k-tiles are in flight while the
// tensor cores work, and setmaxnreg moves registers from the producer (40 per thread) to
// the consumers (232 per thread) for the accumulators.
// Config macros: BM (128 or 256), BN (64, 128 or 256), STAGES (2 or more: one stage is read
// by the wgmmas in flight while the next is waited for).
#include "cuda_wgmma_ops.cuh"

#if STAGES < 2
#error "STAGES >= 2: the consumers keep one stage's wgmmas in flight"
#endif

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
    const bool leader = threadIdx.x % 128 == 0;
    for (int kt = 0; kt < ktiles; ++kt) {
        const int s = kt % STAGES;
        mbar_wait(&full[s], (kt / STAGES) & 1);
        const elem_t* a_tile = sA + s * A_TILE + c * WG_ROWS * KB_TILE_K;
        wgmma_k_tile_async(d, a_tile, sB + s * B_TILE);
        // One group stays in flight: k-tile kt-1's wgmmas are done, so its stage is released.
        wgmma_wait<1>();
        if (leader && kt > 0) mbar_arrive(&empty[(kt - 1) % STAGES]);
    }
    wgmma_wait<0>();
    if (leader && ktiles > 0) mbar_arrive(&empty[(ktiles - 1) % STAGES]);
#pragma unroll
    for (int i = 0; i < MI; ++i)
        store_wg_tile<BN>(Out, C, M, N, m0 + c * WG_ROWS + 64 * i, n0, d[i], alpha, beta);
}
