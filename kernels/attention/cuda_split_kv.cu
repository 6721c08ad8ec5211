// Paged decode attention, split-KV (flash-decoding), CUDA C++ for sm_80 and later.
//
// paged_split_partial: one CTA per (split, kv head x head tile, sequence). Every warp walks
// its own slice of the split's tokens with an online softmax for all HEADS query heads of
// the tile, so each K/V vector is loaded once (16 bytes per lane) and used by every head of
// the GQA group. Lanes form groups of TG lanes per token; a dot product is reduced across
// its group with xor shuffles, the running max across the warp's groups likewise. At the
// end the warps merge through shared memory and the CTA writes its (max, sum, acc) to the
// workspace, or, with a single split, the normalised output.
// paged_split_merge: the log-sum-exp merge of the splits of each (sequence, query head).
//
// Config macros: HEAD_DIM (64/128/256), GROUP (query heads per kv head), HEADS (query heads
// per CTA, <= GROUP), PAGE (tokens per cache block), HND (1: cache [blocks, kv_heads, page,
// dim]; 0: [blocks, page, kv_heads, dim]), WARPS (per CTA), TOKENS (tokens each lane group
// loads per iteration), VEC (16-byte vectors per lane per token), KB_BF16 (elements bf16).
// Scores use exp2: the host passes qk_scale = softmax scale * log2(e).
#include "../gemm/cuda_common.cuh"

#define THREADS (WARPS * 32)
#define SLICE (VEC * 8)                     // elements of one token a lane holds
#define TG (HEAD_DIM / SLICE)               // lanes per token
#define TPW (32 / TG)                       // tokens per warp row
#define WSTEP (TPW * TOKENS)                // tokens per warp per iteration
#define CSTEP (WARPS * WSTEP)               // tokens per CTA per iteration
#define TILES ((GROUP + HEADS - 1) / HEADS) // head tiles per kv head
#define MERGE_ROWS (512 / HEAD_DIM)         // (sequence, head) rows per merge CTA of 128 threads
// A memory-bound kernel wants many warps per SM, each with loads in flight: at most 128
// registers per thread (16 warps of the 64K registers per SM) is asked of the compiler,
// which the variant's head tiling (HEADS x VEC <= 4) lets it meet without spilling.
#define MIN_CTAS (65536 / (128 * THREADS))

static_assert(HEAD_DIM % SLICE == 0 && TG >= 1 && TG <= 32 && 32 % TG == 0, "lanes per token");
static_assert(HEADS >= 1 && HEADS <= GROUP, "heads per CTA");

#define FULL_MASK 0xffffffffu

__device__ __forceinline__ float neg_inf() { return __int_as_float(0xff800000); }

// Eight 16-bit elements of one 16-byte vector as floats.
__device__ __forceinline__ void unpack8(const uint4& raw, float* f) {
    const unsigned words[4] = {raw.x, raw.y, raw.z, raw.w};
#pragma unroll
    for (int i = 0; i < 4; ++i) {
#if KB_BF16
        const float2 v = __bfloat1622float2(*reinterpret_cast<const __nv_bfloat162*>(&words[i]));
#else
        const float2 v = __half22float2(*reinterpret_cast<const __half2*>(&words[i]));
#endif
        f[2 * i] = v.x;
        f[2 * i + 1] = v.y;
    }
}

__device__ __forceinline__ uint4 load16(const elem_t* p) {
    return *reinterpret_cast<const uint4*>(p);
}

// Four floats as four 16-bit elements in one 8-byte store.
__device__ __forceinline__ void store4(elem_t* p, float a, float b, float c, float d) {
    uint2 packed;
    packed.x = pack2(from_f32(a), from_f32(b));
    packed.y = pack2(from_f32(c), from_f32(d));
    *reinterpret_cast<uint2*>(p) = packed;
}

extern "C" __global__ void __launch_bounds__(THREADS, MIN_CTAS)
paged_split_partial(const elem_t* __restrict__ q, const elem_t* __restrict__ k_cache,
                    const elem_t* __restrict__ v_cache, const int* __restrict__ block_tables,
                    const int* __restrict__ context_lens, float* __restrict__ part_acc,
                    float* __restrict__ part_ml, elem_t* __restrict__ out, float qk_scale,
                    int kv_heads, int table_stride, int num_splits) {
    extern __shared__ float4 smem4[];  // [WARPS][HEADS][HEAD_DIM] acc, [WARPS][HEADS] max, sum
    float* red_acc = reinterpret_cast<float*>(smem4);
    float* red_m = red_acc + WARPS * HEADS * HEAD_DIM;
    float* red_l = red_m + WARPS * HEADS;

    const int split = blockIdx.x;
    const int kvh = blockIdx.y / TILES;
    const int head0 = (blockIdx.y % TILES) * HEADS;  // first head of the tile within the group
    const int b = blockIdx.z;
    const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
    const int grp = lane / TG, sub = lane % TG;
    const int q_heads = kv_heads * GROUP;

    // The split's tokens: chunks of whole 16-token steps; a split past the end stays empty.
    const int len = context_lens[b];
    const int chunk = ((len + num_splits - 1) / num_splits + 15) / 16 * 16;
    const int start = split * chunk;
    const int end = min(start + chunk, len);

    // This lane's slice of every query of the tile, pre-scaled, in fp32 registers.
    float qr[HEADS][SLICE];
#pragma unroll
    for (int h = 0; h < HEADS; ++h) {
        const bool real = head0 + h < GROUP;
        const elem_t* row = q + ((index_t)b * q_heads + kvh * GROUP + head0 + h) * HEAD_DIM;
#pragma unroll
        for (int j = 0; j < VEC; ++j) {
            float f[8];
            unpack8(real ? load16(row + (j * TG + sub) * 8) : make_uint4(0, 0, 0, 0), f);
#pragma unroll
            for (int e = 0; e < 8; ++e) qr[h][j * 8 + e] = f[e] * qk_scale;
        }
    }

    float m[HEADS], l[HEADS], acc[HEADS][SLICE];
#pragma unroll
    for (int h = 0; h < HEADS; ++h) {
        m[h] = neg_inf();
        l[h] = 0.0f;
#pragma unroll
        for (int e = 0; e < SLICE; ++e) acc[h][e] = 0.0f;
    }

#if HND
    const index_t tok_stride = HEAD_DIM, head_stride = (index_t)PAGE * HEAD_DIM;
#else
    const index_t tok_stride = (index_t)kv_heads * HEAD_DIM, head_stride = HEAD_DIM;
#endif
    const index_t blk_stride = (index_t)PAGE * kv_heads * HEAD_DIM;
    const elem_t* k_head = k_cache + kvh * head_stride + sub * 8;
    const elem_t* v_head = v_cache + kvh * head_stride + sub * 8;
    const int* table = block_tables + (index_t)b * table_stride;

    // Loop bounds are warp-uniform, so every shuffle below has the whole warp; token `base`
    // is always inside the split, so the warp's running max is finite after one step.
    // TOKENS is the unrolling: the compiler must not unroll further and run out of registers.
#pragma unroll 1
    for (int base = start + warp * WSTEP; base < end; base += CSTEP) {
        uint4 kr[TOKENS][VEC], vr[TOKENS][VEC];
        bool ok[TOKENS];
#pragma unroll
        for (int r = 0; r < TOKENS; ++r) {
            const int tok = base + r * TPW + grp;
            ok[r] = tok < end;
            index_t at = 0;
            if (ok[r]) at = (index_t)table[tok / PAGE] * blk_stride + (tok % PAGE) * tok_stride;
#pragma unroll
            for (int j = 0; j < VEC; ++j) {
                kr[r][j] = ok[r] ? load16(k_head + at + j * TG * 8) : make_uint4(0, 0, 0, 0);
                vr[r][j] = ok[r] ? load16(v_head + at + j * TG * 8) : make_uint4(0, 0, 0, 0);
            }
        }
        float s[TOKENS][HEADS];
#pragma unroll
        for (int r = 0; r < TOKENS; ++r) {
            float kf[SLICE];
#pragma unroll
            for (int j = 0; j < VEC; ++j) unpack8(kr[r][j], kf + j * 8);
#pragma unroll
            for (int h = 0; h < HEADS; ++h) {
                float dot = 0.0f;
#pragma unroll
                for (int e = 0; e < SLICE; ++e) dot = fmaf(qr[h][e], kf[e], dot);
#pragma unroll
                for (int o = TG / 2; o > 0; o /= 2) dot += __shfl_xor_sync(FULL_MASK, dot, o);
                s[r][h] = ok[r] ? dot : neg_inf();
            }
        }
#pragma unroll
        for (int h = 0; h < HEADS; ++h) {
            float mx = s[0][h];
#pragma unroll
            for (int r = 1; r < TOKENS; ++r) mx = fmaxf(mx, s[r][h]);
#pragma unroll
            for (int o = TG; o < 32; o *= 2) mx = fmaxf(mx, __shfl_xor_sync(FULL_MASK, mx, o));
            const float m_new = fmaxf(m[h], mx);
            const float alpha = exp2f(m[h] - m_new);  // 0 on the first step (m = -inf)
            m[h] = m_new;
            l[h] *= alpha;
#pragma unroll
            for (int e = 0; e < SLICE; ++e) acc[h][e] *= alpha;
        }
#pragma unroll
        for (int r = 0; r < TOKENS; ++r) {
            float vf[SLICE];
#pragma unroll
            for (int j = 0; j < VEC; ++j) unpack8(vr[r][j], vf + j * 8);
#pragma unroll
            for (int h = 0; h < HEADS; ++h) {
                const float p = exp2f(s[r][h] - m[h]);  // 0 for tokens past the end
                l[h] += p;
#pragma unroll
                for (int e = 0; e < SLICE; ++e) acc[h][e] = fmaf(p, vf[e], acc[h][e]);
            }
        }
    }

    // The warp's lane groups held different tokens: sum their sums and accumulators.
#pragma unroll
    for (int h = 0; h < HEADS; ++h) {
#pragma unroll
        for (int o = TG; o < 32; o *= 2) {
            l[h] += __shfl_xor_sync(FULL_MASK, l[h], o);
#pragma unroll
            for (int e = 0; e < SLICE; ++e) acc[h][e] += __shfl_xor_sync(FULL_MASK, acc[h][e], o);
        }
    }
    if (grp == 0) {
#pragma unroll
        for (int h = 0; h < HEADS; ++h) {
            float* row = red_acc + (warp * HEADS + h) * HEAD_DIM;
#pragma unroll
            for (int j = 0; j < VEC; ++j)
#pragma unroll
                for (int e = 0; e < 8; e += 4)
                    *reinterpret_cast<float4*>(row + (j * TG + sub) * 8 + e) =
                        make_float4(acc[h][j * 8 + e], acc[h][j * 8 + e + 1],
                                    acc[h][j * 8 + e + 2], acc[h][j * 8 + e + 3]);
            if (sub == 0) {
                red_m[warp * HEADS + h] = m[h];
                red_l[warp * HEADS + h] = l[h];
            }
        }
    }
    __syncthreads();

    // Merge the warps by log-sum-exp: four elements of one head per thread and step.
    for (int idx = threadIdx.x; idx < HEADS * HEAD_DIM / 4; idx += THREADS) {
        const int h = idx / (HEAD_DIM / 4), c = (idx % (HEAD_DIM / 4)) * 4;
        if (head0 + h >= GROUP) continue;
        float mx = neg_inf();
#pragma unroll
        for (int w = 0; w < WARPS; ++w) mx = fmaxf(mx, red_m[w * HEADS + h]);
        float4 a = make_float4(0.0f, 0.0f, 0.0f, 0.0f);
        float sum = 0.0f;
        if (mx != neg_inf()) {
#pragma unroll
            for (int w = 0; w < WARPS; ++w) {
                const float wt = exp2f(red_m[w * HEADS + h] - mx);  // 0 for an idle warp
                const float4 x = *reinterpret_cast<const float4*>(red_acc + (w * HEADS + h) * HEAD_DIM + c);
                sum += wt * red_l[w * HEADS + h];
                a.x += wt * x.x;
                a.y += wt * x.y;
                a.z += wt * x.z;
                a.w += wt * x.w;
            }
        }
        const index_t row = (index_t)b * q_heads + kvh * GROUP + head0 + h;
        if (num_splits == 1) {
            const float inv = sum > 0.0f ? 1.0f / sum : 0.0f;
            store4(out + row * HEAD_DIM + c, a.x * inv, a.y * inv, a.z * inv, a.w * inv);
        } else {
            const index_t slot = row * num_splits + split;
            *reinterpret_cast<float4*>(part_acc + slot * HEAD_DIM + c) = a;
            if (c == 0) *reinterpret_cast<float2*>(part_ml + slot * 2) = make_float2(mx, sum);
        }
    }
}

extern "C" __global__ void __launch_bounds__(128)
paged_split_merge(const float* __restrict__ part_acc, const float* __restrict__ part_ml,
                  elem_t* __restrict__ out, int rows, int num_splits) {
    const int row = blockIdx.x * MERGE_ROWS + threadIdx.x / (HEAD_DIM / 4);
    const int c = (threadIdx.x % (HEAD_DIM / 4)) * 4;
    if (row >= rows) return;
    const float2* ml = reinterpret_cast<const float2*>(part_ml) + (index_t)row * num_splits;
    float mx = neg_inf();
    for (int s = 0; s < num_splits; ++s) mx = fmaxf(mx, ml[s].x);
    float4 a = make_float4(0.0f, 0.0f, 0.0f, 0.0f);
    float sum = 0.0f;
    for (int s = 0; s < num_splits; ++s) {
        const float2 v = ml[s];
        if (v.x == neg_inf()) continue;  // an empty split
        const float wt = exp2f(v.x - mx);
        const float4 x = *reinterpret_cast<const float4*>(part_acc + ((index_t)row * num_splits + s) * HEAD_DIM + c);
        sum += wt * v.y;
        a.x += wt * x.x;
        a.y += wt * x.y;
        a.z += wt * x.z;
        a.w += wt * x.w;
    }
    const float inv = sum > 0.0f ? 1.0f / sum : 0.0f;
    store4(out + (index_t)row * HEAD_DIM + c, a.x * inv, a.y * inv, a.z * inv, a.w * inv);
}
