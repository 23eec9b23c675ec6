// The emulated device's checked accesses (cubias_emu/access.h): loads and stores
// stay inside the buffer their pointer points into (a workspace slice marked with
// cubias_emu_mark_buffer, else the allocation), each __shared__ array inside its
// own bounds, static plus dynamic shared memory inside 48 KB, and pointers inside
// struct arguments are checked at launch like pointer arguments.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "emu_capture.h"
#include "emu_internal.h"

namespace {

template <auto K, class... A>
void launch(const char *name, dim3 grid, dim3 block, size_t smem, A... a) {
  const std::string sig = std::string("[with auto K = ") + name + "]";
  cubias_emu::launch_kernel(K, sig.c_str(), grid, block, smem, nullptr, a...);
  // Streams are asynchronous (CUBIAS_EMU_ASYNC): run the launch now, as a worker
  // would, so that its faults are there to read; its error stays for the next sync.
  (void)cudaStreamQuery(nullptr);
}

// Thread t copies src[t + shift] to dst[t] through the checked accessors.
__global__ void copy_kernel(const int *src, int *dst, int shift) {
  const int t = threadIdx.x;
  cubias_emu::st(dst, t, cubias_emu::ld(src, t + shift));
}

TEST(EmuAccess, ReadPastAWorkspaceSliceIsAFault) {
  int *ws = nullptr;
  ASSERT_EQ(cudaMalloc(&ws, 128 * sizeof(int)), cudaSuccess);
  int *a = ws, *b = ws + 64;  // two slices of one allocation
  launch<copy_kernel>("copy_kernel", 1, 64, 0, (const int *)a, b, 1);  // a[64] is b[0]: unseen
  EXPECT_EQ(cudaGetLastError(), cudaSuccess);
  {
    Captured c(Captured::kResetAtEnd);
    cubias_emu_mark_buffer(nullptr, a, 64 * sizeof(int));
    cubias_emu_mark_buffer(nullptr, b, 64 * sizeof(int));
    launch<copy_kernel>("copy_kernel", 1, 64, 0, (const int *)a, b, 0);  // inside: fine
    EXPECT_TRUE(c.msgs().empty()) << c.all();
    launch<copy_kernel>("copy_kernel", 1, 64, 0, (const int *)a, b, 1);
    EXPECT_TRUE(c.has("copy_kernel")) << c.all();
    EXPECT_TRUE(c.has("outside the 256-byte workspace slice")) << c.all();
    EXPECT_EQ(cudaDeviceSynchronize(), cudaErrorIllegalAddress);
  }
  {
    Captured c(Captured::kResetAtEnd);  // a slice marked again replaces the ones it overlaps
    cubias_emu_mark_buffer(nullptr, ws, 128 * sizeof(int));
    launch<copy_kernel>("copy_kernel", 1, 64, 0, (const int *)a, b, 1);
    EXPECT_TRUE(c.msgs().empty()) << c.all();
  }
  {
    Captured c(Captured::kResetAtEnd);  // cleared: the allocation is one buffer again
    cubias_emu_mark_buffer(nullptr, a, 64 * sizeof(int));
    cubias_emu_clear_buffers(nullptr, b);
    launch<copy_kernel>("copy_kernel", 1, 64, 0, (const int *)a, b, 1);
    EXPECT_TRUE(c.msgs().empty()) << c.all();
  }
  cudaFree(ws);
}

// A load through a pointer between two slices, then one past the end of a slice.
__global__ void gap_then_slice_kernel(const int *gap, const int *a, int *out) {
  cubias_emu::st(out, 0, cubias_emu::ld(gap, 0) + cubias_emu::ld(a, 32));
}

TEST(EmuAccess, APointerBetweenSlicesDoesNotHideTheSlices) {
  int *ws = nullptr, *out = nullptr;
  ASSERT_EQ(cudaMalloc(&ws, 128 * sizeof(int)), cudaSuccess);
  ASSERT_EQ(cudaMalloc(&out, sizeof(int)), cudaSuccess);
  Captured c(Captured::kResetAtEnd);
  cubias_emu_mark_buffer(nullptr, ws, 32 * sizeof(int));
  cubias_emu_mark_buffer(nullptr, ws + 64, 64 * sizeof(int));
  launch<gap_then_slice_kernel>("gap_then_slice_kernel", 1, 1, 0, (const int *)ws + 40,
                                (const int *)ws, out);
  EXPECT_TRUE(c.has("outside the 128-byte workspace slice")) << c.all();
  cudaFree(ws);
  cudaFree(out);
}

TEST(EmuAccess, StoreToHostMemoryOrMisalignedIsAFault) {
  int *d = nullptr;
  ASSERT_EQ(cudaMalloc(&d, 64 * sizeof(int)), cudaSuccess);
  {
    Captured c(Captured::kResetAtEnd);
    launch<copy_kernel>("copy_kernel", 1, 64, 0, (const int *)d, d + 1, 64);  // past the end
    EXPECT_TRUE(c.has("outside the 256-byte allocation")) << c.all();
  }
  {
    Captured c(Captured::kResetAtEnd);
    launch<copy_kernel>("copy_kernel", 1, 2, 0, (const int *)((char *)d + 2), d, 0);
    EXPECT_TRUE(c.has("misaligned")) << c.all();
  }
  cudaFree(d);
}

// Two __shared__ arrays; thread t writes a[t] and reads it back into out.
__global__ void two_arrays_kernel(int *out, int n) {
  __shared__ cubias_emu::Shared<int[64]> a;
  __shared__ cubias_emu::Shared<int[64]> b;
  const int t = threadIdx.x;
  b[t % 64] = -1;
  a[t] = t;
  __syncthreads();
  cubias_emu::st(out, t, (int)a[t] + (int)b[t % 64]);
  (void)n;
}

TEST(EmuAccess, SharedArrayOverrunIntoAnotherArrayIsAFault) {
  int *d = nullptr;
  ASSERT_EQ(cudaMalloc(&d, 128 * sizeof(int)), cudaSuccess);
  launch<two_arrays_kernel>("two_arrays_kernel", 1, 64, 0, d, 64);
  std::vector<int> h(64);
  ASSERT_EQ(cudaMemcpy(h.data(), d, 64 * sizeof(int), cudaMemcpyDeviceToHost), cudaSuccess);
  for (int t = 0; t < 64; ++t) EXPECT_EQ(h[t], t - 1);
  Captured c(Captured::kResetAtEnd);
  launch<two_arrays_kernel>("two_arrays_kernel", 1, 65, 0, d, 65);  // a[64]
  EXPECT_TRUE(c.has("__shared__ index 64 out of bounds [0, 64)")) << c.all();
  cudaFree(d);
}

// 40 KB of static __shared__ arrays, plus what the launch gives dynamically.
__global__ void big_shared_kernel(int *out) {
  __shared__ cubias_emu::Shared<double[4096]> a;  // 32 KB
  __shared__ cubias_emu::Shared<double[1024]> b;  // 8 KB
  const cubias_emu::SharedSpan<int> dyn = cubias_emu::dynamic_shared_span<int>();
  const int t = threadIdx.x;
  a[t] = t;
  b[t] = 2 * t;
  if (t < (int)dyn.n) dyn[t] = 3 * t;
  __syncthreads();
  cubias_emu::st(out, t, (int)a[t] + (int)b[t] + (t < (int)dyn.n ? (int)dyn[t] : 0));
}

TEST(EmuAccess, StaticAndDynamicSharedMemoryCountAgainst48KB) {
  int *d = nullptr;
  ASSERT_EQ(cudaMalloc(&d, 64 * sizeof(int)), cudaSuccess);
  launch<big_shared_kernel>("big_shared_kernel", 1, 64, 8 * 1024, d);  // 40 + 8 KB: fits
  std::vector<int> h(64);
  ASSERT_EQ(cudaMemcpy(h.data(), d, 64 * sizeof(int), cudaMemcpyDeviceToHost), cudaSuccess);
  for (int t = 0; t < 64; ++t) EXPECT_EQ(h[t], 6 * t);  // dynamic: 2048 ints, all 64 written
  Captured c(Captured::kResetAtEnd);
  launch<big_shared_kernel>("big_shared_kernel", 1, 64, 8 * 1024 + 16, d);
  EXPECT_TRUE(c.has("over the 48 KB a block may hold")) << c.all();
  cudaFree(d);
}

// extern __shared__: the launch's bytes, indexed past them.
__global__ void dynamic_overrun_kernel(int *out) {
  const cubias_emu::SharedSpan<int> dyn = cubias_emu::dynamic_shared_span<int>();
  dyn[threadIdx.x] = 1;
  cubias_emu::st(out, threadIdx.x, (int)dyn[threadIdx.x]);
}

TEST(EmuAccess, DynamicSharedMemoryHasTheLaunchesBounds) {
  int *d = nullptr;
  ASSERT_EQ(cudaMalloc(&d, 64 * sizeof(int)), cudaSuccess);
  launch<dynamic_overrun_kernel>("dynamic_overrun_kernel", 1, 64, 64 * sizeof(int), d);
  EXPECT_EQ(cudaGetLastError(), cudaSuccess);
  Captured c(Captured::kResetAtEnd);
  launch<dynamic_overrun_kernel>("dynamic_overrun_kernel", 1, 64, 63 * sizeof(int), d);
  EXPECT_TRUE(c.has("__shared__ index 63 out of bounds [0, 63)")) << c.all();
  cudaFree(d);
}

struct View {
  const int *data;
  int n;
};
void cubias_emu_pointers(const View &v, cubias_emu::PtrList &l) { l.add(v.data); }

__global__ void view_kernel(View v, int *out) { cubias_emu::st(out, 0, cubias_emu::ld(v.data, 0)); }

TEST(EmuAccess, PointersInsideStructArgumentsAreCheckedAtLaunch) {
  int *d = nullptr;
  ASSERT_EQ(cudaMalloc(&d, 4 * sizeof(int)), cudaSuccess);
  launch<view_kernel>("view_kernel", 1, 1, 0, View{d + 1, 1}, d);
  EXPECT_EQ(cudaGetLastError(), cudaSuccess);
  std::vector<int> host(4);
  Captured c(Captured::kResetAtEnd);
  launch<view_kernel>("view_kernel", 1, 1, 0, View{host.data(), 1}, d);
  EXPECT_TRUE(c.has("a pointer in struct argument #0")) << c.all();
  EXPECT_TRUE(c.has("not an emulated device allocation")) << c.all();
  cudaFree(d);
}

}  // namespace
