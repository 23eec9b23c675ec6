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

// Checked memory (tests/emu/include/cubias_emu/access.h); under nvcc exactly the
// plain declarations and nothing at all:
//   CUBIAS_SHARED(T, name, [N]...)  __shared__ T name[N]...: in the emulated build
//     each element access is checked against the array's own bounds, and the
//     arrays a kernel touches count against the 48 KB of a block.
//   CUBIAS_DYNAMIC_SHARED(T, name)  extern __shared__ T name[] (the launch's smem).
//   cubias_slices sl{st}; sl.mark(p, bytes);  p is a buffer of its own inside a
//     larger allocation (a workspace slice) for the kernels enqueued on st while sl
//     lives: a kernel access through a pointer into it that leaves it is a fault of
//     the emulated device. The slices end (in stream order) with sl's scope, so
//     the next user of the workspace starts from the whole allocation.
// Global loads and stores go through CUBIAS_LD / CUBIAS_ST (kernels/host_device.h).
#ifdef CUBIAS_EMU
#define CUBIAS_SHARED(T, name, dims) __shared__ ::cubias_emu::Shared<T dims> name
#define CUBIAS_DYNAMIC_SHARED(T, name) \
  const ::cubias_emu::SharedSpan<T> name = ::cubias_emu::dynamic_shared_span<T>()
struct cubias_slices {
  cudaStream_t st;
  const void *first = nullptr;
  void mark(const void *p, size_t bytes) {
    if (!first) first = p;
    cubias_emu_mark_buffer(st, p, bytes);
  }
  ~cubias_slices() {
    if (first) cubias_emu_clear_buffers(st, first);
  }
};
// The device pointers struct arguments carry, checked at launch (cubias_emu/launch.h).
inline void cubias_emu_pointers(const cubias_tensor_t &t, cubias_emu::PtrList &l) { l.add(t.data); }
inline void cubias_emu_pointers(const cubias_plan_t &, cubias_emu::PtrList &) {}
inline void cubias_emu_pointers(const cubias_export_header_t &, cubias_emu::PtrList &) {}
#else
#define CUBIAS_SHARED(T, name, dims) __shared__ T name dims
#define CUBIAS_DYNAMIC_SHARED(T, name) extern __shared__ __align__(16) T name[]
struct cubias_slices {
  cudaStream_t st;
  void mark(const void *, size_t) {}
};
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
    return cubias_backend_fail(h, CUBIAS_STATUS_CUDA_ERROR, "%s: kernel launch failed: %s", what,
                       cudaGetErrorString(e));
  return CUBIAS_STATUS_SUCCESS;
}

// The status of a CUDA runtime call.
static inline cubias_status_t cuda_ok(cubias_handle_t h, cudaError_t e, const char *what) {
  if (e == cudaSuccess) return CUBIAS_STATUS_SUCCESS;
  cudaGetLastError();
  return cubias_backend_fail(h, CUBIAS_STATUS_CUDA_ERROR, "%s failed: %s", what, cudaGetErrorString(e));
}

#endif
