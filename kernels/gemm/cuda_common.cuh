// Shared device helpers of the CUDA C++ GEMM ladder (steps 1-7).
//
// Every kernel computes Out[M,N] = alpha * A[M,K] @ B[K,N] + beta * C[M,N] with row-major
// A, B, C and Out, fp32 accumulation, and elements of type elem_t: __nv_bfloat16 when the
// backend passes -DKB_BF16=1, __half otherwise. C is read only when beta != 0.
#pragma once

#include <cuda_bf16.h>
#include <cuda_fp16.h>

#ifndef KB_BF16
#define KB_BF16 0
#endif

#if KB_BF16
typedef __nv_bfloat16 elem_t;
#define KB_MMA_TYPE "bf16"
__device__ __forceinline__ float to_f32(elem_t x) { return __bfloat162float(x); }
__device__ __forceinline__ elem_t from_f32(float x) { return __float2bfloat16_rn(x); }
__device__ __forceinline__ unsigned short bits_of(elem_t x) { return __bfloat16_as_ushort(x); }
#else
typedef __half elem_t;
#define KB_MMA_TYPE "f16"
__device__ __forceinline__ float to_f32(elem_t x) { return __half2float(x); }
__device__ __forceinline__ elem_t from_f32(float x) { return __float2half_rn(x); }
__device__ __forceinline__ unsigned short bits_of(elem_t x) { return __half_as_ushort(x); }
#endif

typedef unsigned long long index_t;  // element offsets: M*K may pass 2^31

// Two elements in one 32-bit register, the lower index in the low half (the mma layout).
__device__ __forceinline__ unsigned pack2(elem_t lo, elem_t hi) {
    return (unsigned)bits_of(lo) | ((unsigned)bits_of(hi) << 16);
}

__device__ __forceinline__ float epilogue_value(float acc, const elem_t* c, index_t at,
                                                float alpha, float beta) {
    float v = alpha * acc;
    if (beta != 0.0f) v += beta * to_f32(c[at]);
    return v;
}

// Zero an accumulator array (unrolled, so that it stays in registers).
template <int D0, int D1>
__device__ __forceinline__ void zero_fill(float (&a)[D0][D1]) {
#pragma unroll
    for (int i = 0; i < D0; ++i)
#pragma unroll
        for (int j = 0; j < D1; ++j) a[i][j] = 0.0f;
}

template <int D0, int D1, int D2>
__device__ __forceinline__ void zero_fill(float (&a)[D0][D1][D2]) {
#pragma unroll
    for (int i = 0; i < D0; ++i) zero_fill(a[i]);
}

// --- tensor cores: mma.sync m16n8k16, fp32 accumulators -----------------------------------
//
// Fragment layout (lane = 4 * group + tig): A (16x16) a[0] = rows group, k 2tig..2tig+1;
// a[1] = rows group+8; a[2] = k + 8; a[3] = rows group+8, k + 8. B (16x8) b[0] = k 2tig..+1,
// column group; b[1] = k + 8. C (16x8) c[0..1] = row group, columns 2tig..+1; c[2..3] row +8.
__device__ __forceinline__ void mma_16816(float (&d)[4], const unsigned (&a)[4],
                                          const unsigned (&b)[2]) {
    asm volatile(
        "mma.sync.aligned.m16n8k16.row.col.f32." KB_MMA_TYPE "." KB_MMA_TYPE ".f32 "
        "{%0, %1, %2, %3}, {%4, %5, %6, %7}, {%8, %9}, {%0, %1, %2, %3};\n"
        : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
        : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]), "r"(b[1]));
}

// A fragment from a row-major [rows][lda] shared tile, top-left corner at `tile`.
__device__ __forceinline__ void load_a_frag(unsigned (&a)[4], const elem_t* tile, int lda,
                                            int lane) {
    const elem_t* p = tile + (lane >> 2) * lda + 2 * (lane & 3);
    a[0] = *reinterpret_cast<const unsigned*>(p);
    a[1] = *reinterpret_cast<const unsigned*>(p + 8 * lda);
    a[2] = *reinterpret_cast<const unsigned*>(p + 8);
    a[3] = *reinterpret_cast<const unsigned*>(p + 8 * lda + 8);
}

// B fragment from a row-major [k][ldb] shared tile: the pairs run down k, so two loads each.
__device__ __forceinline__ void load_b_frag(unsigned (&b)[2], const elem_t* tile, int ldb,
                                            int lane) {
    const elem_t* p = tile + 2 * (lane & 3) * ldb + (lane >> 2);
    b[0] = pack2(p[0], p[ldb]);
    b[1] = pack2(p[8 * ldb], p[9 * ldb]);
}

// Write one 16x8 accumulator tile whose top-left output element is (row0, col0).
__device__ __forceinline__ void store_acc_tile(elem_t* out, const elem_t* c, int M, int N,
                                               int row0, int col0, const float (&acc)[4],
                                               float alpha, float beta, int lane) {
    const int row = row0 + (lane >> 2);
    const int col = col0 + 2 * (lane & 3);
#pragma unroll
    for (int i = 0; i < 4; ++i) {
        const int r = row + (i >> 1) * 8;
        const int cc = col + (i & 1);
        if (r < M && cc < N) {
            const index_t at = (index_t)r * N + cc;
            out[at] = from_f32(epilogue_value(acc[i], c, at, alpha, beta));
        }
    }
}

// --- asynchronous copies (sm_80+) -----------------------------------------------------------

__device__ __forceinline__ unsigned smem_addr(const void* p) {
    return (unsigned)__cvta_generic_to_shared(p);
}

// 16 bytes global -> shared, bypassing L1; zero-filled when `valid` is false (src not read).
__device__ __forceinline__ void cp_async_16(void* dst, const void* src, bool valid) {
    asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;\n" ::"r"(smem_addr(dst)),
                 "l"(src), "r"(valid ? 16 : 0)
                 : "memory");
}

__device__ __forceinline__ void cp_async_commit() {
    asm volatile("cp.async.commit_group;\n" ::: "memory");
}

template <int N>
__device__ __forceinline__ void cp_async_wait() {
    asm volatile("cp.async.wait_group %0;\n" ::"n"(N) : "memory");
}

// --- ldmatrix (sm_75+) ----------------------------------------------------------------------

__device__ __forceinline__ void ldmatrix_x4(unsigned (&r)[4], const void* row) {
    asm volatile("ldmatrix.sync.aligned.m8n8.x4.shared.b16 {%0, %1, %2, %3}, [%4];\n"
                 : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3])
                 : "r"(smem_addr(row))
                 : "memory");
}

__device__ __forceinline__ void ldmatrix_x4_trans(unsigned (&r)[4], const void* row) {
    asm volatile("ldmatrix.sync.aligned.m8n8.x4.trans.shared.b16 {%0, %1, %2, %3}, [%4];\n"
                 : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3])
                 : "r"(smem_addr(row))
                 : "memory");
}

// A fragment of a 16x16 tile of a row-major [rows][lda] shared tile with one ldmatrix.x4:
// lanes 0-15 give rows 0-15 at k 0, lanes 16-31 rows 0-15 at k 8.
__device__ __forceinline__ void ldmatrix_a(unsigned (&a)[4], const elem_t* tile, int lda,
                                           int lane) {
    ldmatrix_x4(a, tile + (lane & 15) * lda + (lane >> 4) * 8);
}

// B fragments of two neighbouring n8 tiles (k16 x n16) of a row-major [k][ldb] shared tile
// with one transposing ldmatrix.x4: b0 = tile n 0-7, b1 = tile n 8-15.
__device__ __forceinline__ void ldmatrix_b2(unsigned (&b0)[2], unsigned (&b1)[2],
                                            const elem_t* tile, int ldb, int lane) {
    unsigned r[4];
    ldmatrix_x4_trans(r, tile + ((lane & 7) + ((lane >> 3) & 1) * 8) * ldb + (lane >> 4) * 8);
    b0[0] = r[0];
    b0[1] = r[1];
    b1[0] = r[2];
    b1[1] = r[3];
}
