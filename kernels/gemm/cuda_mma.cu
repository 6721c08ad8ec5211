// Ladder step 3: tensor cores through mma.sync m16n8k16, accumulators kept in registers.
// Config macros: BM, BN, BK (block tile), WARPS_M, WARPS_N (warp grid; each warp owns a
// (BM/WARPS_M) x (BN/WARPS_N) tile of 16x8 mma tiles).
#include "cuda_common.cuh"

#define THREADS (WARPS_M * WARPS_N * 32)
#define WM (BM / WARPS_M)
#define WN (BN / WARPS_N)
#define MI (WM / 16)
#define NI (WN / 8)

extern "C" __global__ void __launch_bounds__(THREADS, 1)
gemm_cuda_mma(const elem_t* __restrict__ A, const elem_t* __restrict__ B,
              elem_t* __restrict__ Out, const elem_t* __restrict__ C,
              int M, int N, int K, float alpha, float beta) {
    __shared__ __align__(16) elem_t As[BM * BK];  // As[m][k]
    __shared__ __align__(16) elem_t Bs[BK * BN];  // Bs[k][n]
    const int tid = threadIdx.x;
    const int lane = tid % 32;
    const int warp = tid / 32;
    const int warp_m = (warp / WARPS_N) * WM;
    const int warp_n = (warp % WARPS_N) * WN;
    const int block_m = blockIdx.y * BM;
    const int block_n = blockIdx.x * BN;
    const elem_t zero = from_f32(0.0f);

    float acc[MI][NI][4];
#pragma unroll
    for (int i = 0; i < MI; ++i)
#pragma unroll
        for (int j = 0; j < NI; ++j)
#pragma unroll
            for (int r = 0; r < 4; ++r) acc[i][j][r] = 0.0f;

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
#pragma unroll
        for (int kk = 0; kk < BK; kk += 16) {
            unsigned a[MI][4], b[NI][2];
#pragma unroll
            for (int i = 0; i < MI; ++i)
                load_a_frag(a[i], As + (warp_m + i * 16) * BK + kk, BK, lane);
#pragma unroll
            for (int j = 0; j < NI; ++j)
                load_b_frag(b[j], Bs + kk * BN + warp_n + j * 8, BN, lane);
#pragma unroll
            for (int i = 0; i < MI; ++i)
#pragma unroll
                for (int j = 0; j < NI; ++j) mma_16816(acc[i][j], a[i], b[j]);
        }
        __syncthreads();
    }
#pragma unroll
    for (int i = 0; i < MI; ++i)
#pragma unroll
        for (int j = 0; j < NI; ++j)
            store_acc_tile(Out, C, M, N, block_m + warp_m + i * 16, block_n + warp_n + j * 8,
                           acc[i][j], alpha, beta, lane);
}
