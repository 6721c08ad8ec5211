// Ladder step 3: tensor cores through mma.sync m16n8k16, accumulators kept in registers.
// Config macros: BM, BN, BK (block tile), WARPS_M, WARPS_N (warp grid; each warp owns a
// (BM/WARPS_M) x (BN/WARPS_N) tile of 16x8 mma tiles).
// The warp tiling, mma and epilogue come from cuda_mma_tiles.cuh (steps 4-7 keep them);
// this kernel shows the K loop they make up.
#define PAD 0  // unpadded shared rows: the fragment reads conflict on banks (step 4 pads them)
#include "cuda_mma_tiles.cuh"

extern "C" __global__ void __launch_bounds__(THREADS, 1)
gemm_cuda_mma(const elem_t* __restrict__ A, const elem_t* __restrict__ B,
              elem_t* __restrict__ Out, const elem_t* __restrict__ C,
              int M, int N, int K, float alpha, float beta) {
    __shared__ __align__(16) elem_t As[BM * LDA];  // As[m][k]
    __shared__ __align__(16) elem_t Bs[BK * LDB];  // Bs[k][n]
    const int tid = threadIdx.x;
    const WarpTile w = warp_tile(tid);
    const int block_m = blockIdx.y * BM;
    const int block_n = blockIdx.x * BN;
    const elem_t zero = from_f32(0.0f);

    float acc[MI][NI][4];
    zero_fill(acc);
    for (int k0 = 0; k0 < K; k0 += BK) {
        // One element per load: any M, N, K, bounds-checked and zero-filled at the edges.
        for (int i = tid; i < BM * BK; i += THREADS) {
            const int r = i / BK, c = i % BK;
            const int gr = block_m + r, gc = k0 + c;
            As[i] = (gr < M && gc < K) ? A[(index_t)gr * K + gc] : zero;
        }
        for (int i = tid; i < BK * BN; i += THREADS) {
            const int r = i / BN, c = i % BN;
            const int gr = k0 + r, gc = block_n + c;
            Bs[i] = (gr < K && gc < N) ? B[(index_t)gr * N + gc] : zero;
        }
        __syncthreads();
        // Each warp multiplies its fragments of the tile on the tensor cores, k16 by k16.
#pragma unroll
        for (int kk = 0; kk < BK; kk += 16) {
            unsigned a[MI][4], b[NI][2];
#pragma unroll
            for (int i = 0; i < MI; ++i)
                load_a_frag(a[i], As + (w.m + i * 16) * LDA + kk, LDA, w.lane);
#pragma unroll
            for (int j = 0; j < NI; ++j)
                load_b_frag(b[j], Bs + kk * LDB + w.n + j * 8, LDB, w.lane);
            mma_tiles(acc, a, b);
        }
        __syncthreads();
    }
    store_warp_tile(Out, C, M, N, block_m, block_n, acc, alpha, beta, w);
}
