// The CUDA runtime calls the emulated device answers (tests/emu/runtime.cpp).
#ifndef CUBIAS_EMU_API_H
#define CUBIAS_EMU_API_H

#include "types.h"

extern "C" {
cudaError_t cudaGetDeviceCount(int *count);
cudaError_t cudaGetDevice(int *device);
cudaError_t cudaSetDevice(int device);
cudaError_t cudaGetDeviceProperties(cudaDeviceProp *prop, int device);
cudaError_t cudaDeviceSynchronize(void);
cudaError_t cudaDeviceReset(void);
cudaError_t cudaMemGetInfo(size_t *free_bytes, size_t *total_bytes);
cudaError_t cudaGetLastError(void);
cudaError_t cudaPeekAtLastError(void);
const char *cudaGetErrorString(cudaError_t e);
const char *cudaGetErrorName(cudaError_t e);

cudaError_t cudaMalloc(void **p, size_t bytes);
cudaError_t cudaFree(void *p);
cudaError_t cudaMallocHost(void **p, size_t bytes);
cudaError_t cudaFreeHost(void *p);
cudaError_t cudaMemcpy(void *dst, const void *src, size_t bytes, cudaMemcpyKind kind);
cudaError_t cudaMemcpyAsync(void *dst, const void *src, size_t bytes, cudaMemcpyKind kind,
                            cudaStream_t stream);
cudaError_t cudaMemset(void *p, int value, size_t bytes);
cudaError_t cudaMemsetAsync(void *p, int value, size_t bytes, cudaStream_t stream);
cudaError_t cudaPointerGetAttributes(cudaPointerAttributes *attr, const void *p);

cudaError_t cudaStreamCreate(cudaStream_t *s);
cudaError_t cudaStreamCreateWithFlags(cudaStream_t *s, unsigned int flags);
cudaError_t cudaStreamDestroy(cudaStream_t s);
cudaError_t cudaStreamSynchronize(cudaStream_t s);
cudaError_t cudaStreamQuery(cudaStream_t s);
cudaError_t cudaStreamWaitEvent(cudaStream_t s, cudaEvent_t e, unsigned int flags);
cudaError_t cudaStreamBeginCapture(cudaStream_t s, cudaStreamCaptureMode mode);
cudaError_t cudaStreamEndCapture(cudaStream_t s, cudaGraph_t *graph);
cudaError_t cudaStreamIsCapturing(cudaStream_t s, cudaStreamCaptureStatus *status);

cudaError_t cudaGraphInstantiate(cudaGraphExec_t *exec, cudaGraph_t graph,
                                 unsigned long long flags);
cudaError_t cudaGraphLaunch(cudaGraphExec_t exec, cudaStream_t s);
cudaError_t cudaGraphExecDestroy(cudaGraphExec_t exec);
cudaError_t cudaGraphDestroy(cudaGraph_t graph);

cudaError_t cudaEventCreate(cudaEvent_t *e);
cudaError_t cudaEventCreateWithFlags(cudaEvent_t *e, unsigned int flags);
cudaError_t cudaEventDestroy(cudaEvent_t e);
cudaError_t cudaEventRecord(cudaEvent_t e, cudaStream_t s);
cudaError_t cudaEventSynchronize(cudaEvent_t e);
cudaError_t cudaEventElapsedTime(float *ms, cudaEvent_t a, cudaEvent_t b);

// The emulator's answers where the real build asks the driver (tests/emu):
// 1 once any emulated runtime call was made in this process;
int cubias_emu_runtime_touched(void);
// 1 once a context-making runtime call was made on the calling thread (the real
// build asks cuCtxGetCurrent), 0 before.
int cubias_emu_context_active(void);
// How many cudaPointerGetAttributes calls this process has made (tests count the
// library's pointer checks with it).
long long cubias_emu_pointer_queries(void);

// What the emulated device ran of one kernel since the current test began (each
// test starts from zero; launches recorded by a capture count when replayed).
typedef struct cubias_emu_kernel_tally {
  long long launches;        // grids run
  long long blocks;          // blocks run, over all its grids
  long long threads;         // threads run, over all its grids
  long long block_threads;   // the threads of its largest block
  long long global_atomics;  // atomics on device memory (those on __shared__ not counted)
  long long max_address_atomics;  // the most atomics one grid made on one device address
} cubias_emu_kernel_tally_t;
// The tally of the kernel named `kernel` as the launch helper names it
// ("radix_hist_kernel"; all zero when it did not run).
cubias_emu_kernel_tally_t cubias_emu_kernel_tally(const char *kernel);
// Marks [p, p + bytes), a slice of one allocation (a workspace carved into
// buffers), as a buffer of its own: a kernel access p[i] through a pointer into
// it that leaves it is a fault. In stream order with the launches on s;
// replaces the slices it overlaps; cudaFree drops them.
void cubias_emu_mark_buffer(cudaStream_t s, const void *p, size_t bytes);
// Drops every slice of the allocation holding p, in stream order on s.
void cubias_emu_clear_buffers(cudaStream_t s, const void *p);
// Sets the launch resources the emulator checks for `kernel` (registers per thread,
// __launch_bounds__ threads, 0: none), in place of tests/emu/kernel_resources.txt's
// (the emulator's own tests of the check).
void cubias_emu_set_kernel_resources(const char *kernel, int regs, int bound);
}

// The typed overloads the real header offers C++ callers.
template <class T>
inline cudaError_t cudaMalloc(T **p, size_t bytes) {
  return cudaMalloc((void **)p, bytes);
}
template <class T>
inline cudaError_t cudaMallocHost(T **p, size_t bytes) {
  return cudaMallocHost((void **)p, bytes);
}
inline cudaError_t cudaGraphInstantiate(cudaGraphExec_t *exec, cudaGraph_t graph, void *,
                                        char *, size_t) {
  return cudaGraphInstantiate(exec, graph, 0ull);
}
inline cudaError_t cudaEventCreate(cudaEvent_t *e, unsigned int flags) {
  return cudaEventCreateWithFlags(e, flags);
}

#endif
