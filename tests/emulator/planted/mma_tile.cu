// D (16x8, f32) = A (16x16, f16, row-major) x B (16x8, f16, row-major) with mma.sync m16n8k16.
// Two warps stage A and B through shared memory; the first then reads them as fragments with
// ldmatrix (B with .trans, since mma wants it column-major) and multiplies.
// Planted bugs: -DNO_SYNC drops the barrier between the shared stores and the fragment
// loads; -DNO_TRANS loads B without .trans (a wrong result, not a finding).
#include <cuda_fp16.h>

extern "C" __global__ void mma_tile(const __half* A, const __half* B, float* D) {
    __shared__ __align__(16) __half a_s[16 * 16];
    __shared__ __align__(16) __half b_s[16 * 8];
    for (int i = threadIdx.x; i < 16 * 16; i += 64) a_s[i] = A[i];
    for (int i = threadIdx.x; i < 16 * 8; i += 64) b_s[i] = B[i];
#ifndef NO_SYNC
    __syncthreads();
#endif
    if (threadIdx.x >= 32) return;
    const int lane = threadIdx.x;
    unsigned a[4], b[2];
    // x4 over A: lanes 0-15 give rows 0-15 of the left 8 columns, lanes 16-31 the right ones.
    unsigned a_addr = (unsigned)__cvta_generic_to_shared(&a_s[(lane % 16) * 16 + (lane / 16) * 8]);
    asm volatile("ldmatrix.sync.aligned.m8n8.x4.shared.b16 {%0,%1,%2,%3}, [%4];"
                 : "=r"(a[0]), "=r"(a[1]), "=r"(a[2]), "=r"(a[3]) : "r"(a_addr));
    // x2 over B (16 rows of k, 8 columns of n): lanes 0-15 give rows k = 0..15.
    unsigned b_addr = (unsigned)__cvta_generic_to_shared(&b_s[(lane % 16) * 8]);
#ifdef NO_TRANS
    asm volatile("ldmatrix.sync.aligned.m8n8.x2.shared.b16 {%0,%1}, [%2];"
                 : "=r"(b[0]), "=r"(b[1]) : "r"(b_addr));
#else
    asm volatile("ldmatrix.sync.aligned.m8n8.x2.trans.shared.b16 {%0,%1}, [%2];"
                 : "=r"(b[0]), "=r"(b[1]) : "r"(b_addr));
#endif
    float d[4] = {0.f, 0.f, 0.f, 0.f};
    asm volatile(
        "mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, "
        "{%8,%9}, {%0,%1,%2,%3};"
        : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
        : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]), "r"(b[1]));
    // D fragment: rows lane/4 and lane/4 + 8, columns 2*(lane%4) and +1.
    const int row = lane / 4, col = 2 * (lane % 4);
    D[row * 8 + col] = d[0];
    D[row * 8 + col + 1] = d[1];
    D[(row + 8) * 8 + col] = d[2];
    D[(row + 8) * 8 + col + 1] = d[3];
}
