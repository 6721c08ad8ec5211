// One CUTLASS 3.x sm_90a GEMM, D = alpha * A @ B + beta * C, chosen by macros at compile time.
//
// kernbench compiles this file once per config into a shared library (see
// kernbench/backends/nvcc_lib.py) and drives it through the C functions at the bottom:
// the GemmUniversalAdapter builds the TMA descriptors on the host, which a bare cubin
// launch could not do. Macros (all required):
//   KB_ELEMENT      cutlass::half_t | cutlass::bfloat16_t   (A, B, C and D)
//   KB_LAYOUT_A/B   cutlass::layout::RowMajor | cutlass::layout::ColumnMajor
//   KB_TILE_M/N/K   CTA tile
//   KB_CLUSTER_M/N  thread-block cluster shape
//   KB_SCHEDULE     0 = TMA warp-specialised cooperative, 1 = ping-pong
//   KB_STREAMK      0 = persistent data-parallel tile scheduler, 1 = stream-K

#include <cstdint>
#include <cstring>

#include "cutlass/cutlass.h"
#include "cute/tensor.hpp"
#include "cutlass/epilogue/collective/collective_builder.hpp"
#include "cutlass/gemm/collective/collective_builder.hpp"
#include "cutlass/gemm/device/gemm_universal_adapter.h"
#include "cutlass/gemm/dispatch_policy.hpp"
#include "cutlass/gemm/kernel/gemm_universal.hpp"
#include "cutlass/kernel_hardware_info.h"
#include "cutlass_api.cuh"

using namespace cute;

using Element = KB_ELEMENT;
using LayoutA = KB_LAYOUT_A;
using LayoutB = KB_LAYOUT_B;
using LayoutC = cutlass::layout::RowMajor;
using Accumulator = float;
constexpr int kAlignment = 128 / cutlass::sizeof_bits<Element>::value;  // 16-byte TMA rows

using TileShape = Shape<Int<KB_TILE_M>, Int<KB_TILE_N>, Int<KB_TILE_K>>;
using ClusterShape = Shape<Int<KB_CLUSTER_M>, Int<KB_CLUSTER_N>, _1>;

#if KB_SCHEDULE == 0
using MainloopSchedule = cutlass::gemm::KernelTmaWarpSpecializedCooperative;
using EpilogueSchedule = cutlass::epilogue::TmaWarpSpecializedCooperative;
#else
using MainloopSchedule = cutlass::gemm::KernelTmaWarpSpecializedPingpong;
using EpilogueSchedule = cutlass::epilogue::TmaWarpSpecialized;
#endif

#if KB_STREAMK
using TileScheduler = cutlass::gemm::StreamKScheduler;
#else
using TileScheduler = cutlass::gemm::PersistentScheduler;
#endif

using CollectiveEpilogue = typename cutlass::epilogue::collective::CollectiveBuilder<
    cutlass::arch::Sm90, cutlass::arch::OpClassTensorOp, TileShape, ClusterShape,
    cutlass::epilogue::collective::EpilogueTileAuto, Accumulator, Accumulator,
    Element, LayoutC, kAlignment, Element, LayoutC, kAlignment,
    EpilogueSchedule>::CollectiveOp;

using CollectiveMainloop = typename cutlass::gemm::collective::CollectiveBuilder<
    cutlass::arch::Sm90, cutlass::arch::OpClassTensorOp,
    Element, LayoutA, kAlignment, Element, LayoutB, kAlignment, Accumulator,
    TileShape, ClusterShape,
    cutlass::gemm::collective::StageCountAutoCarveout<
        static_cast<int>(sizeof(typename CollectiveEpilogue::SharedStorage))>,
    MainloopSchedule>::CollectiveOp;

using GemmKernel = cutlass::gemm::kernel::GemmUniversal<
    Shape<int, int, int, int>, CollectiveMainloop, CollectiveEpilogue, TileScheduler>;
using Gemm = cutlass::gemm::device::GemmUniversalAdapter<GemmKernel>;

namespace {

// Strides of CUTLASS 3.x are (outer, inner, batch) tuples with one static unit entry:
// set the dynamic leading dimension and leave the unit one alone.
template <class Stride>
Stride leading(int64_t ld, bool unit_first) {
  Stride s{};
  if (unit_first) {
    if constexpr (!cute::is_static_v<std::remove_reference_t<decltype(get<1>(s))>>) get<1>(s) = ld;
  } else {
    if constexpr (!cute::is_static_v<std::remove_reference_t<decltype(get<0>(s))>>) get<0>(s) = ld;
  }
  return s;
}

constexpr bool kRowA = std::is_same_v<LayoutA, cutlass::layout::RowMajor>;
constexpr bool kRowB = std::is_same_v<LayoutB, cutlass::layout::RowMajor>;

typename Gemm::Arguments to_arguments(const KbArgs* a) {
  using StrideA = typename Gemm::GemmKernel::StrideA;
  using StrideB = typename Gemm::GemmKernel::StrideB;
  using StrideC = typename Gemm::GemmKernel::StrideC;
  using StrideD = typename Gemm::GemmKernel::StrideD;
  // A is M x K: row-major means K is the unit stride. B is seen as N x K by CUTLASS 3:
  // a row-major K x N B has N as the unit stride.
  StrideA sa = leading<StrideA>(a->lda, !kRowA);
  StrideB sb = leading<StrideB>(a->ldb, kRowB);
  StrideC sc = leading<StrideC>(a->ldc, false);
  StrideD sd = leading<StrideD>(a->ldd, false);

  cutlass::KernelHardwareInfo hw;
  hw.device_id = a->device;
  hw.sm_count = cutlass::KernelHardwareInfo::query_device_multiprocessor_count(hw.device_id);

  typename Gemm::Arguments args{
      cutlass::gemm::GemmUniversalMode::kGemm,
      {a->m, a->n, a->k, 1},
      {static_cast<const Element*>(a->a), sa, static_cast<const Element*>(a->b), sb},
      {{a->alpha, a->beta},
       static_cast<const Element*>(a->c), sc, static_cast<Element*>(a->d), sd},
      hw};
  args.scheduler.max_swizzle_size = a->swizzle;
  using Raster = decltype(args.scheduler.raster_order);
  args.scheduler.raster_order =
      a->raster == 1 ? Raster::AlongM : (a->raster == 2 ? Raster::AlongN : Raster::Heuristic);
  return args;
}

struct Handle {
  Gemm gemm;
  typename Gemm::Arguments args;
  void* workspace;
  int device;
};

}  // namespace

extern "C" {

KB_EXPORT int kb_info(KbInfo* info) {
  info->shared_bytes = static_cast<int>(GemmKernel::SharedStorageSize);
  info->threads = static_cast<int>(GemmKernel::MaxThreadsPerBlock);
  info->stages = static_cast<int>(CollectiveMainloop::DispatchPolicy::Stages);
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
  auto* h = new Handle{Gemm{}, to_arguments(a), workspace, a->device};
  cutlass::Status s = h->gemm.initialize(h->args, workspace, static_cast<cudaStream_t>(stream));
  *status = static_cast<int>(s);
  if (s != cutlass::Status::kSuccess) {
    delete h;
    return nullptr;
  }
  return h;
}

KB_EXPORT int kb_run(void* handle, void* stream) {
  auto* h = static_cast<Handle*>(handle);
  auto s = static_cast<cudaStream_t>(stream);
  if (int e = kb_cuda_error(cudaSetDevice(h->device))) return e;
#if KB_STREAMK
  // Stream-K counts peers in workspace barriers that the kernel leaves behind: reset them.
  cutlass::Status init = GemmKernel::initialize_workspace(h->args, h->workspace, s);
  if (init != cutlass::Status::kSuccess) return static_cast<int>(init);
#endif
  cutlass::Status status = h->gemm.run(s);
  if (status != cutlass::Status::kSuccess) return static_cast<int>(status);
  return kb_cuda_error(cudaGetLastError());
}

KB_EXPORT void kb_destroy(void* handle) { delete static_cast<Handle*>(handle); }

}  // extern "C"
