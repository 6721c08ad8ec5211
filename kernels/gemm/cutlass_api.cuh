// The C interface every kernbench CUTLASS library exports, mirrored by ctypes in
// kernels/gemm/cutlass_common.py. Status codes: 0 ok, 1..99 cutlass::Status,
// 1000 + n the CUDA runtime error n.
#pragma once

#include <cstddef>
#include <cstdint>

#include <cuda_runtime.h>

#include "cutlass/cutlass.h"

#define KB_EXPORT __attribute__((visibility("default")))

struct KbArgs {
  const void* a;
  const void* b;
  const void* c;
  void* d;
  int m, n, k;
  int64_t lda, ldb, ldc, ldd;
  float alpha, beta;
  int swizzle;  // largest threadblock swizzle the tile scheduler may use (sm_90 kernels)
  int raster;   // 0 heuristic, 1 along M, 2 along N (sm_90 kernels)
  int device;   // torch's device index: this library's CUDA runtime keeps its own current device
};

struct KbInfo {
  int shared_bytes;  // dynamic shared memory per block
  int threads;       // threads per block
  int stages;        // mainloop pipeline stages
};

inline int kb_cuda_error(cudaError_t e) { return e == cudaSuccess ? 0 : 1000 + static_cast<int>(e); }

extern "C" KB_EXPORT const char* kb_error_string(int code) {
  if (code >= 1000) return cudaGetErrorString(static_cast<cudaError_t>(code - 1000));
  return cutlass::cutlassGetStatusString(static_cast<cutlass::Status>(code));
}
