// Checked memory accesses of the emulated device. Every load and store a kernel
// makes passes through check_access (the one hook: alignment, memory of the
// kernel's device, the logical buffer the access came from); on a thread that
// runs no kernel (the CPU backend shares the math headers) it does nothing.
//   CUBIAS_LD(p, i), CUBIAS_ST(p, i, v) (kernels/host_device.h): global memory,
//     p[i] as an access to the buffer p points into: a workspace slice registered
//     with cubias_emu_mark_buffer, else the whole allocation.
//   CUBIAS_SHARED(T, name, dims) (kernels/cuda/cuda_util.cuh): a __shared__ array
//     whose elements are checked against its own bounds and whose bytes count
//     against the 48 KB a block may hold; CUBIAS_DYNAMIC_SHARED, the same over
//     the launch's dynamic shared memory (extern __shared__ under nvcc).
#ifndef CUBIAS_EMU_ACCESS_H
#define CUBIAS_EMU_ACCESS_H

#include <stddef.h>
#include <stdint.h>

#include <type_traits>

namespace cubias_emu {

// The one hook. [p, p + bytes) must be aligned to `align` and lie inside the
// buffer that `base` points into: [base, base + base_bytes) when base_bytes is
// nonzero (a __shared__ array), else the registered workspace slice or the live
// allocation of the kernel's device holding base, or shared memory.
void check_access(const void *base, size_t base_bytes, const void *p, size_t bytes, size_t align,
                  const char *what);
// A fault outside the hook (an index past a __shared__ array's bounds).
[[noreturn]] void fault(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

template <class T>
inline T ld(const T *p, int64_t i) {
  check_access(p, 0, p + i, sizeof(T), alignof(T), "load");
  return p[i];
}
template <class T, class V>
inline void st(T *p, int64_t i, const V &v) {
  check_access(p, 0, p + i, sizeof(T), alignof(T), "store");
  p[i] = v;
}

// One element of a __shared__ array: each load and store checked.
template <class T>
struct SharedRef {
  T *p;
  const void *lo;
  size_t bytes;
  operator T() const {
    check_access(lo, bytes, p, sizeof(T), alignof(T), "__shared__ load");
    return *p;
  }
  const SharedRef &operator=(const T &v) const {
    check_access(lo, bytes, p, sizeof(T), alignof(T), "__shared__ store");
    *p = v;
    return *this;
  }
  const SharedRef &operator=(const SharedRef &o) const { return *this = (T)o; }
  template <class U>
  const SharedRef &operator+=(const U &u) const { return *this = (T)((T)*this + u); }
  template <class U>
  const SharedRef &operator-=(const U &u) const { return *this = (T)((T)*this - u); }
  const SharedRef &operator++() const { return *this += 1; }
  T operator++(int) const {
    T old = *this;
    *this = (T)(old + 1);
    return old;
  }
  T *operator&() const {  // for atomics (checked themselves)
    check_access(lo, bytes, p, sizeof(T), alignof(T), "__shared__ address");
    return p;
  }
};

// n elements of a __shared__ array (a row of a 2-D one, or the whole array).
template <class T>
struct SharedSpan {
  T *v;
  size_t n;
  const void *lo;
  size_t bytes;
  auto operator[](int64_t i) const {
    if (i < 0 || (uint64_t)i >= n)
      fault("__shared__ index %lld out of bounds [0, %zu) of a %zu-byte __shared__ array at %p",
            (long long)i, n, bytes, lo);
    if constexpr (std::is_array<T>::value) {
      typedef typename std::remove_extent<T>::type E;
      return SharedSpan<E>{v[i], std::extent<T>::value, lo, bytes};
    } else {
      return SharedRef<T>{v + i, lo, bytes};
    }
  }
};

// `__shared__ T name[N]...` (an array) or `__shared__ T name` (one object).
template <class T>
struct Shared {
  T v;
  operator T() const { return (T)SharedRef<T>{const_cast<T *>(&v), &v, sizeof v}; }
  const Shared &operator=(const T &x) {
    SharedRef<T>{&v, &v, sizeof v} = x;
    return *this;
  }
  T *operator&() { return &SharedRef<T>{&v, &v, sizeof v}; }
};
template <class T, size_t N>
struct Shared<T[N]> {
  T v[N];
  auto operator[](int64_t i) { return SharedSpan<T[N]>{&v, 1, v, sizeof v}[0][i]; }
  operator SharedSpan<T>() { return SharedSpan<T>{v, N, v, sizeof v}; }
};

// The launch's dynamic shared memory as n elements of T (extern __shared__).
void *dynamic_shared(size_t *bytes);
template <class T>
inline SharedSpan<T> dynamic_shared_span() {
  size_t bytes = 0;
  T *p = (T *)dynamic_shared(&bytes);
  return SharedSpan<T>{p, bytes / sizeof(T), p, bytes};
}

}  // namespace cubias_emu

#endif
