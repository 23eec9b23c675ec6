// What the benchmarks share that needs no GPU: the host clock, medians, the CPU
// floor (a plain read loop), the data generator and the checks that compare a
// result with the CPU backend's. tests/test_bench_host.cpp runs the checks.
#ifndef CUBIAS_BENCH_HOST_BENCH_H
#define CUBIAS_BENCH_HOST_BENCH_H

#include <algorithm>
#include <cfloat>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

namespace bench {

inline double now_s() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

inline double median(std::vector<double> v) {
  if (v.empty()) return NAN;
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

// The CPU floor: read every float once, 16 independent accumulators per thread.
inline float read_sum(const float *x, int64_t n) {
  float total = 0.0f;
#pragma omp parallel reduction(+ : total)
  {
    float acc[16] = {0};
#pragma omp for schedule(static)
    for (int64_t i = 0; i < n / 16; ++i)
      for (int k = 0; k < 16; ++k) acc[k] += x[i * 16 + k];
    for (int k = 0; k < 16; ++k) total += acc[k];
  }
  for (int64_t i = n / 16 * 16; i < n; ++i) total += x[i];
  return total;
}

// xorshift64: the benchmarks' data, the same on every machine.
struct Rng {
  uint64_t s;
  explicit Rng(uint64_t seed) : s(seed * 2654435761ull + 88172645463325252ull) {}
  uint64_t next() {
    s ^= s << 13, s ^= s >> 7, s ^= s << 17;
    return s;
  }
  double uniform() { return (double)(next() >> 11) / 9007199254740992.0; }  // [0, 1)
};

// n floats uniform in [lo, hi).
inline std::vector<float> uniform_floats(size_t n, uint64_t seed, double lo, double hi) {
  Rng r(seed);
  std::vector<float> v(n);
  for (float &x : v) x = (float)(lo + (hi - lo) * r.uniform());
  return v;
}

// The outcome of comparing a result with the CPU backend's: ok, and what was
// compared, or where it differs (the benchmark prints it in its check column).
struct Check {
  bool ok;
  std::string what;
};

// Bit for bit: `bytes` bytes of elements of `elem` bytes each.
inline Check same_bits(const void *got, const void *want, size_t bytes, size_t elem) {
  const unsigned char *g = (const unsigned char *)got, *w = (const unsigned char *)want;
  for (size_t i = 0; i < bytes; ++i)
    if (g[i] != w[i]) {
      char buf[96];
      snprintf(buf, sizeof buf, "element %zu differs in its bits", i / elem);
      return {false, buf};
    }
  char buf[64];
  snprintf(buf, sizeof buf, "bit for bit (%zu values)", bytes / elem);
  return {true, buf};
}

// One unit in the last place of v's float (the spacing at |v|; FLT_TRUE_MIN below).
inline double ulp_f32(double v) {
  if (!(std::fabs(v) <= (double)FLT_MAX)) return INFINITY;  // beyond float's range, or NaN
  const float a = (float)std::fabs(v);
  return (double)std::nextafter(a, INFINITY) - (double)a;
}

// |got - want| <= tol(i) for every i; NaN only where both are NaN. Reports the
// largest ratio |got - want| / tol.
template <class T, class Tol>
Check within(const std::vector<T> &got, const std::vector<T> &want, Tol &&tol, const char *unit) {
  if (got.size() != want.size()) return {false, "sizes differ"};
  double worst = 0.0;
  for (size_t i = 0; i < got.size(); ++i) {
    const double g = (double)got[i], w = (double)want[i], t = tol(i);
    if (std::isnan(g) || std::isnan(w)) {
      if (std::isnan(g) && std::isnan(w)) continue;
      char buf[96];
      snprintf(buf, sizeof buf, "element %zu: %.9g against %.9g (one NaN)", i, g, w);
      return {false, buf};
    }
    const double r = g == w ? 0.0 : std::fabs(g - w) / t;
    if (!(r <= 1.0)) {
      char buf[128];
      snprintf(buf, sizeof buf, "element %zu: %.9g against %.9g, over the tolerance %.3g", i, g, w, t);
      return {false, buf};
    }
    worst = std::max(worst, r);
  }
  char buf[96];
  snprintf(buf, sizeof buf, "within %s (worst %.2f of it, %zu values)", unit, worst, got.size());
  return {true, buf};
}

// Both checks must hold; the text says both.
inline Check both(const Check &a, const Check &b) {
  if (!a.ok) return a;
  if (!b.ok) return b;
  return {true, a.what + "; " + b.what};
}

// The planted defect of --plant (a check that must fail): the most significant
// byte of the first of `elem`-byte elements flipped by 0x40.
inline void plant_defect(void *want, size_t elem) { ((unsigned char *)want)[elem - 1] ^= 0x40; }

}  // namespace bench

#endif
