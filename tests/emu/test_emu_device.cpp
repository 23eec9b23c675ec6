// The emulated device itself (tests/emu): CUDA's warp-intrinsic semantics, real
// barriers, seeded orders that expose a missing one, and the faults and refused
// launches that must become test failures naming the kernel.
#include <gtest/gtest.h>
#include <math.h>
#include <string.h>

#include <algorithm>
#include <string>
#include <vector>

#include "cublas_v2.h"
#include "../../kernels/host_device.h"
#include "emu_capture.h"
#include "emu_internal.h"

namespace {

template <class T>
T *device_array(size_t n) {
  void *p = nullptr;
  EXPECT_EQ(cudaMalloc(&p, n * sizeof(T)), cudaSuccess);
  return (T *)p;
}

template <auto K, class... A>
void launch(const char *name, dim3 grid, dim3 block, A... a) {
  const std::string sig = std::string("[with auto K = ") + name + "]";
  cubias_emu::launch_kernel(K, sig.c_str(), grid, block, 0, nullptr, a...);
}

__global__ void shuffle_kernel(int *out) {
  const int lane = threadIdx.x & 31, t = threadIdx.x;
  int *o = out + t * 8;
  o[0] = __shfl_down_sync(0xffffffffu, t, 1);
  o[1] = __shfl_up_sync(0xffffffffu, t, 3);
  o[2] = __shfl_xor_sync(0xffffffffu, t, 5);
  o[3] = __shfl_sync(0xffffffffu, t, 31 - lane);
  o[4] = __shfl_down_sync(0xffffffffu, t, 2, 8);
  o[5] = (int)__ballot_sync(0xffffffffu, lane & 1);
  o[6] = __any_sync(0xffffffffu, t == 40);
  o[7] = __all_sync(0xffffffffu, lane < 31);
}

TEST(EmuDevice, WarpIntrinsicsFollowCudaSemantics) {
  const int n = 64;
  int *d = device_array<int>(n * 8);
  launch<shuffle_kernel>("shuffle_kernel", 1, n, d);
  std::vector<int> h(n * 8);
  ASSERT_EQ(cudaMemcpy(h.data(), d, h.size() * 4, cudaMemcpyDeviceToHost), cudaSuccess);
  for (int t = 0; t < n; ++t) {
    const int lane = t & 31, base = t - lane;
    const int *o = &h[t * 8];
    EXPECT_EQ(o[0], lane + 1 < 32 ? t + 1 : t) << t;  // past the warp: own value
    EXPECT_EQ(o[1], lane >= 3 ? t - 3 : t) << t;
    EXPECT_EQ(o[2], base + (lane ^ 5)) << t;
    EXPECT_EQ(o[3], base + 31 - lane) << t;
    EXPECT_EQ(o[4], (lane & 7) + 2 < 8 ? t + 2 : t) << t;  // width 8 segments
    EXPECT_EQ((unsigned)o[5], 0xaaaaaaaau) << t;
    EXPECT_EQ(o[6], t >= 32) << t;
    EXPECT_EQ(o[7], 0) << t;
  }
  cudaFree(d);
}

__global__ void rotate_kernel(int *out, int barrier) {
  __shared__ int sm[256];
  const int t = threadIdx.x, n = blockDim.x;
  sm[t] = t * 3 + (int)blockIdx.x;
  if (barrier) __syncthreads();
  out[blockIdx.x * n + t] = sm[(t + 1) % n];
}

TEST(EmuDevice, BarrierIsRealAndAMissingOneShows) {
  const int n = 256, blocks = 3;
  int *d = device_array<int>(n * blocks);
  std::vector<int> h(n * blocks);
  launch<rotate_kernel>("rotate_kernel", blocks, n, d, 1);
  ASSERT_EQ(cudaMemcpy(h.data(), d, h.size() * 4, cudaMemcpyDeviceToHost), cudaSuccess);
  for (int b = 0; b < blocks; ++b)
    for (int t = 0; t < n; ++t) ASSERT_EQ(h[b * n + t], ((t + 1) % n) * 3 + b);
  // Without the barrier, threads that run before their neighbour read poison.
  launch<rotate_kernel>("rotate_kernel", blocks, n, d, 0);
  ASSERT_EQ(cudaMemcpy(h.data(), d, h.size() * 4, cudaMemcpyDeviceToHost), cudaSuccess);
  int wrong = 0;
  for (int b = 0; b < blocks; ++b)
    for (int t = 0; t < n; ++t) wrong += h[b * n + t] != ((t + 1) % n) * 3 + b;
  EXPECT_GT(wrong, n / 8);
  cudaFree(d);
}

// Thread `voter` of block b votes when b is odd; each thread records the answer twice
// (the second call must not see the first call's votes).
__global__ void vote_kernel(int *out, int voter) {
  const int t = threadIdx.x, n = blockDim.x, b = blockIdx.x;
  const int first = __syncthreads_or(t == voter && (b & 1));
  const int second = __syncthreads_or(0);
  out[(b * n + t) * 2] = first;
  out[(b * n + t) * 2 + 1] = second;
}

TEST(EmuDevice, SyncthreadsOrSeesEveryThreadsVote) {
  const int n = 256, blocks = 4;
  int *d = device_array<int>(n * blocks * 2);
  std::vector<int> h(n * blocks * 2);
  for (int voter : {0, 97, 255}) {
    launch<vote_kernel>("vote_kernel", blocks, n, d, voter);
    ASSERT_EQ(cudaMemcpy(h.data(), d, h.size() * 4, cudaMemcpyDeviceToHost), cudaSuccess);
    for (int b = 0; b < blocks; ++b)
      for (int t = 0; t < n; ++t) {
        ASSERT_EQ(h[(b * n + t) * 2], b & 1) << "voter " << voter << " block " << b << " thread " << t;
        ASSERT_EQ(h[(b * n + t) * 2 + 1], 0) << "voter " << voter << " block " << b << " thread " << t;
      }
  }
  cudaFree(d);
}

__global__ void vec_load_kernel(const char *p, unsigned *out) { out[0] = __ldg((const uint4 *)p).x; }

__global__ void early_exit_kernel(int *out) {
  if (threadIdx.x < 16) return;
  __syncthreads();
  out[threadIdx.x] = 1;
}

__global__ void write_kernel(int *out) { out[threadIdx.x] = 7; }

TEST(EmuDevice, FaultsAreReportedWithKernelAndBecomeSticky) {
  {
    Captured c;
    char *d = device_array<char>(64);
    unsigned *o = device_array<unsigned>(1);
    launch<vec_load_kernel>("vec_load_kernel", 1, 1, (const char *)d + 4, o);
    cudaDeviceSynchronize();  // (faults show at the next synchronisation)
    EXPECT_NE(c.all().find("vec_load_kernel"), std::string::npos) << c.all();
    EXPECT_NE(c.all().find("misaligned"), std::string::npos) << c.all();
    EXPECT_EQ(cudaDeviceSynchronize(), cudaErrorMisalignedAddress);
    cubias_emu::reset_for_test();
    cudaFree(d);
    cudaFree(o);
  }
  {
    Captured c;
    int *d = device_array<int>(64);
    launch<early_exit_kernel>("early_exit_kernel", 1, 64, d);
    cudaDeviceSynchronize();
    EXPECT_NE(c.all().find("__syncthreads reached by some threads while others exited"),
              std::string::npos) << c.all();
    cubias_emu::reset_for_test();
    cudaFree(d);
  }
  {
    Captured c;
    std::vector<int> host(64);
    launch<write_kernel>("write_kernel", 1, 32, host.data());
    EXPECT_EQ(cudaDeviceSynchronize(), cudaErrorIllegalAddress);
    EXPECT_NE(c.all().find("is not an emulated device allocation"), std::string::npos) << c.all();
    EXPECT_EQ(cudaGetLastError(), cudaErrorIllegalAddress);
    cubias_emu::reset_for_test();
  }
}

TEST(EmuDevice, LaunchLimitsRefusedNamingTheKernel) {
  Captured c;
  int *d = device_array<int>(64);
  launch<write_kernel>("write_kernel", 1, 2048, d);
  EXPECT_EQ(cudaGetLastError(), cudaErrorInvalidConfiguration);
  launch<write_kernel>("write_kernel", dim3(1, 70000), 32, d);
  EXPECT_EQ(cudaGetLastError(), cudaErrorInvalidConfiguration);
  launch<write_kernel>("write_kernel", 0, 32, d);
  EXPECT_EQ(cudaGetLastError(), cudaErrorInvalidConfiguration);
  ASSERT_EQ(c.msgs().size(), 3u) << c.all();
  EXPECT_NE(c.msgs()[0].find("write_kernel refused: more than 1024 threads"), std::string::npos);
  EXPECT_NE(c.msgs()[1].find("grid dimension"), std::string::npos);
  EXPECT_NE(c.msgs()[2].find("empty grid"), std::string::npos);
  cudaFree(d);
}

TEST(EmuDevice, TwoDevicesAndPointerAttributes) {
  int n = 0, dev = -1;
  ASSERT_EQ(cudaGetDeviceCount(&n), cudaSuccess);
  ASSERT_GE(n, 2);
  ASSERT_EQ(cudaSetDevice(1), cudaSuccess);
  int *d1 = device_array<int>(32);
  cudaPointerAttributes a;
  ASSERT_EQ(cudaPointerGetAttributes(&a, d1 + 3), cudaSuccess);
  EXPECT_EQ(a.type, cudaMemoryTypeDevice);
  EXPECT_EQ(a.device, 1);
  int host = 0;
  ASSERT_EQ(cudaPointerGetAttributes(&a, &host), cudaSuccess);
  EXPECT_EQ(a.type, cudaMemoryTypeUnregistered);
  ASSERT_EQ(cudaSetDevice(0), cudaSuccess);
  ASSERT_EQ(cudaGetDevice(&dev), cudaSuccess);
  EXPECT_EQ(dev, 0);
  Captured c;
  launch<write_kernel>("write_kernel", 1, 32, d1);  // device 1's memory from device 0
  cudaDeviceSynchronize();
  EXPECT_NE(c.all().find("memory of device 1, the kernel runs on device 0"), std::string::npos)
      << c.all();
  cubias_emu::reset_for_test();
  cudaSetDevice(1);
  cudaFree(d1);
  cudaSetDevice(0);
}

// Each thread adds 1 to its block's shared counter and to out[t % 2]; the
// block's thread 0 adds the shared total to out[2].
__global__ void atomics_kernel(unsigned *out) {
  __shared__ unsigned n;
  if (threadIdx.x == 0) n = 0;
  __syncthreads();
  atomicAdd(&n, 1u);
  atomicAdd(&out[threadIdx.x % 2], 1u);
  __syncthreads();
  if (threadIdx.x == 0) atomicAdd(&out[2], n);
}

TEST(EmuDevice, TallyCountsBlocksAndDeviceMemoryAtomics) {
  unsigned *d = device_array<unsigned>(3);
  ASSERT_EQ(cudaMemset(d, 0, 12), cudaSuccess);
  EXPECT_EQ(cubias_emu_kernel_tally("atomics_kernel").launches, 0);
  launch<atomics_kernel>("atomics_kernel", 3, 64, d);
  launch<atomics_kernel>("atomics_kernel", 2, 32, d);
  unsigned h[3];
  ASSERT_EQ(cudaMemcpy(h, d, 12, cudaMemcpyDeviceToHost), cudaSuccess);
  EXPECT_EQ(h[0] + h[1], 3u * 64 + 2 * 32);
  EXPECT_EQ(h[2], 3u * 64 + 2 * 32);
  const cubias_emu_kernel_tally_t t = cubias_emu_kernel_tally("atomics_kernel");
  EXPECT_EQ(t.launches, 2);
  EXPECT_EQ(t.blocks, 5);
  EXPECT_EQ(t.threads, 3 * 64 + 2 * 32);
  EXPECT_EQ(t.block_threads, 64);
  EXPECT_EQ(t.global_atomics, 3 * 64 + 2 * 32 + 5);  // the shared counter's are not counted
  EXPECT_EQ(t.max_address_atomics, 3 * 32);  // out[0] in the first grid
  EXPECT_EQ(cubias_emu_kernel_tally("write_kernel").launches, 0);
  cudaFree(d);
}

TEST(EmuDevice, CaptureRecordsAndGraphReplays) {
  int *d = device_array<int>(32);
  cudaStream_t s;
  ASSERT_EQ(cudaStreamCreate(&s), cudaSuccess);
  ASSERT_EQ(cudaMemset(d, 0, 128), cudaSuccess);
  ASSERT_EQ(cudaStreamBeginCapture(s, cudaStreamCaptureModeGlobal), cudaSuccess);
  cubias_emu::launch_kernel(write_kernel, "[with auto K = write_kernel]", 1, 32, 0, s, d);
  void *p = nullptr;
  EXPECT_EQ(cudaMalloc(&p, 16), cudaErrorStreamCaptureUnsupported);  // forbidden in capture
  cudaGraph_t g;
  EXPECT_EQ(cudaStreamEndCapture(s, &g), cudaErrorStreamCaptureInvalidated);
  ASSERT_EQ(cudaStreamBeginCapture(s, cudaStreamCaptureModeGlobal), cudaSuccess);
  cubias_emu::launch_kernel(write_kernel, "[with auto K = write_kernel]", 1, 32, 0, s, d);
  ASSERT_EQ(cudaStreamEndCapture(s, &g), cudaSuccess);
  int h = -1;
  ASSERT_EQ(cudaMemcpy(&h, d, 4, cudaMemcpyDeviceToHost), cudaSuccess);
  EXPECT_EQ(h, 0);  // recorded, not run
  cudaGraphExec_t x;
  ASSERT_EQ(cudaGraphInstantiate(&x, g, 0), cudaSuccess);
  ASSERT_EQ(cudaGraphLaunch(x, s), cudaSuccess);
  ASSERT_EQ(cudaMemcpy(&h, d, 4, cudaMemcpyDeviceToHost), cudaSuccess);
  EXPECT_EQ(h, 7);
  cudaGraphExecDestroy(x);
  cudaGraphDestroy(g);
  cudaStreamDestroy(s);
  cudaFree(d);
}

// ---- preemptive schedules (CUBIAS_EMU_PREEMPT) -----------------------------------

// Every thread adds 1 to out[0] with a plain read-modify-write and to out[1] with
// an atomic; each thread takes a ticket at its start and its end (out[2]) and
// records them (so the tests see whether blocks ran one after another).
__global__ void race_kernel(unsigned *out, unsigned *tickets) {
  const unsigned b = blockIdx.x, t = threadIdx.x, n = blockDim.x;
  tickets[(b * n + t) * 2] = atomicAdd(&out[2], 1u);
  CUBIAS_PLAIN_ADD(&out[0], 1u);
  atomicAdd(&out[1], 1u);
  tickets[(b * n + t) * 2 + 1] = atomicAdd(&out[2], 1u);
}

struct RaceRun {
  unsigned plain, atomic;
  bool interleaved;  // some block started before another one ended
};

RaceRun run_race(int preempt) {
  const int blocks = 6, n = 64;
  const int old = cubias_emu::set_preempt(preempt);
  unsigned *d = device_array<unsigned>(3), *tk = device_array<unsigned>(blocks * n * 2);
  EXPECT_EQ(cudaMemset(d, 0, 12), cudaSuccess);
  launch<race_kernel>("race_kernel", blocks, n, d, tk);
  unsigned h[3];
  std::vector<unsigned> t(blocks * n * 2);
  EXPECT_EQ(cudaMemcpy(h, d, 12, cudaMemcpyDeviceToHost), cudaSuccess);
  EXPECT_EQ(cudaMemcpy(t.data(), tk, t.size() * 4, cudaMemcpyDeviceToHost), cudaSuccess);
  cubias_emu::set_preempt(old);
  cudaFree(d);
  cudaFree(tk);
  std::vector<unsigned> first(blocks, ~0u), last(blocks, 0);
  for (int b = 0; b < blocks; ++b)
    for (int i = 0; i < n; ++i) {
      first[b] = std::min(first[b], t[(b * n + i) * 2]);
      last[b] = std::max(last[b], t[(b * n + i) * 2 + 1]);
    }
  bool inter = false;
  for (int a = 0; a < blocks; ++a)
    for (int b = 0; b < blocks; ++b) inter |= a != b && first[b] < last[a] && first[a] < last[b];
  return RaceRun{h[0], h[1], inter};
}

TEST(EmuDevice, PreemptiveScheduleLosesPlainUpdatesAndKeepsAtomics) {
  const RaceRun on = run_race(2);
  EXPECT_EQ(on.atomic, 6u * 64);  // atomics are atomic
  EXPECT_LT(on.plain, 6u * 64);   // plain read-modify-writes lose updates
  EXPECT_TRUE(on.interleaved);    // blocks are resident together
  const RaceRun off = run_race(0);  // the old schedule sees neither
  EXPECT_EQ(off.atomic, 6u * 64);
  EXPECT_EQ(off.plain, 6u * 64);
  EXPECT_FALSE(off.interleaved);
}

// Each resident block keeps its own shared memory across preemptions.
__global__ void own_shared_kernel(const int *g, int *out) {
  __shared__ int sm[64];
  sm[threadIdx.x] = (int)(blockIdx.x * 1000 + threadIdx.x);
  int s = 0;
  for (int i = 0; i < 8; ++i) s += __ldg(g + i);  // preemption points
  __syncthreads();
  out[blockIdx.x * blockDim.x + threadIdx.x] = sm[(threadIdx.x + 1) % blockDim.x] + s;
}

TEST(EmuDevice, ResidentBlocksKeepTheirOwnSharedMemory) {
  const int blocks = 6, n = 64;
  const int old = cubias_emu::set_preempt(2);
  int *g = device_array<int>(8), *d = device_array<int>(blocks * n);
  ASSERT_EQ(cudaMemset(g, 0, 32), cudaSuccess);
  for (int rep = 0; rep < 3; ++rep) {  // (the second launch copies only the kernel's chunks)
    launch<own_shared_kernel>("own_shared_kernel", blocks, n, (const int *)g, d);
    std::vector<int> h(blocks * n);
    ASSERT_EQ(cudaMemcpy(h.data(), d, h.size() * 4, cudaMemcpyDeviceToHost), cudaSuccess);
    for (int b = 0; b < blocks; ++b)
      for (int t = 0; t < n; ++t) ASSERT_EQ(h[b * n + t], b * 1000 + (t + 1) % n) << rep;
  }
  EXPECT_TRUE(run_race(2).interleaved);
  cubias_emu::set_preempt(old);
  cudaFree(g);
  cudaFree(d);
}

// ---- asynchronous streams (CUBIAS_EMU_ASYNC, on unless 0) --------------------------

__global__ void add_kernel(int *p, int v) { p[threadIdx.x] += v; }

template <auto K, class... A>
void launch_on(cudaStream_t s, const char *name, dim3 grid, dim3 block, A... a) {
  const std::string sig = std::string("[with auto K = ") + name + "]";
  cubias_emu::launch_kernel(K, sig.c_str(), grid, block, 0, s, a...);
}

TEST(EmuDevice, StreamsRunLaterInOrderAndEventsOrderThem) {
  if (!cubias_emu::async_streams()) GTEST_SKIP() << "CUBIAS_EMU_ASYNC=0";
  const unsigned char poison = (cubias_emu::base_seed() & 1) ? 0xff : 0xa5;
  int poisoned;
  memset(&poisoned, poison, 4);
  cudaStream_t s1, s2;
  ASSERT_EQ(cudaStreamCreateWithFlags(&s1, cudaStreamNonBlocking), cudaSuccess);
  ASSERT_EQ(cudaStreamCreateWithFlags(&s2, cudaStreamNonBlocking), cudaSuccess);
  int *d = device_array<int>(32);
  ASSERT_EQ(cudaMemsetAsync(d, 0, 128, s1), cudaSuccess);
  launch_on<write_kernel>(s1, "write_kernel", 1, 32, d);
  launch_on<add_kernel>(s1, "add_kernel", 1, 32, d, 1);
  int h = 0;
  // Until the stream runs the copy, its host destination holds poison.
  ASSERT_EQ(cudaMemcpyAsync(&h, d, 4, cudaMemcpyDeviceToHost, s1), cudaSuccess);
  EXPECT_EQ(h, poisoned);
  ASSERT_EQ(cudaStreamSynchronize(s1), cudaSuccess);
  EXPECT_EQ(h, 8);  // in stream order
  {
    // A read on s2 of what s1 still writes, with nothing ordering them: poison, reported.
    Captured c;
    launch_on<add_kernel>(s1, "add_kernel", 1, 32, d, 1);
    ASSERT_EQ(cudaMemcpyAsync(&h, d, 4, cudaMemcpyDeviceToHost, s2), cudaSuccess);
    ASSERT_EQ(cudaStreamSynchronize(s2), cudaSuccess);
    EXPECT_EQ(h, poisoned);
    EXPECT_NE(c.all().find("kernel add_kernel, not ordered before it"), std::string::npos) << c.all();
    ASSERT_EQ(cudaStreamSynchronize(s1), cudaSuccess);
  }
  // An event orders them.
  cudaEvent_t e;
  ASSERT_EQ(cudaEventCreate(&e), cudaSuccess);
  launch_on<add_kernel>(s1, "add_kernel", 1, 32, d, 1);
  ASSERT_EQ(cudaEventRecord(e, s1), cudaSuccess);
  ASSERT_EQ(cudaStreamWaitEvent(s2, e, 0), cudaSuccess);
  ASSERT_EQ(cudaMemcpyAsync(&h, d, 4, cudaMemcpyDeviceToHost, s2), cudaSuccess);
  ASSERT_EQ(cudaStreamSynchronize(s2), cudaSuccess);
  EXPECT_EQ(h, 10);
  // The legacy stream waits for blocking streams: a synchronous copy sees their work.
  cudaStream_t blocking;
  ASSERT_EQ(cudaStreamCreate(&blocking), cudaSuccess);
  launch_on<add_kernel>(blocking, "add_kernel", 1, 32, d, 5);
  ASSERT_EQ(cudaMemcpy(&h, d, 4, cudaMemcpyDeviceToHost), cudaSuccess);
  EXPECT_EQ(h, 15);
  cudaEventDestroy(e);
  cudaStreamDestroy(blocking);
  cudaStreamDestroy(s1);
  cudaStreamDestroy(s2);
  cudaFree(d);
}

TEST(EmuDevice, KernelFaultShowsAtTheNextSynchronisation) {
  if (!cubias_emu::async_streams()) GTEST_SKIP() << "CUBIAS_EMU_ASYNC=0";
  Captured c;
  cudaStream_t s;
  ASSERT_EQ(cudaStreamCreate(&s), cudaSuccess);
  std::vector<int> host(64);
  launch_on<write_kernel>(s, "write_kernel", 1, 32, host.data());
  EXPECT_EQ(cudaGetLastError(), cudaSuccess);  // the launch itself is fine
  EXPECT_TRUE(c.msgs().empty()) << c.all();
  EXPECT_EQ(cudaStreamSynchronize(s), cudaErrorIllegalAddress);
  EXPECT_NE(c.all().find("write_kernel"), std::string::npos) << c.all();
  cubias_emu::reset_for_test();
  cudaStreamDestroy(s);
}

TEST(EmuDevice, OverlappingDeviceCopiesAreRefused) {
  int *d = device_array<int>(32);
  EXPECT_EQ(cudaMemcpy(d + 1, d, 16, cudaMemcpyDeviceToDevice), cudaErrorInvalidValue);
  EXPECT_EQ(cudaMemcpyAsync(d, d + 3, 16, cudaMemcpyDeviceToDevice, nullptr), cudaErrorInvalidValue);
  cudaGetLastError();
  EXPECT_EQ(cudaMemcpy(d + 4, d, 16, cudaMemcpyDeviceToDevice), cudaSuccess);  // adjacent
  cudaFree(d);
}

// cuBLAS reads a host-mode alpha and beta at the call, not when the stream runs.
TEST(EmuDevice, CublasReadsHostScalarsAtTheCall) {
  double *d = device_array<double>(3);
  const double init[3] = {2.0, 3.0, -1.0};  // A (1 x 1), x, y
  ASSERT_EQ(cudaMemcpy(d, init, sizeof init, cudaMemcpyHostToDevice), cudaSuccess);
  cublasHandle_t h;
  ASSERT_EQ(cublasCreate(&h), CUBLAS_STATUS_SUCCESS);
  double alpha = 1.0, beta = 0.0;
  ASSERT_EQ(cublasDgemv(h, CUBLAS_OP_N, 1, 1, &alpha, d, 1, d + 1, 1, &beta, d + 2, 1),
            CUBLAS_STATUS_SUCCESS);
  alpha = 100.0;  // after the call: not seen
  double y = 0.0;
  ASSERT_EQ(cudaMemcpy(&y, d + 2, 8, cudaMemcpyDeviceToHost), cudaSuccess);
  EXPECT_EQ(y, 6.0);
  cublasDestroy(h);
  cudaFree(d);
}

// ---- launch resources (resources.cpp) and instruction models (device.h) ----------

__global__ void bounded_kernel(int *out) {
  if (threadIdx.x == 0) out[blockIdx.x] = (int)blockDim.x;
}

// A launch beyond the kernel's __launch_bounds__, or whose block needs more registers
// than an SM's 65536, is refused as cudaErrorLaunchOutOfResources naming the kernel;
// up to the limits it runs.
TEST(EmuDevice, LaunchResourcesRefusedAsOutOfResources) {
  Captured c;
  int *d = device_array<int>(4);
  cubias_emu_set_kernel_resources("bounded_kernel", 32, 256);
  launch<bounded_kernel>("bounded_kernel", 1, 256, d);
  EXPECT_EQ(cudaGetLastError(), cudaSuccess);
  launch<bounded_kernel>("bounded_kernel", 1, 257, d);
  EXPECT_EQ(cudaGetLastError(), cudaErrorLaunchOutOfResources);
  // No bound, 72 registers: 1024 threads need 32 warps * 2304 = 73728 registers.
  cubias_emu_set_kernel_resources("bounded_kernel", 72, 0);
  launch<bounded_kernel>("bounded_kernel", 1, 896, d);  // 28 * 2304 = 64512: fits
  EXPECT_EQ(cudaGetLastError(), cudaSuccess);
  launch<bounded_kernel>("bounded_kernel", 1, 1024, d);
  EXPECT_EQ(cudaGetLastError(), cudaErrorLaunchOutOfResources);
  // 64 registers: exactly 65536 for 1024 threads.
  cubias_emu_set_kernel_resources("bounded_kernel", 64, 0);
  launch<bounded_kernel>("bounded_kernel", 1, 1024, d);
  EXPECT_EQ(cudaGetLastError(), cudaSuccess);
  cubias_emu_set_kernel_resources("bounded_kernel", 0, 0);
  ASSERT_EQ(c.msgs().size(), 2u) << c.all();
  EXPECT_NE(c.msgs()[0].find("bounded_kernel refused: 257 threads per block, beyond its "
                             "__launch_bounds__ of 256"),
            std::string::npos)
      << c.all();
  EXPECT_NE(c.msgs()[1].find("need 73728 registers"), std::string::npos) << c.all();
  EXPECT_STREQ(cudaGetErrorString(cudaErrorLaunchOutOfResources),
               "too many resources requested for launch");
  cudaFree(d);
}

// Every kernel the library launches is in the committed resource table: the
// softmax prior's 1024-thread block among them, within its bound and registers.
TEST(EmuDevice, LibraryKernelsHaveTheirResources) {
  for (const char *k : {"softmax_finish_kernel", "rows_kernel", "radix_hist_kernel",
                        "weight_chunks_kernel", "fill_kernel"}) {
    std::string why;
    EXPECT_FALSE(cubias_emu::resource_refusal(k, "cubias_launch", 256, &why)) << k << ": " << why;
  }
  std::string why;
  EXPECT_FALSE(cubias_emu::resource_refusal("softmax_finish_kernel", "cubias_launch", 1024, &why))
      << why;
  EXPECT_TRUE(cubias_emu::resource_refusal("radix_hist_kernel", "cubias_launch", 512, &why));
  EXPECT_TRUE(cubias_emu::resource_refusal("no_such_kernel", "cubias_launch", 32, &why));
  EXPECT_NE(why.find("not in the launch-resource table"), std::string::npos) << why;
}

// rcp.approx.ftz.f64's model: within 2^-21 of 1/x, its low word zero, and the GPU's
// division by a count (cubias_div_refine from it) is IEEE division bit for bit.
TEST(EmuDevice, ReciprocalEstimateModelAndRefinedDivision) {
  for (double n = 1; n < 3e9; n = n * 1.37 + 1) {
    const double y = cubias_emu::rcp_approx_ftz_f64(n);
    uint64_t b;
    memcpy(&b, &y, 8);
    EXPECT_EQ(b & 0xffffffffull, 0u) << n;
    EXPECT_LE(fabs(y * n - 1.0), ldexp(1.0, -21)) << n;
    for (double a : {1.0, -7.25, 3.0e300, 1e-290, 0.1, 123456.789})
      EXPECT_EQ(cubias_div_refine(a, n, y), a / n) << a << " / " << n;
  }
  EXPECT_TRUE(isinf(cubias_emu::rcp_approx_ftz_f64(1e-310)));  // flushed to zero
}

}  // namespace
