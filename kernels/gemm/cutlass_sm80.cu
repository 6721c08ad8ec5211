// One CUTLASS 2.x tensor-core GEMM (mma.sync, cp.async multistage; Sm80 kernel), chosen by
// macros: the baseline for the mma.sync steps of the CUDA ladder. Same C interface as
// cutlass_sm90.cu (cutlass_api.cuh). Macros (all required):
//   KB_ELEMENT, KB_LAYOUT_A, KB_LAYOUT_B   as in cutlass_sm90.cu
//   KB_TILE_M/N/K                          threadblock tile
//   KB_WARP_M/N                            warp tile (warp K = threadblock K)
//   KB_STAGES                              cp.async pipeline depth
//   KB_SWIZZLE                             threadblock swizzle width (1, 2, 4 or 8)

#include <cstdint>

#include "cutlass/cutlass.h"
#include "cutlass/epilogue/thread/linear_combination.h"
#include "cutlass/gemm/device/gemm.h"
#include "cutlass/gemm/threadblock/threadblock_swizzle.h"
#include "cutlass_api.cuh"

using Element = KB_ELEMENT;
constexpr int kAlignment = 128 / cutlass::sizeof_bits<Element>::value;

using Gemm = cutlass::gemm::device::Gemm<
    Element, KB_LAYOUT_A, Element, KB_LAYOUT_B, Element, cutlass::layout::RowMajor, float,
    cutlass::arch::OpClassTensorOp, cutlass::arch::Sm80,
    cutlass::gemm::GemmShape<KB_TILE_M, KB_TILE_N, KB_TILE_K>,
    cutlass::gemm::GemmShape<KB_WARP_M, KB_WARP_N, KB_TILE_K>,
    cutlass::gemm::GemmShape<16, 8, 16>,
    cutlass::epilogue::thread::LinearCombination<Element, kAlignment, float, float>,
    cutlass::gemm::threadblock::GemmIdentityThreadblockSwizzle<KB_SWIZZLE>,
    KB_STAGES, kAlignment, kAlignment>;

namespace {

typename Gemm::Arguments to_arguments(const KbArgs* a) {
  using RefA = cutlass::TensorRef<Element const, KB_LAYOUT_A>;
  using RefB = cutlass::TensorRef<Element const, KB_LAYOUT_B>;
  using RefC = cutlass::TensorRef<Element const, cutlass::layout::RowMajor>;
  using RefD = cutlass::TensorRef<Element, cutlass::layout::RowMajor>;
  return typename Gemm::Arguments(
      {a->m, a->n, a->k},
      RefA(static_cast<Element const*>(a->a), a->lda),
      RefB(static_cast<Element const*>(a->b), a->ldb),
      RefC(static_cast<Element const*>(a->c), a->ldc),
      RefD(static_cast<Element*>(a->d), a->ldd),
      {a->alpha, a->beta});
}

struct Handle {
  Gemm gemm;
  int device;
};

}  // namespace

extern "C" {

KB_EXPORT int kb_info(KbInfo* info) {
  info->shared_bytes = static_cast<int>(sizeof(typename Gemm::GemmKernel::SharedStorage));
  info->threads = static_cast<int>(Gemm::GemmKernel::kThreadCount);
  info->stages = KB_STAGES;
  return 0;
}

KB_EXPORT int kb_check(const KbArgs* a, size_t* workspace_bytes) {
  if (int e = kb_cuda_error(cudaSetDevice(a->device))) return e;
  typename Gemm::Arguments args = to_arguments(a);
  cutlass::Status status = Gemm::can_implement(args);
  if (status != cutlass::Status::kSuccess) return static_cast<int>(status);
  *workspace_bytes = Gemm::get_workspace_size(args);
  return 0;
}

KB_EXPORT void* kb_create(const KbArgs* a, void* workspace, void* stream, int* status) {
  if ((*status = kb_cuda_error(cudaSetDevice(a->device)))) return nullptr;
  auto* h = new Handle{Gemm{}, a->device};
  cutlass::Status s = h->gemm.initialize(to_arguments(a), workspace, static_cast<cudaStream_t>(stream));
  *status = static_cast<int>(s);
  if (s != cutlass::Status::kSuccess) {
    delete h;
    return nullptr;
  }
  return h;
}

KB_EXPORT int kb_run(void* handle, void* stream) {
  auto* h = static_cast<Handle*>(handle);
  if (int e = kb_cuda_error(cudaSetDevice(h->device))) return e;
  cutlass::Status status = h->gemm.run(static_cast<cudaStream_t>(stream));
  if (status != cutlass::Status::kSuccess) return static_cast<int>(status);
  return kb_cuda_error(cudaGetLastError());
}

KB_EXPORT void kb_destroy(void* handle) { delete static_cast<Handle*>(handle); }

}  // extern "C"
