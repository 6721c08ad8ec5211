// Ladder step 7: step 6 with a threadblock swizzle for L2 reuse and an epilogue through
// shared memory (128-bit coalesced stores); its space adds larger block and warp tiles.
// Config macros: BM, BN, BK, WARPS_M, WARPS_N (BN / WARPS_N a multiple of 16), STAGES,
// GROUP_M (tile rows per swizzle group; 1 = plain row-major order).
// Dynamic shared memory: max(STAGES * (BM*(BK+8) + BK*(BN+8)), BM*(BN+8)) elements; the
// epilogue reuses the pipeline's buffers.
#define PAD 8
#include "cuda_mma_tiles.cuh"

#define LDC (BN + PAD)

extern "C" __global__ void __launch_bounds__(THREADS, 1)
gemm_cuda_tuned(const elem_t* __restrict__ A, const elem_t* __restrict__ B,
                   elem_t* __restrict__ Out, const elem_t* __restrict__ C,
                   int M, int N, int K, float alpha, float beta) {
    extern __shared__ __align__(16) unsigned char smem[];
    elem_t* As = reinterpret_cast<elem_t*>(smem);
    elem_t* Bs = As + STAGES * A_STAGE;
    const int tid = threadIdx.x;
    const WarpTile w = warp_tile(tid);
    // Threadblock swizzle: consecutive blocks walk down a group of GROUP_M tile rows before
    // moving right, so the A rows and B columns they share are still in L2.
    const int tiles_m = (M + BM - 1) / BM;
    const int tiles_n = (N + BN - 1) / BN;
    const int per_group = GROUP_M * tiles_n;
    const int group = blockIdx.x / per_group;
    const int first_m = group * GROUP_M;
    const int rows_in_group = min(tiles_m - first_m, GROUP_M);
    const int in_group = blockIdx.x % per_group;
    const int block_m = (first_m + in_group % rows_in_group) * BM;
    const int block_n = (in_group / rows_in_group) * BN;
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
    __syncthreads();  // every warp is done with the pipeline buffers: reuse them for Out

    // Epilogue: scale, round to elem_t and stage the block tile in shared memory, then write
    // it back in 16-byte row chunks (N % 8 == 0), adding beta * C chunk by chunk.
    elem_t* Cs = As;
#pragma unroll
    for (int i = 0; i < MI; ++i)
#pragma unroll
        for (int j = 0; j < NI; ++j) {
            const int r = w.m + i * 16 + w.lane / 4;
            const int c = w.n + j * 8 + 2 * (w.lane % 4);
            *reinterpret_cast<unsigned*>(Cs + r * LDC + c) =
                pack2(from_f32(alpha * acc[i][j][0]), from_f32(alpha * acc[i][j][1]));
            *reinterpret_cast<unsigned*>(Cs + (r + 8) * LDC + c) =
                pack2(from_f32(alpha * acc[i][j][2]), from_f32(alpha * acc[i][j][3]));
        }
    __syncthreads();
#pragma unroll
    for (int it = 0; it < CHUNKS(BM * BN); ++it) {
        const int i = it * THREADS + tid;
        if (i >= BM * BN / 8) break;
        const int r = i / (BN / 8), c = (i % (BN / 8)) * 8;
        const int gr = block_m + r, gc = block_n + c;
        if (gr >= M || gc >= N) continue;
        uint4 v = *reinterpret_cast<const uint4*>(Cs + r * LDC + c);
        const index_t at = (index_t)gr * N + gc;
        if (beta != 0.0f) {
            const uint4 old = *reinterpret_cast<const uint4*>(C + at);
            elem_t* e = reinterpret_cast<elem_t*>(&v);
            const elem_t* o = reinterpret_cast<const elem_t*>(&old);
#pragma unroll
            for (int q = 0; q < 8; ++q) e[q] = from_f32(to_f32(e[q]) + beta * to_f32(o[q]));
        }
        *reinterpret_cast<uint4*>(Out + at) = v;
    }
}
