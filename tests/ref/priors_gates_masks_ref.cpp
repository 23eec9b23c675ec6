// Independent fp64 reference for the "Bias derivations II" tests.
#include "priors_gates_masks_ref.h"

#include <math.h>
#include <string.h>

#include <algorithm>

double ref_dtype_max(int dtype) {
  if (dtype == 0) return ldexp(2.0 - ldexp(1.0, -23), 127);
  if (dtype == 1) return 65504.0;
  return ldexp(2.0 - ldexp(1.0, -7), 127);
}

double ref_rel_ulp(int dtype) { return dtype == 0 ? ldexp(1.0, -23) : dtype == 1 ? ldexp(1.0, -10) : ldexp(1.0, -7); }

double ref_decode(int dtype, const void *buf, int64_t i) {
  if (dtype == 0) {
    float f;
    memcpy(&f, (const char *)buf + 4 * i, 4);
    return f;
  }
  uint16_t u;
  memcpy(&u, (const char *)buf + 2 * i, 2);
  if (dtype == 2) {
    uint32_t w = (uint32_t)u << 16;
    float f;
    memcpy(&f, &w, 4);
    return f;
  }
  int s = u >> 15, e = (u >> 10) & 31, m = u & 1023;
  double v;
  if (e == 31)
    v = m ? NAN : INFINITY;
  else if (e == 0)
    v = ldexp((double)m, -24);
  else
    v = ldexp(1024.0 + m, e - 25);
  return s ? -v : v;
}

// Nearest-even rounding to p significant bits with exponent floor emin
// (subnormals) and overflow to inf past max + half ulp.
static double round_bits(double x, int p, int emin, double max) {
  if (x != x || x == 0.0 || isinf(x)) return x;
  double a = fabs(x);
  int e;
  frexp(a, &e);  // a = f * 2^e, f in [0.5, 1)
  int q = std::max(e - p, emin - p);
  double scaled = ldexp(a, -q);
  double r = nearbyint(scaled);  // default rounding mode: nearest even
  double y = ldexp(r, q);
  double half_ulp_top = ldexp(1.0, (int)ilogb(max) - p);
  if (y > max) y = (a >= max + half_ulp_top) ? INFINITY : max;
  return x < 0 ? -y : y;
}

double ref_round(int dtype, double x) {
  if (dtype == 0) return round_bits(x, 24, -125, ref_dtype_max(0));
  if (dtype == 1) return round_bits(x, 11, -13, 65504.0);
  return round_bits(x, 8, -125, ref_dtype_max(2));
}

std::vector<double> ref_softmax_prior(const std::vector<int64_t> &counts, double alpha,
                                       int anchor, int64_t pin) {
  const size_t K = counts.size();
  double total = 0;
  for (int64_t c : counts) total += (double)c + alpha;
  std::vector<double> lp(K);
  for (size_t k = 0; k < K; ++k) lp[k] = log(((double)counts[k] + alpha) / total);
  double shift = 0;
  if (anchor == 0) {
    for (double v : lp) shift += v;
    shift /= (double)K;
  } else if (anchor == 1) {
    shift = lp[(size_t)pin];
  }
  for (double &v : lp) v -= shift;
  return lp;
}

std::vector<double> ref_sigmoid_prior(const std::vector<int64_t> &counts, int64_t n,
                                       double alpha) {
  std::vector<double> b(counts.size());
  for (size_t k = 0; k < counts.size(); ++k) {
    double pi = ((double)counts[k] + alpha) / ((double)n + 2 * alpha);
    b[k] = log(pi / (1 - pi));
  }
  return b;
}

double ref_logit(double p) { return log(p / (1 - p)); }
double ref_sigmoid(double x) { return 1 / (1 + exp(-x)); }

void ref_philox(const uint32_t ctr[4], const uint32_t key[2], uint32_t out[4]) {
  uint32_t x0 = ctr[0], x1 = ctr[1], x2 = ctr[2], x3 = ctr[3];
  uint32_t k0 = key[0], k1 = key[1];
  for (int round = 0; round < 10; ++round) {
    uint64_t a = 0xD2511F53ull * x0, b = 0xCD9E8D57ull * x2;
    uint32_t y0 = (uint32_t)(b >> 32) ^ x1 ^ k0;
    uint32_t y1 = (uint32_t)b;
    uint32_t y2 = (uint32_t)(a >> 32) ^ x3 ^ k1;
    uint32_t y3 = (uint32_t)a;
    x0 = y0, x1 = y1, x2 = y2, x3 = y3;
    k0 += 0x9E3779B9u;
    k1 += 0xBB67AE85u;
  }
  out[0] = x0, out[1] = x1, out[2] = x2, out[3] = x3;
}

double ref_chrono(uint64_t seed, int64_t ld, int64_t j, double t_max) {
  uint32_t ctr[4] = {(uint32_t)j, (uint32_t)((uint64_t)j >> 32), (uint32_t)ld, 0x63687230u};
  uint32_t key[2] = {(uint32_t)seed, (uint32_t)(seed >> 32)};
  uint32_t o[4];
  ref_philox(ctr, key, o);
  uint64_t bits = (((uint64_t)o[1] << 32) | o[0]) >> 11;
  double u = ldexp((double)bits, -53);
  return log(1 + (t_max - 2) * u);
}

double ref_optimistic_sum(double r_max, double gamma, int64_t H) {
  double s = 0, g = 1;
  for (int64_t t = 0; t < H; ++t) {
    s += g;
    g *= gamma;
  }
  return r_max * s;
}

std::vector<double> ref_softmax(const std::vector<double> &z) {
  double m = -INFINITY;
  for (double v : z) m = std::max(m, v);
  std::vector<double> p(z.size());
  double s = 0;
  for (size_t i = 0; i < z.size(); ++i) s += (p[i] = exp(z[i] - m));
  for (double &v : p) v /= s;
  return p;
}
