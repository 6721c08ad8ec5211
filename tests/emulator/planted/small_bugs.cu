// Small kernels, each correct unless a macro plants its bug.
#include <cuda_pipeline.h>

// -DOFF_BY_ONE: the edge guard lets thread n through (one element past both buffers).
extern "C" __global__ void copy_guarded(const float* in, float* out, int n) {
    int i = blockIdx.x * blockDim.x + threadIdx.x;
#ifdef OFF_BY_ONE
    if (i <= n) out[i] = in[i] * 2.0f;
#else
    if (i < n) out[i] = in[i] * 2.0f;
#endif
}

// 16 bytes per thread copied with cp.async into shared memory, then rotated by one thread.
// -DEARLY_READ reads the destination before the wait that covers the copy.
extern "C" __global__ void async_rotate(const float4* in, float4* out) {
    __shared__ float4 buf[128];
    const int t = threadIdx.x;
    __pipeline_memcpy_async(&buf[t], &in[t], sizeof(float4));
    __pipeline_commit();
#ifdef EARLY_READ
    float4 early = buf[t];
#endif
    __pipeline_wait_prior(0);
    __syncthreads();
    float4 v = buf[(t + 1) % blockDim.x];
#ifdef EARLY_READ
    v.x += early.x * 0.0f;
#endif
    out[t] = v;
}

// A block-wide sum through shared memory. -DDIVERGENT_SYNC puts a __syncthreads inside a branch
// that only the first warp takes.
extern "C" __global__ void block_sum(const float* in, float* out) {
    __shared__ float part[128];
    const int t = threadIdx.x;
    part[t] = in[t];
#ifdef DIVERGENT_SYNC
    if (t < 32) __syncthreads();
#endif
    __syncthreads();
    if (t == 0) {
        float s = 0.f;
        for (int i = 0; i < blockDim.x; ++i) s += part[i];
        out[0] = s;
    }
}

// A warp sum with shuffles. -DPARTIAL_MASK names only the lower half-warp in the member mask
// while all 32 lanes execute the shuffles.
extern "C" __global__ void warp_sum(const float* in, float* out) {
#ifdef PARTIAL_MASK
    const unsigned mask = 0x0000ffffu;
#else
    const unsigned mask = 0xffffffffu;
#endif
    float v = in[threadIdx.x];
    for (int o = 16; o > 0; o /= 2) v += __shfl_down_sync(mask, v, o);
    if (threadIdx.x == 0) out[0] = v;
}
