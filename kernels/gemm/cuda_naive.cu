// Ladder step 1: naive SIMT GEMM, one thread per output element.
// Config macros: BLOCK_X (threads along N), BLOCK_Y (threads along M).
#include "cuda_common.cuh"

extern "C" __global__ void __launch_bounds__(BLOCK_X * BLOCK_Y)
gemm_cuda_naive(const elem_t* __restrict__ A, const elem_t* __restrict__ B,
                elem_t* __restrict__ Out, const elem_t* __restrict__ C,
                int M, int N, int K, float alpha, float beta) {
    // threadIdx.x runs along N so a warp reads a row of B and writes a row of Out coalesced.
    const int col = blockIdx.x * BLOCK_X + (int)(threadIdx.x % BLOCK_X);
    const int row = blockIdx.y * BLOCK_Y + (int)(threadIdx.x / BLOCK_X);
    if (row >= M || col >= N) return;
    const elem_t* a = A + (index_t)row * K;
    const elem_t* b = B + col;
    float acc = 0.0f;
    for (int k = 0; k < K; ++k) acc += to_f32(a[k]) * to_f32(b[(index_t)k * N]);
    const index_t at = (index_t)row * N + col;
    Out[at] = from_f32(epilogue_value(acc, C, at, alpha, beta));
}
