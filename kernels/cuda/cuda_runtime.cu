// The CUDA backend's memory, stream and device plumbing.
#include <cuda_runtime.h>

#include "../backend.h"
#include "cuda_util.cuh"


int cubias_cuda_build_enabled(void) { return 1; }

cubias_status_t cubias_cuda_probe(cubias_handle_t h, int *device, int init) {
  int n = 0;
  cudaError_t e = cudaGetDeviceCount(&n);
  if (e != cudaSuccess || n == 0) {
    cudaGetLastError();  // clear the sticky-free error state
    return cubias_fail(h, CUBIAS_STATUS_NO_DEVICE,
                       "cubias_create: no usable CUDA device (cudaGetDeviceCount: %s, %d devices)",
                       e != cudaSuccess ? cudaGetErrorString(e) : "no error", n);
  }
  e = cudaGetDevice(device);
  if (e == cudaSuccess && init) e = cudaFree(nullptr);  // create the context now, not on first use
  if (e != cudaSuccess) {
    cudaGetLastError();
    return cubias_fail(h, CUBIAS_STATUS_NO_DEVICE, "cubias_create: CUDA device unusable: %s",
                       cudaGetErrorString(e));
  }
  return CUBIAS_STATUS_SUCCESS;
}

cubias_status_t cubias_cuda_alloc(cubias_handle_t h, size_t bytes, void **p) {
  cudaError_t e = cudaMalloc(p, bytes ? bytes : 256);
  if (e != cudaSuccess) {
    cudaGetLastError();
    *p = nullptr;
    return cubias_fail(h, CUBIAS_STATUS_ALLOC_FAILED, "cudaMalloc of %zu bytes failed: %s", bytes,
                       cudaGetErrorString(e));
  }
  return CUBIAS_STATUS_SUCCESS;
}

void cubias_cuda_free(cubias_handle_t h, void *p) {
  (void)h;
  if (p) cudaFree(p);
}

cubias_status_t cubias_cuda_sync(cubias_handle_t h) {
  cudaError_t e = cudaStreamSynchronize(stream_of(h));
  if (e != cudaSuccess)
    return cubias_fail(h, CUBIAS_STATUS_CUDA_ERROR, "cudaStreamSynchronize failed: %s",
                       cudaGetErrorString(e));
  return CUBIAS_STATUS_SUCCESS;
}

int cubias_cuda_pointer_kind(const void *p) {
  cudaPointerAttributes a;
  cudaError_t e = cudaPointerGetAttributes(&a, p);
  if (e != cudaSuccess) {
    cudaGetLastError();
    return -1;
  }
  switch (a.type) {
    case cudaMemoryTypeUnregistered: return 0;
    case cudaMemoryTypeDevice: return 1;
    default: return 2;  // managed or registered host memory: both sides may use it
  }
}

cubias_status_t cubias_cuda_memcpy(cubias_handle_t h, void *dst, const void *src, size_t bytes,
                                   int kind) {
  cudaMemcpyKind k = kind == 0 ? cudaMemcpyHostToDevice
                     : kind == 1 ? cudaMemcpyDeviceToHost
                                 : cudaMemcpyDeviceToDevice;
  cudaError_t e = cudaMemcpyAsync(dst, src, bytes, k, stream_of(h));
  if (e != cudaSuccess)
    return cubias_fail(h, CUBIAS_STATUS_CUDA_ERROR, "cudaMemcpyAsync of %zu bytes failed: %s",
                       bytes, cudaGetErrorString(e));
  return CUBIAS_STATUS_SUCCESS;
}
