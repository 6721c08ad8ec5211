// Ladder step 10 (sm_90a): step 9 made persistent, with an L2-aware tile order, a TMA-store
// epilogue and thread-block clusters that share B tiles by TMA multicast.
// The grid holds as many clusters as fit the GPU; each cluster walks the output tiles in a
// grouped order (GROUP_M cluster-tile rows at a time, so concurrent tiles reuse A rows and
// B columns from L2). The CLUSTER_M CTAs of a cluster take vertically adjacent tiles with
// the same B columns: each loads 1/CLUSTER_M of the B boxes and multicasts them to all.
// A stage is refilled only when the consumers of every CTA in the cluster released it
// (`empty` counts 2 x CLUSTER_M arrivals, some remote); as in step 9, a consumer releases a
// stage once the wgmma group reading it retired, with the next k-tile's group in flight.
// The producer runs ahead into the next tile while consumers finish the epilogue:
// accumulators go to a swizzled shared buffer and one thread per warpgroup stores it with
// TMA (clipped at the edges).
// Config macros: BM (128 or 256), BN (128 or 256), STAGES, CLUSTER_M (1 or 2), GROUP_M.
#include "cuda_wgmma_ops.cuh"

#if STAGES < 2
#error "STAGES >= 2: the consumers keep one stage's wgmmas in flight"
#endif

#define CONSUMERS 2
#define WG_ROWS (BM / CONSUMERS)
#define MI (WG_ROWS / 64)
#define A_TILE (BM * KB_TILE_K)
#define B_TILE (BN * KB_TILE_K)
#define C_BOX (WG_ROWS * 64)  // elements of one [WG_ROWS][64] swizzled output box

struct TileOrder {
    int tiles_m, tiles_n;  // in cluster tiles (CLUSTER_M * BM) x BN

    // Grouped order: GROUP_M cluster-tile rows are finished column by column before the next.
    __device__ __forceinline__ void at(int t, int& mt, int& nt) const {
        const int group = GROUP_M * tiles_n;
        const int first = (t / group) * GROUP_M;
        const int rows = min(tiles_m - first, GROUP_M);
        mt = first + (t % group) % rows;
        nt = (t % group) / rows;
    }
};

// Byte offset of element (r, col) in a [WG_ROWS][64] box with the 128-byte swizzle: the
// 16-byte chunk index is XORed with the row index mod 8.
__device__ __forceinline__ int swizzled(int r, int col) {
    const int bytes = col * 2;
    return r * 128 + ((((bytes >> 4) ^ r) & 7) << 4) + (bytes & 15);
}

// The consumer warpgroup's leader tells every CTA of the cluster that stage `s` may be refilled.
__device__ __forceinline__ void release(u64* empty, int s) {
    if (threadIdx.x % 128 != 0) return;
    for (int r = 0; r < CLUSTER_M; ++r) {
        if (CLUSTER_M == 1) mbar_arrive(&empty[s]);
        else mbar_arrive_cluster(&empty[s], r);
    }
}

extern "C" __global__ void __launch_bounds__(128 * (CONSUMERS + 1), 1)
gemm_cuda_persistent(const __grid_constant__ TmaDesc map_a, const __grid_constant__ TmaDesc map_b,
                     const __grid_constant__ TmaDesc map_out, elem_t* __restrict__ Out,
                     const elem_t* __restrict__ C, int M, int N, int K, float alpha, float beta) {
    extern __shared__ unsigned char smem_raw[];
    elem_t* sA = reinterpret_cast<elem_t*>(align_1024(smem_raw));
    elem_t* sB = sA + STAGES * A_TILE;
    elem_t* sC = sB + STAGES * B_TILE;  // CONSUMERS x (BN / 64) output boxes
    u64* full = reinterpret_cast<u64*>(sC + BM * BN);
    u64* empty = full + STAGES;
    const int wg = threadIdx.x / 128;
    const unsigned rank = CLUSTER_M > 1 ? cluster_rank() : 0;
    if (threadIdx.x == 0) {
        for (int s = 0; s < STAGES; ++s) {
            mbar_init(&full[s], 1);
            mbar_init(&empty[s], CONSUMERS * CLUSTER_M);
        }
        fence_barrier_init();
    }
    cluster_sync();  // barriers of every CTA exist before anyone signals them

    const TileOrder order{(M + CLUSTER_M * BM - 1) / (CLUSTER_M * BM), (N + BN - 1) / BN};
    const int tiles = order.tiles_m * order.tiles_n;
    const int cluster_id = blockIdx.x / CLUSTER_M;
    const int clusters = gridDim.x / CLUSTER_M;
    const int ktiles = (K + KB_TILE_K - 1) / KB_TILE_K;

    if (wg == 0) {
        regs_release<40>();
        if (threadIdx.x == 0) {
            int it = 0;
            for (int t = cluster_id; t < tiles; t += clusters) {
                int mt, nt;
                order.at(t, mt, nt);
                const int m0 = (mt * CLUSTER_M + rank) * BM, n0 = nt * BN;
                for (int kt = 0; kt < ktiles; ++kt, ++it) {
                    const int s = it % STAGES;
                    if (it >= STAGES) mbar_wait(&empty[s], (it / STAGES - 1) & 1);
                    mbar_expect_tx(&full[s], (BM + BN) * KB_TILE_K * sizeof(elem_t));
                    tma_load(sA + s * A_TILE, &map_a, kt * KB_TILE_K, m0, &full[s]);
#pragma unroll
                    for (int j = 0; j < BN / 64; ++j) {
                        elem_t* box = sB + s * B_TILE + j * 64 * KB_TILE_K;
                        if (CLUSTER_M == 1) {
                            tma_load(box, &map_b, n0 + 64 * j, kt * KB_TILE_K, &full[s]);
                        } else if (j % CLUSTER_M == (int)rank) {
                            tma_load_multicast(box, &map_b, n0 + 64 * j, kt * KB_TILE_K, &full[s],
                                               (unsigned short)((1u << CLUSTER_M) - 1));
                        }
                    }
                }
            }
        }
    } else {
        regs_claim<232>();
        const int c = wg - 1;
        const int lane = threadIdx.x % 32, warp = (threadIdx.x % 128) / 32;
        elem_t* my_c = sC + c * WG_ROWS * BN;
        int it = 0;
        for (int t = cluster_id; t < tiles; t += clusters) {
            int mt, nt;
            order.at(t, mt, nt);
            const int m0 = (mt * CLUSTER_M + rank) * BM + c * WG_ROWS, n0 = nt * BN;
            float d[MI][BN / 2];
            zero_fill(d);
            for (int kt = 0; kt < ktiles; ++kt, ++it) {
                const int s = it % STAGES;
                mbar_wait(&full[s], (it / STAGES) & 1);
                const elem_t* a_tile = sA + s * A_TILE + c * WG_ROWS * KB_TILE_K;
                wgmma_k_tile_async(d, a_tile, sB + s * B_TILE);
                // One group stays in flight: k-tile kt-1's wgmmas are done, release its stage.
                wgmma_wait<1>();
                if (kt > 0) release(empty, (it - 1) % STAGES);
            }
            wgmma_wait<0>();
            if (ktiles > 0) release(empty, (it - 1) % STAGES);
            // Epilogue: the previous tile's store must have read the buffer before it is rewritten.
            if (threadIdx.x % 128 == 0) tma_store_wait_read();
            named_barrier(1 + c, 128);
#pragma unroll
            for (int i = 0; i < MI; ++i) {
#pragma unroll
                for (int j = 0; j < BN / 8; ++j) {
#pragma unroll
                    for (int h = 0; h < 2; ++h) {
                        const int r = 64 * i + 16 * warp + lane / 4 + 8 * h;  // row in this half
                        const int col = 8 * j + 2 * (lane % 4);
                        float v0 = alpha * d[i][4 * j + 2 * h], v1 = alpha * d[i][4 * j + 2 * h + 1];
                        if (beta != 0.0f && m0 + r < M && n0 + col < N) {
                            const index_t at = (index_t)(m0 + r) * N + n0 + col;
                            v0 += beta * to_f32(C[at]);
                            v1 += beta * to_f32(C[at + 1]);
                        }
                        unsigned char* box = reinterpret_cast<unsigned char*>(my_c + (col / 64) * C_BOX);
                        *reinterpret_cast<unsigned*>(box + swizzled(r, col % 64)) =
                            pack2(from_f32(v0), from_f32(v1));
                    }
                }
            }
            fence_proxy_async();  // the generic writes above are read by the TMA store below
            named_barrier(1 + c, 128);
            if (threadIdx.x % 128 == 0) {
#pragma unroll
                for (int j = 0; j < BN / 64; ++j) tma_store(&map_out, my_c + j * C_BOX, n0 + 64 * j, m0);
                tma_store_commit();
            }
        }
        if (threadIdx.x % 128 == 0) tma_store_wait_all();
    }
    cluster_sync();  // no CTA leaves while a peer may still multicast into it or signal it
}
