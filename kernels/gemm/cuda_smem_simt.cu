// Ladder step 2: shared-memory tiling with register blocking, still on the SIMT cores.
// Config macros: BM, BN, BK (block tile), TM, TN (outputs per thread along M and N).
#include "cuda_common.cuh"

#define THREADS ((BM / TM) * (BN / TN))
#define LDA_T (BM + 1)  // A is stored transposed; +1 keeps the transposing writes conflict-free

extern "C" __global__ void __launch_bounds__(THREADS, 1)
gemm_cuda_smem_simt(const elem_t* __restrict__ A, const elem_t* __restrict__ B,
                    elem_t* __restrict__ Out, const elem_t* __restrict__ C,
                    int M, int N, int K, float alpha, float beta) {
    __shared__ float As[BK * LDA_T];  // As[k][m]
    __shared__ float Bs[BK * BN];     // Bs[k][n]
    const int tid = threadIdx.x;
    const int tx = tid % (BN / TN);
    const int ty = tid / (BN / TN);
    const int block_m = blockIdx.y * BM;
    const int block_n = blockIdx.x * BN;

    // Thread (ty, tx) owns rows ty + i*(BM/TM) and columns tx + j*(BN/TN): strided, so a
    // warp reads consecutive Bs words and writes consecutive Out columns.
    float acc[TM][TN];
    zero_fill(acc);

    for (int k0 = 0; k0 < K; k0 += BK) {
        for (int i = tid; i < BM * BK; i += THREADS) {
            const int r = i / BK, c = i % BK;
            const int gr = block_m + r, gc = k0 + c;
            As[c * LDA_T + r] = (gr < M && gc < K) ? to_f32(A[(index_t)gr * K + gc]) : 0.0f;
        }
        for (int i = tid; i < BK * BN; i += THREADS) {
            const int r = i / BN, c = i % BN;
            const int gr = k0 + r, gc = block_n + c;
            Bs[r * BN + c] = (gr < K && gc < N) ? to_f32(B[(index_t)gr * N + gc]) : 0.0f;
        }
        __syncthreads();
#pragma unroll
        for (int kk = 0; kk < BK; ++kk) {
            float a[TM], b[TN];
#pragma unroll
            for (int i = 0; i < TM; ++i) a[i] = As[kk * LDA_T + ty + i * (BM / TM)];
#pragma unroll
            for (int j = 0; j < TN; ++j) b[j] = Bs[kk * BN + tx + j * (BN / TN)];
#pragma unroll
            for (int i = 0; i < TM; ++i)
#pragma unroll
                for (int j = 0; j < TN; ++j) acc[i][j] += a[i] * b[j];
        }
        __syncthreads();
    }
#pragma unroll
    for (int i = 0; i < TM; ++i) {
        const int row = block_m + ty + i * (BM / TM);
#pragma unroll
        for (int j = 0; j < TN; ++j) {
            const int col = block_n + tx + j * (BN / TN);
            if (row < M && col < N) {
                const index_t at = (index_t)row * N + col;
                Out[at] = from_f32(epilogue_value(acc[i][j], C, at, alpha, beta));
            }
        }
    }
}
