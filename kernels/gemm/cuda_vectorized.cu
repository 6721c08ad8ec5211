// Ladder step 4: step 3 plus 128-bit global loads and conflict-free shared memory.
// Config macros: BM, BN, BK, WARPS_M, WARPS_N as in step 3; PAD (elements added to each
// shared row: 8 makes the fragment reads conflict-free, 0 shows the conflicts).
// Needs K and N multiples of 8 and 16-byte aligned tensors (the Python side checks).
#include "cuda_common.cuh"

#define THREADS (WARPS_M * WARPS_N * 32)
#define CHUNKS(elems) (((elems) / 8 + THREADS - 1) / THREADS)  // 16-byte copies per thread
#define WM (BM / WARPS_M)
#define WN (BN / WARPS_N)
#define MI (WM / 16)
#define NI (WN / 8)
#define LDA (BK + PAD)
#define LDB (BN + PAD)

extern "C" __global__ void __launch_bounds__(THREADS, 1)
gemm_cuda_vectorized(const elem_t* __restrict__ A, const elem_t* __restrict__ B,
                     elem_t* __restrict__ Out, const elem_t* __restrict__ C,
                     int M, int N, int K, float alpha, float beta) {
    __shared__ __align__(16) elem_t As[BM * LDA];
    __shared__ __align__(16) elem_t Bs[BK * LDB];
    const int tid = threadIdx.x;
    const int lane = tid % 32;
    const int warp = tid / 32;
    const int warp_m = (warp / WARPS_N) * WM;
    const int warp_n = (warp % WARPS_N) * WN;
    const int block_m = blockIdx.y * BM;
    const int block_n = blockIdx.x * BN;
    const uint4 zero = make_uint4(0, 0, 0, 0);

    float acc[MI][NI][4];
#pragma unroll
    for (int i = 0; i < MI; ++i)
#pragma unroll
        for (int j = 0; j < NI; ++j)
#pragma unroll
            for (int r = 0; r < 4; ++r) acc[i][j][r] = 0.0f;

    for (int k0 = 0; k0 < K; k0 += BK) {
        // Eight elements (16 bytes) per load; K % 8 == 0 and N % 8 == 0 make a chunk wholly
        // inside or wholly outside the matrix.
#pragma unroll
        for (int it = 0; it < CHUNKS(BM * BK); ++it) {
            const int i = it * THREADS + tid;
            if (i >= BM * BK / 8) break;
            const int r = i / (BK / 8), c = (i % (BK / 8)) * 8;
            const int gr = block_m + r, gc = k0 + c;
            *reinterpret_cast<uint4*>(As + r * LDA + c) =
                (gr < M && gc < K) ? *reinterpret_cast<const uint4*>(A + (index_t)gr * K + gc) : zero;
        }
#pragma unroll
        for (int it = 0; it < CHUNKS(BK * BN); ++it) {
            const int i = it * THREADS + tid;
            if (i >= BK * BN / 8) break;
            const int r = i / (BN / 8), c = (i % (BN / 8)) * 8;
            const int gr = k0 + r, gc = block_n + c;
            *reinterpret_cast<uint4*>(Bs + r * LDB + c) =
                (gr < K && gc < N) ? *reinterpret_cast<const uint4*>(B + (index_t)gr * N + gc) : zero;
        }
        __syncthreads();
#pragma unroll
        for (int kk = 0; kk < BK; kk += 16) {
            unsigned a[MI][4], b[NI][2];
#pragma unroll
            for (int i = 0; i < MI; ++i)
                load_a_frag(a[i], As + (warp_m + i * 16) * LDA + kk, LDA, lane);
#pragma unroll
            for (int j = 0; j < NI; ++j)
                load_b_frag(b[j], Bs + kk * LDB + warp_n + j * 8, LDB, lane);
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
