// Host-only check of the wgmma shared-memory descriptors of ladder steps 8-10 against CuTe.
//
// Run by test_wgmma_descriptors.py (nvcc, no GPU). For every tile shape the kernels use, every
// pipeline stage, consumer warpgroup, m64 sub-tile and k16 step, it builds the descriptor our
// kernels pass to wgmma (desc_a_at / desc_b_at of cuda_wgmma_ops.cuh) and CuTe's descriptor of
// the same shared-memory tile, described independently as a GMMA canonical layout, two ways:
//   fragment: the descriptor tensor of CuTe's SS wgmma atom (what CUTLASS's mainloops issue);
//   direct:   make_gmma_desc on the 64 x 16 (A) or 16 x BN (B) sub-tile itself.
// Fields the hardware reads are compared. Built as a shared library (kernbench's nvcc cache) and
// called through kb_check_wgmma_descriptors, which writes one line per mismatch and a summary.
//
// Shared addresses on the host: CuTe turns a shared pointer into an address with cvta, which
// exists only on the device (its host fallback prints an error and returns 0). In the host
// pass we select CuTe's other code path, __nvvm_get_smem_pointer, and define that function as
// "offset into a host arena": CuTe then computes real start addresses from real pointers.
#include <cstdint>
#include <cstdio>
#include <string>

alignas(1024) static unsigned char g_arena[256 * 1024];
#ifndef __CUDA_ARCH__
#define CUTE_NVVM_GET_SMEM_POINTER_ACTIVATED 1
extern "C" inline uint32_t __nvvm_get_smem_pointer(void const* p) {
    return (uint32_t)((unsigned char const*)p - g_arena);
}
#endif

#include "cuda_wgmma_ops.cuh"  // ours (kernels/gemm), elem_t from -DKB_BF16

#include <cute/arch/mma_sm90.hpp>
#include <cute/atom/mma_traits_sm90_gmma.hpp>
#include <cute/tensor.hpp>

using namespace cute;
#if KB_BF16
using T = cute::bfloat16_t;
#else
using T = cute::half_t;
#endif
static_assert(sizeof(T) == sizeof(elem_t), "CuTe's element and ours differ in size");

constexpr int kSharedLimit = 227 * 1024;  // sm_90 opt-in shared memory per block
constexpr int kMaxStages = 6;             // the largest STAGES in the step 9/10 spaces

static long g_checked = 0, g_failed = 0;
static std::string g_report;

// Compare the fields the hardware reads. LBO is not read for swizzled K-major layouts (A), nor
// for an N-major B only one swizzle width (64 16-bit columns) wide, where there is no next
// column group for it to point to (CuTe then writes 0: the stride of a size-1 mode).
static void compare(const char* what, int bm, int bn, int consumers, unsigned base, int s, int c,
                    int i, int k, u64 ours, GmmaDescriptor theirs, bool read_lbo) {
    const GmmaDescriptor o(ours);
    const bool ok = o.bitfield.start_address_ == theirs.bitfield.start_address_ &&
                    (!read_lbo ||
                     o.bitfield.leading_byte_offset_ == theirs.bitfield.leading_byte_offset_) &&
                    o.bitfield.stride_byte_offset_ == theirs.bitfield.stride_byte_offset_ &&
                    o.bitfield.base_offset_ == theirs.bitfield.base_offset_ &&
                    o.bitfield.layout_type_ == theirs.bitfield.layout_type_;
    ++g_checked;
    if (ok) return;
    ++g_failed;
    char line[512];
    std::snprintf(
        line, sizeof line,
        "MISMATCH %s BM=%d BN=%d consumers=%d base=%u stage=%d consumer=%d m64=%d k16=%d | "
        "ours start=%u lbo=%u sbo=%u base=%u layout=%u | cute start=%u lbo=%u sbo=%u base=%u "
        "layout=%u\n",
        what, bm, bn, consumers, base, s, c, i, k, o.bitfield.start_address_,
        o.bitfield.leading_byte_offset_, o.bitfield.stride_byte_offset_, o.bitfield.base_offset_,
        o.bitfield.layout_type_, theirs.bitfield.start_address_,
        theirs.bitfield.leading_byte_offset_, theirs.bitfield.stride_byte_offset_,
        theirs.bitfield.base_offset_, theirs.bitfield.layout_type_);
    g_report += line;
}

// One tile geometry: a ring of STAGES A tiles [BM][64] (one K-major TMA box each) followed by
// STAGES B tiles [64 k][BN] (BN/64 N-major boxes of [64 k][64 n], box j at 8192 j bytes);
// CONSUMERS warpgroups each own BM/CONSUMERS consecutive rows of A, as in the kernels.
template <int BM, int BN, int CONSUMERS>
void check(unsigned base) {
    constexpr int kStagesFit = (kSharedLimit - 1024) / ((BM + BN) * 64 * (int)sizeof(T));
    constexpr int STAGES = kStagesFit < kMaxStages ? kStagesFit : kMaxStages;
    constexpr int WG_ROWS = BM / CONSUMERS;
    // CuTe's view: canonical 128-byte-swizzle atoms tiled to the tile; B's atoms go down K
    // first (Step<_2,_1,_3>), which is how TMA writes [64 k][64 n] boxes.
    auto layout_a = tile_to_shape(GMMA::Layout_K_SW128_Atom<T>{},
                                  make_shape(Int<BM>{}, Int<64>{}, Int<STAGES>{}));
    auto layout_b = tile_to_shape(GMMA::Layout_MN_SW128_Atom<T>{},
                                  make_shape(Int<BN>{}, Int<64>{}, Int<STAGES>{}),
                                  Step<_2, _1, _3>{});
    T* a_ptr = reinterpret_cast<T*>(g_arena + base);
    T* b_ptr = a_ptr + STAGES * BM * 64;
    Tensor sA = make_tensor(make_smem_ptr(a_ptr), layout_a);  // (BM, 64, STAGES)
    Tensor sB = make_tensor(make_smem_ptr(b_ptr), layout_b);  // (BN, 64, STAGES)

    auto op = GMMA::ss_op_selector<T, T, float, Shape<_64, Int<BN>, _64>, GMMA::Major::K,
                                   GMMA::Major::MN>();
    auto mma = make_tiled_mma(op);
    auto thr = mma.get_slice(0);

    char line[96];
    std::snprintf(line, sizeof line, "covered BM=%d BN=%d consumers=%d stages=%d base=%u\n", BM,
                  BN, CONSUMERS, STAGES, base);
    g_report += line;
    for (int s = 0; s < STAGES; ++s) {
        Tensor sB_s = sB(_, _, s);
        Tensor frag_b = thr.make_fragment_B(thr.partition_B(sB_s));  // (MMA, 1, 4)
        for (int c = 0; c < CONSUMERS; ++c) {
            Tensor sA_c = local_tile(sA(_, _, s), Shape<Int<WG_ROWS>, _64>{}, make_coord(c, 0));
            Tensor frag_a = thr.make_fragment_A(thr.partition_A(sA_c));  // (MMA, WG_ROWS/64, 4)
            // Ours: the pointer arithmetic of the kernels, then the descriptor functions.
            const unsigned ours_a = base + (s * BM * 64 + c * WG_ROWS * KB_TILE_K) * sizeof(T);
            const unsigned ours_b = base + (STAGES * BM * 64 + s * BN * KB_TILE_K) * sizeof(T);
            for (int k = 0; k < KB_TILE_K / 16; ++k) {
                for (int i = 0; i < WG_ROWS / 64; ++i) {
                    const u64 a = desc_a_at(ours_a, i, k);
                    Tensor sub_a = local_tile(sA_c, Shape<_64, _16>{}, make_coord(i, k));
                    compare("A/fragment", BM, BN, CONSUMERS, base, s, c, i, k, a,
                            frag_a(0, i, k), false);
                    compare("A/direct", BM, BN, CONSUMERS, base, s, c, i, k, a,
                            SM90::GMMA::make_gmma_desc<GMMA::Major::K>(sub_a), false);
                }
                const u64 b = desc_b_at(ours_b, k);
                Tensor sub_b = local_tile(sB_s, Shape<Int<BN>, _16>{}, make_coord(0, k));
                compare("B/fragment", BM, BN, CONSUMERS, base, s, c, 0, k, b, frag_b(0, 0, k),
                        BN > 64);
                compare("B/direct", BM, BN, CONSUMERS, base, s, c, 0, k, b,
                        SM90::GMMA::make_gmma_desc<GMMA::Major::MN>(sub_b), BN > 64);
            }
        }
    }
}

template <int BM, int CONSUMERS>
void check_widths(unsigned base) {
    check<BM, 64, CONSUMERS>(base);
    check<BM, 128, CONSUMERS>(base);
    if constexpr (BM / CONSUMERS / 64 * 256 / 2 <= 128) check<BM, 256, CONSUMERS>(base);
}

// Run every check; write a "covered ..." line per geometry, one line per mismatch and a last
// line "checked N descriptors, M mismatches" into `out` (just the last line if the report does
// not fit in `size`). Returns the number of mismatches.
extern "C" __attribute__((visibility("default"))) long kb_check_wgmma_descriptors(char* out,
                                                                                 long size) {
    g_checked = g_failed = 0;
    g_report.clear();
    // The dynamic shared memory base is rounded up to 1024 B (align_1024); try two such bases.
    for (unsigned base : {0u, 3072u}) {
        check_widths<64, 1>(base);   // step 8, BM = 64
        check_widths<128, 1>(base);  // step 8, BM = 128 (BN = 256 does not fit registers)
        check_widths<128, 2>(base);  // steps 9 and 10, BM = 128: 64 rows per consumer
        check_widths<256, 2>(base);  // steps 9 and 10, BM = 256: 128 rows per consumer
    }
    char summary[96];
    std::snprintf(summary, sizeof summary, "checked %ld descriptors, %ld mismatches\n", g_checked,
                  g_failed);
    const std::string text = g_report + summary;
    std::snprintf(out, (size_t)size, "%s", text.size() < (size_t)size ? text.c_str()
                                                                       : summary);
    return g_failed;
}
