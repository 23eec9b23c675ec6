// Launch plumbing every CUDA file of the library shares.
#ifndef CUBIAS_CUDA_UTIL_CUH
#define CUBIAS_CUDA_UTIL_CUH

#include <cuda_runtime.h>

#include <utility>

#include "../backend.h"

// Every kernel launch goes through here: <<<grid, block, smem, stream>>> under
// nvcc, the emulated device of the test suite (tests/emu) otherwise.
//   cubias_launch<kernel>(grid, block, smem, stream, args...);
template <auto K, class... A>
static inline void cubias_launch(dim3 grid, dim3 block, size_t smem, cudaStream_t stream,
                                 A &&...args) {
#ifdef CUBIAS_EMU
  cubias_emu::launch_kernel(K, __PRETTY_FUNCTION__, grid, block, smem, stream,
                            std::forward<A>(args)...);
#else
  K<<<grid, block, smem, stream>>>(std::forward<A>(args)...);
#endif
}

// A defect the emulated suite must catch (tests/emu/README.md): true only in the
// emulated build with CUBIAS_EMU_PLANT=n; a constant false everywhere else.
#ifndef CUBIAS_EMU_PLANT
#define CUBIAS_EMU_PLANT(n) false
#endif
// A plain (not atomic) `*p += v`: only the planted races use it; the emulated
// build routes it through its checked-access hook, where a thread may be preempted.
#ifndef CUBIAS_PLAIN_ADD
#define CUBIAS_PLAIN_ADD(p, v) (*(p) += (v))
#endif

static inline cudaStream_t stream_of(cubias_handle_t h) { return (cudaStream_t)h->stream; }

// Blocks for a grid-stride loop over n items: at least 1, at most cap.
static inline unsigned grid_for(int64_t n, int64_t cap = 4096, int block = 256) {
  const int64_t g = (n + block - 1) / block;
  return (unsigned)(g < 1 ? 1 : g > cap ? cap : g);
}

// The status of the last launch, with CUDA's text in the handle's message.
static inline cubias_status_t launched(cubias_handle_t h, const char *what) {
  const cudaError_t e = cudaGetLastError();
  if (e != cudaSuccess)
    return cubias_fail(h, CUBIAS_STATUS_CUDA_ERROR, "%s: kernel launch failed: %s", what,
                       cudaGetErrorString(e));
  return CUBIAS_STATUS_SUCCESS;
}

// The status of a CUDA runtime call.
static inline cubias_status_t cuda_ok(cubias_handle_t h, cudaError_t e, const char *what) {
  if (e == cudaSuccess) return CUBIAS_STATUS_SUCCESS;
  cudaGetLastError();
  return cubias_fail(h, CUBIAS_STATUS_CUDA_ERROR, "%s failed: %s", what, cudaGetErrorString(e));
}

#endif
