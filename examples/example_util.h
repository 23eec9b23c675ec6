/* Small helpers the examples share: backend buffers (device memory when the
 * handle runs on CUDA, host memory on the CPU backend), a seeded normal
 * generator, and a status check. Plain C. */
#ifndef CUBIAS_EXAMPLE_UTIL_H
#define CUBIAS_EXAMPLE_UTIL_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cubias.h"
#ifdef CUBIAS_HAVE_CUDA
#include <cuda_runtime.h>
#endif

#define EX_CHECK(h, call)                                                                    \
  do {                                                                                       \
    cubias_status_t st_ = (call);                                                            \
    if (st_ != CUBIAS_STATUS_SUCCESS) {                                                      \
      fprintf(stderr, "%s:%d: %s failed: %s\n  %s\n", __FILE__, __LINE__, #call,             \
              cubias_status_string(st_), cubias_get_last_error(h));                          \
      exit(1);                                                                               \
    }                                                                                        \
  } while (0)

static int ex_cuda(cubias_handle_t h) {
  cubias_backend_t b = CUBIAS_BACKEND_CPU;
  cubias_get_backend(h, &b);
  return b == CUBIAS_BACKEND_CUDA;
}

/* Backend memory of `bytes`, zero-filled. */
static void *ex_alloc(cubias_handle_t h, size_t bytes) {
  void *p = NULL;
#ifdef CUBIAS_HAVE_CUDA
  if (ex_cuda(h)) {
    if (cudaMalloc(&p, bytes) != cudaSuccess || cudaMemset(p, 0, bytes) != cudaSuccess) exit(1);
    return p;
  }
#endif
  (void)h;
  p = calloc(1, bytes);
  if (!p) exit(1);
  return p;
}

static void ex_free(cubias_handle_t h, void *p) {
#ifdef CUBIAS_HAVE_CUDA
  if (ex_cuda(h)) {
    cudaFree(p);
    return;
  }
#endif
  (void)h;
  free(p);
}

static void ex_upload(cubias_handle_t h, void *dst, const void *src, size_t bytes) {
#ifdef CUBIAS_HAVE_CUDA
  if (ex_cuda(h)) {
    if (cudaMemcpy(dst, src, bytes, cudaMemcpyHostToDevice) != cudaSuccess) exit(1);
    return;
  }
#endif
  (void)h;
  memcpy(dst, src, bytes);
}

/* Waits for the handle's work, then copies backend memory to the host. */
static void ex_download(cubias_handle_t h, void *dst, const void *src, size_t bytes) {
  EX_CHECK(h, cubias_synchronize(h));
#ifdef CUBIAS_HAVE_CUDA
  if (ex_cuda(h)) {
    if (cudaMemcpy(dst, src, bytes, cudaMemcpyDeviceToHost) != cudaSuccess) exit(1);
    return;
  }
#endif
  memcpy(dst, src, bytes);
}

/* Standard normal by Box-Muller from a 64-bit LCG. */
static double ex_normal(unsigned long long *s) {
  double u1, u2;
  *s = *s * 6364136223846793005ull + 1442695040888963407ull;
  u1 = ((*s >> 11) + 1.0) / 9007199254740993.0;
  *s = *s * 6364136223846793005ull + 1442695040888963407ull;
  u2 = (*s >> 11) / 9007199254740992.0;
  return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}

static double ex_uniform(unsigned long long *s) {
  *s = *s * 6364136223846793005ull + 1442695040888963407ull;
  return (*s >> 11) / 9007199254740992.0;
}

#endif
