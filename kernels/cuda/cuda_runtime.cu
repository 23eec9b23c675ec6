// The CUDA backend's memory, stream and device plumbing.
#include <cuda_runtime.h>
#ifndef CUBIAS_EMU
#include <dlfcn.h>

#include <atomic>
#endif

#include "../backend.h"
#include "cuda_util.cuh"


int cubias_cuda_build_enabled(void) { return 1; }

cubias_status_t cubias_cuda_probe(int *device, int init, char *why, size_t why_len) {
  int n = 0;
  cudaError_t e = cudaGetDeviceCount(&n);
  if (e != cudaSuccess || n == 0) {
    cudaGetLastError();  // clear the sticky-free error state
    snprintf(why, why_len, "no usable CUDA device (cudaGetDeviceCount: %s, %d devices)",
             e != cudaSuccess ? cudaGetErrorString(e) : "no error", n);
    return CUBIAS_STATUS_NO_DEVICE;
  }
  e = cudaGetDevice(device);
  if (e == cudaSuccess && init) e = cudaFree(nullptr);  // create the context now, not on first use
  if (e != cudaSuccess) {
    cudaGetLastError();
    snprintf(why, why_len, "CUDA device unusable: %s", cudaGetErrorString(e));
    return CUBIAS_STATUS_NO_DEVICE;
  }
  return CUBIAS_STATUS_SUCCESS;
}

cubias_status_t cubias_cuda_alloc(cubias_handle_t h, size_t bytes, void **p) {
  cudaError_t e = cudaMalloc(p, bytes ? bytes : 256);
  if (e != cudaSuccess) {
    cudaGetLastError();
    *p = nullptr;
    return cubias_backend_fail(h, CUBIAS_STATUS_ALLOC_FAILED, "cudaMalloc of %zu bytes failed: %s", bytes,
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
    return cubias_backend_fail(h, CUBIAS_STATUS_CUDA_ERROR, "cudaStreamSynchronize failed: %s",
                       cudaGetErrorString(e));
  return CUBIAS_STATUS_SUCCESS;
}

// Whether the calling thread already has a current CUDA context, asked without
// initialising CUDA: the driver library is already loaded and cuCtxGetCurrent (which
// answers "not initialised" before cuInit, and initialises nothing) names a context.
static int context_active(void) {
#ifdef CUBIAS_EMU
  // The emulated device (tests/emu) answers: 1 once a runtime call has made the
  // calling thread's context, 0 before.
  return cubias_emu_context_active();
#else
  // Once the driver is found loaded, its entry point is kept (the library stays
  // loaded): a CPU handle's later checks cost one call, not a loader look-up.
  typedef int (*get_current_t)(void **);
  static std::atomic<get_current_t> cached{nullptr};
  get_current_t get_current = cached.load(std::memory_order_acquire);
  if (!get_current) {
    void *lib = dlopen("libcuda.so.1", RTLD_NOW | RTLD_NOLOAD);
    if (!lib) return 0;
    get_current = (get_current_t)dlsym(lib, "cuCtxGetCurrent");
    if (!get_current) {
      dlclose(lib);
      return 0;
    }
    cached.store(get_current, std::memory_order_release);
  }
  void *ctx = nullptr;
  return get_current(&ctx) == 0 && ctx != nullptr;
#endif
}

int cubias_cuda_pointer_kind(const void *p, int may_init) {
  if (!may_init && !context_active()) return -1;
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

cubias_status_t cubias_cuda_use_device(cubias_handle_t h, int *previous) {
  *previous = -1;
  int current = -1;
  cudaError_t e = cudaGetDevice(&current);
  if (e == cudaSuccess && current == h->device) return CUBIAS_STATUS_SUCCESS;
  if (e == cudaSuccess) e = cudaSetDevice(h->device);
  if (e != cudaSuccess) {
    cudaGetLastError();
    return cubias_backend_fail(h, CUBIAS_STATUS_CUDA_ERROR, "cannot make the handle's device %d current: %s",
                       h->device, cudaGetErrorString(e));
  }
  *previous = current;
  return CUBIAS_STATUS_SUCCESS;
}

void cubias_cuda_restore_device(int device) {
  if (cudaSetDevice(device) != cudaSuccess) cudaGetLastError();
}

int cubias_cuda_capturing(cubias_handle_t h) {
  cudaStreamCaptureStatus status = cudaStreamCaptureStatusNone;
  if (cudaStreamIsCapturing(stream_of(h), &status) != cudaSuccess) {
    cudaGetLastError();
    return 0;
  }
  return status != cudaStreamCaptureStatusNone;
}

cubias_status_t cubias_cuda_copy(cubias_handle_t h, void *dst, const void *src, size_t bytes,
                                   int kind) {
  cudaMemcpyKind k = kind == 0 ? cudaMemcpyHostToDevice
                     : kind == 1 ? cudaMemcpyDeviceToHost
                                 : cudaMemcpyDeviceToDevice;
  cudaError_t e = cudaMemcpyAsync(dst, src, bytes, k, stream_of(h));
  if (e != cudaSuccess)
    return cubias_backend_fail(h, CUBIAS_STATUS_CUDA_ERROR, "cudaMemcpyAsync of %zu bytes failed: %s",
                       bytes, cudaGetErrorString(e));
  return CUBIAS_STATUS_SUCCESS;
}
