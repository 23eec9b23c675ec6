// Device side of the emulated CUDA device: the kernel keywords, the built-in
// index variables, barriers, warp intrinsics, atomics and checked loads.
// A kernel's threads are fibers of one OS thread (tests/emu/scheduler.cpp), one
// block at a time, so the built-ins are plain globals the scheduler switches.
#ifndef CUBIAS_EMU_DEVICE_H
#define CUBIAS_EMU_DEVICE_H

#include <math.h>
#include <stdint.h>
#include <string.h>

#include <type_traits>

#include "access.h"
#include "types.h"

#define __global__
#define __device__
#define __host__
#define __forceinline__ inline __attribute__((always_inline))
#define __noinline__ __attribute__((noinline))
#define __launch_bounds__(...)
// Static shared memory: a thread-local of the one worker thread that runs every
// block (tests/emu/scheduler.cpp), so the executable's TLS block on that thread
// holds exactly the kernels' shared arrays; the worker fills it with a poison
// pattern at the start of every block. (A linker section would be simpler, but
// GCC ignores section attributes on statics of template instances.)
#define __shared__ static thread_local __attribute__((aligned(16)))
#define __constant__ static

constexpr int warpSize = 32;

extern uint3 threadIdx, blockIdx;
extern dim3 blockDim, gridDim;

namespace cubias_emu {

// A device fault (misaligned or stray access, bad intrinsic use): reported as a
// test failure naming the kernel, block and thread; the kernel is abandoned.
[[noreturn]] void fault(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
// check_access (access.h) is the one hook every checked access passes through:
// the accessors, the cache-hinted loads below and the atomics. Under a preemptive
// schedule (CUBIAS_EMU_PREEMPT) the thread may yield there, before the access.
// An atomic's access: checked as above (aligned to its size); one on device
// memory, not __shared__, is counted for the kernel's tally (cubias_emu_kernel_tally).
void check_atomic(const void *p, size_t bytes, const char *what);
// A preemption point; the emulated memory is sequentially consistent, so a
// missing fence is not seen (tests/emu/README.md).
void threadfence();
void syncthreads();
int syncthreads_or(int pred);  // a barrier that also returns whether any thread's pred != 0
// Warp rendezvous: every lane of `mask` arrives with the same op; returns this
// lane's result bits (shuffles) or the ballot of the predicates.
enum WarpOp { kShflIdx, kShflUp, kShflDown, kShflXor, kBallot, kSyncWarp };
uint64_t warp_op(WarpOp op, unsigned mask, uint64_t bits, int arg, int width);
unsigned existing_lanes();
// Planted defects (tests/emu/README.md): nonzero when CUBIAS_EMU_PLANT=n.
int planted(int n);

template <class T>
inline uint64_t to_bits(T v) {
  static_assert(sizeof(T) <= 8 && std::is_trivially_copyable<T>::value, "shuffle of a wide type");
  uint64_t b = 0;
  memcpy(&b, &v, sizeof v);
  return b;
}
template <class T>
inline T from_bits(uint64_t b) {
  T v;
  memcpy(&v, &b, sizeof v);
  return v;
}
template <class T>
inline T shfl(WarpOp op, unsigned mask, T v, int arg, int width) {
  return from_bits<T>(warp_op(op, mask, to_bits(v), arg, width));
}

// Host models of the PTX instructions the shared math (kernels/*.h) issues under
// __CUDA_ARCH__, which the emulated kernels call instead (docs/tests.md lists them).
// rcp.approx.ftz.f64 (MUFU.RCP64H: the reciprocal's high word, the low word zero;
// NVIDIA publishes the error bound, not the bits): 1/x with its high word rounded
// to nearest and the low word cleared, relative error <= 2^-21; a subnormal x is
// flushed to zero (+-Inf).
inline double rcp_approx_ftz_f64(double x) {
  if (x != 0.0 && fabs(x) < 2.2250738585072014e-308) x = copysign(0.0, x);
  double r = 1.0 / x;
  uint64_t b;
  memcpy(&b, &r, 8);
  if ((b & 0x7ff0000000000000ull) != 0x7ff0000000000000ull) b = (b + 0x80000000ull) & ~0xffffffffull;
  memcpy(&r, &b, 8);
  return r;
}

}  // namespace cubias_emu

#define CUBIAS_EMU_PLANT(n) (::cubias_emu::planted(n))

inline void __syncthreads() { cubias_emu::syncthreads(); }
inline int __syncthreads_or(int pred) { return cubias_emu::syncthreads_or(pred); }
inline void __syncwarp(unsigned mask = 0xffffffffu) {
  cubias_emu::warp_op(cubias_emu::kSyncWarp, mask, 0, 0, 32);
}
inline void __threadfence() { cubias_emu::threadfence(); }
inline void __threadfence_block() { cubias_emu::threadfence(); }

namespace cubias_emu {
// A plain (not atomic) read-modify-write through the checked-access hook: under
// a preemptive schedule another thread may write between the load and the
// store, and its update is lost, as on the card (planted defects 3 and 4).
template <class T, class U>
inline void plain_add(T *p, U v) {
  check_access(p, 0, p, sizeof(T), alignof(T), "load");
  const T old = *p;
  check_access(p, 0, p, sizeof(T), alignof(T), "store");
  *p = (T)(old + v);
}
}  // namespace cubias_emu
#define CUBIAS_PLAIN_ADD(p, v) (::cubias_emu::plain_add((p), (v)))

template <class T>
inline T __shfl_sync(unsigned mask, T v, int src, int width = 32) {
  return cubias_emu::shfl(cubias_emu::kShflIdx, mask, v, src, width);
}
template <class T>
inline T __shfl_up_sync(unsigned mask, T v, unsigned delta, int width = 32) {
  return cubias_emu::shfl(cubias_emu::kShflUp, mask, v, (int)delta, width);
}
template <class T>
inline T __shfl_down_sync(unsigned mask, T v, unsigned delta, int width = 32) {
  return cubias_emu::shfl(cubias_emu::kShflDown, mask, v, (int)delta, width);
}
template <class T>
inline T __shfl_xor_sync(unsigned mask, T v, int lane_mask, int width = 32) {
  return cubias_emu::shfl(cubias_emu::kShflXor, mask, v, lane_mask, width);
}
inline unsigned __ballot_sync(unsigned mask, int pred) {
  return (unsigned)cubias_emu::warp_op(cubias_emu::kBallot, mask, pred != 0, 0, 32);
}
inline int __any_sync(unsigned mask, int pred) { return __ballot_sync(mask, pred) != 0; }
inline int __all_sync(unsigned mask, int pred) {
  return __ballot_sync(mask, pred) == (mask & cubias_emu::existing_lanes());
}
inline unsigned __activemask() { return cubias_emu::existing_lanes(); }

// Read-only and streaming loads: checked for alignment and for the memory they touch.
template <class T>
inline T __ldg(const T *p) {
  cubias_emu::check_access(p, 0, p, sizeof(T), alignof(T), "__ldg");
  return *p;
}
template <class T>
inline T __ldcs(const T *p) {
  cubias_emu::check_access(p, 0, p, sizeof(T), alignof(T), "__ldcs");
  return *p;
}
template <class T>
inline T __ldcg(const T *p) {
  cubias_emu::check_access(p, 0, p, sizeof(T), alignof(T), "__ldcg");
  return *p;
}
template <class T>
inline void __stcs(T *p, T v) {
  cubias_emu::check_access(p, 0, p, sizeof(T), alignof(T), "__stcs");
  *p = v;
}

// Atomics: fibers never run at once, so a plain read-modify-write is atomic.
#define CUBIAS_EMU_ATOMIC(name, T, expr)                                   \
  inline T name(T *p, T v) {                                               \
    cubias_emu::check_atomic(p, sizeof(T), #name);                         \
    T old = *p;                                                            \
    *p = (expr);                                                           \
    return old;                                                            \
  }
CUBIAS_EMU_ATOMIC(atomicAdd, int, old + v)
CUBIAS_EMU_ATOMIC(atomicAdd, unsigned int, old + v)
CUBIAS_EMU_ATOMIC(atomicAdd, unsigned long long, old + v)
CUBIAS_EMU_ATOMIC(atomicAdd, float, old + v)
CUBIAS_EMU_ATOMIC(atomicAdd, double, old + v)
CUBIAS_EMU_ATOMIC(atomicMax, int, old > v ? old : v)
CUBIAS_EMU_ATOMIC(atomicMax, unsigned int, old > v ? old : v)
CUBIAS_EMU_ATOMIC(atomicMax, unsigned long long, old > v ? old : v)
CUBIAS_EMU_ATOMIC(atomicMax, long long, old > v ? old : v)
CUBIAS_EMU_ATOMIC(atomicMin, int, old < v ? old : v)
CUBIAS_EMU_ATOMIC(atomicMin, unsigned int, old < v ? old : v)
CUBIAS_EMU_ATOMIC(atomicMin, unsigned long long, old < v ? old : v)
CUBIAS_EMU_ATOMIC(atomicMin, long long, old < v ? old : v)
CUBIAS_EMU_ATOMIC(atomicExch, int, v)
CUBIAS_EMU_ATOMIC(atomicExch, unsigned int, v)
CUBIAS_EMU_ATOMIC(atomicExch, unsigned long long, v)
CUBIAS_EMU_ATOMIC(atomicOr, unsigned int, old | v)
CUBIAS_EMU_ATOMIC(atomicOr, unsigned long long, old | v)
#undef CUBIAS_EMU_ATOMIC
template <class T>
inline T atomicCAS(T *p, T cmp, T v) {
  cubias_emu::check_atomic(p, sizeof(T), "atomicCAS");
  T old = *p;
  if (old == cmp) *p = v;
  return old;
}

// Device math of CUDA's headers that the C++ library lacks.
#define CUBIAS_EMU_MINMAX(T)                             \
  inline T min(T a, T b) { return b < a ? b : a; }       \
  inline T max(T a, T b) { return a < b ? b : a; }
CUBIAS_EMU_MINMAX(int)
CUBIAS_EMU_MINMAX(unsigned int)
CUBIAS_EMU_MINMAX(long)
CUBIAS_EMU_MINMAX(unsigned long)
CUBIAS_EMU_MINMAX(long long)
CUBIAS_EMU_MINMAX(unsigned long long)
#undef CUBIAS_EMU_MINMAX
inline float min(float a, float b) { return fminf(a, b); }
inline float max(float a, float b) { return fmaxf(a, b); }
inline double min(double a, double b) { return fmin(a, b); }
inline double max(double a, double b) { return fmax(a, b); }
inline unsigned __umulhi(unsigned a, unsigned b) { return (unsigned)(((uint64_t)a * b) >> 32); }
inline float __uint_as_float(unsigned u) { float f; memcpy(&f, &u, 4); return f; }
inline unsigned __float_as_uint(float f) { unsigned u; memcpy(&u, &f, 4); return u; }
inline long long __double_as_longlong(double d) { long long u; memcpy(&u, &d, 8); return u; }
inline double __longlong_as_double(long long u) { double d; memcpy(&d, &u, 8); return d; }
inline float __fadd_rn(float a, float b) { return a + b; }
inline float __fmul_rn(float a, float b) { return a * b; }
inline double __dadd_rn(double a, double b) { return a + b; }
inline double __dmul_rn(double a, double b) { return a * b; }
inline int __popc(unsigned v) { return __builtin_popcount(v); }
inline int __popcll(unsigned long long v) { return __builtin_popcountll(v); }
inline int __clz(int v) { return v ? __builtin_clz((unsigned)v) : 32; }
inline int __ffs(int v) { return __builtin_ffs(v); }

#endif
