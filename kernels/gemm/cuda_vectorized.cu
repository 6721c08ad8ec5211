// Ladder step 4: step 3 plus 128-bit global loads and conflict-free shared memory.
// Config macros: BM, BN, BK, WARPS_M, WARPS_N as in step 3; PAD (elements added to each
// shared row: 8 makes the fragment reads conflict-free, 0 shows the conflicts).
// Needs K and N multiples of 8 and 16-byte aligned tensors (the Python side checks).
#include "cuda_mma_tiles.cuh"

extern "C" __global__ void __launch_bounds__(THREADS, 1)
gemm_cuda_vectorized(const elem_t* __restrict__ A, const elem_t* __restrict__ B,
                     elem_t* __restrict__ Out, const elem_t* __restrict__ C,
                     int M, int N, int K, float alpha, float beta) {
    __shared__ __align__(16) elem_t As[BM * LDA];
    __shared__ __align__(16) elem_t Bs[BK * LDB];
    const int tid = threadIdx.x;
    const WarpTile w = warp_tile(tid);
    const int block_m = blockIdx.y * BM;
    const int block_n = blockIdx.x * BN;
    const uint4 zero = make_uint4(0, 0, 0, 0);

    float acc[MI][NI][4];
    zero_fill(acc);
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
