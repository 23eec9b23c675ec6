// Independent fp64 reference for the bias derivations I. See derive_from_stats_ref.h.
#include "derive_from_stats_ref.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

#include <algorithm>

namespace dref {

std::vector<double> channel(const std::vector<float> &x, int64_t outer, int64_t C, int64_t inner,
                            int64_t c) {
  std::vector<double> v;
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t i = 0; i < inner; ++i) {
      double a = x[(size_t)((o * C + c) * inner + i)];
      if (std::isfinite(a)) v.push_back(a);
    }
  return v;
}

std::vector<Moments> moments(const std::vector<float> &x, int64_t outer, int64_t C, int64_t inner) {
  std::vector<Moments> m(C);
  for (int64_t c = 0; c < C; ++c) {
    std::vector<double> v = channel(x, outer, C, inner, c);
    Moments &r = m[c];
    r.count = (int64_t)v.size();
    if (v.empty()) continue;
    long double s = 0;
    for (double a : v) s += a;
    r.mean = (double)(s / v.size());
    long double q = 0;
    for (double a : v) q += (a - r.mean) * (a - r.mean);
    r.std = sqrt((double)(q / v.size()));
    r.min = *std::min_element(v.begin(), v.end());
    r.max = *std::max_element(v.begin(), v.end());
    for (double a : v) r.positive += a > 0;
  }
  return m;
}

std::vector<double> t_minus_Wv(const std::vector<double> &Wd, int64_t out, int64_t in,
                               const std::vector<double> &v, double t) {
  std::vector<double> y(out);
  for (int64_t j = 0; j < out; ++j) {
    long double s = 0;
    for (int64_t i = 0; i < in; ++i) s += (long double)Wd[j * in + i] * v[i];
    y[j] = (double)((long double)t - s);
  }
  return y;
}

void gauss_leaky_quad(double a, double mu, double sigma, double *mean, double *var, double *dead) {
  const int n = 200000;  // even
  const double lo = mu - 14 * sigma, h = 28 * sigma / n;
  long double m1 = 0, m2 = 0, d = 0;
  for (int k = 0; k <= n; ++k) {
    double z = lo + k * h;
    double w = (k == 0 || k == n) ? 1 : (k % 2 ? 4 : 2);
    double pdf = exp(-0.5 * ((z - mu) / sigma) * ((z - mu) / sigma)) / (sigma * sqrt(2 * M_PI));
    double y = z > 0 ? z : a * z;
    m1 += w * pdf * y;
    m2 += w * pdf * y * y;
    if (z <= 0) d += w * pdf;
  }
  double f = h / 3;
  *mean = (double)(m1 * f);
  *var = (double)(m2 * f) - *mean * *mean;
  // the dead fraction from erfc (Simpson is only first-order at the kink)
  *dead = 0.5 * erfc(mu / (sigma * sqrt(2.0)));
  (void)d;
}

double dphi_tanh(double x) {
  double c = cosh(x);
  return std::isfinite(c) ? 1.0 / (c * c) : 0.0;
}

double dphi_sigmoid(double x) {
  double e = exp(-fabs(x));
  return e / ((1 + e) * (1 + e));
}

double mean_dphi(const std::vector<double> &v, double (*dphi)(double), double d) {
  long double s = 0;
  for (double a : v) s += dphi(a + d);
  return (double)(s / v.size());
}

void sym_opt(const std::vector<double> &v, double (*dphi)(double), double *d, double *e) {
  double mn = *std::min_element(v.begin(), v.end()), mx = *std::max_element(v.begin(), v.end());
  const int G = 2000;
  double lo = -mx, hi = -mn, best = -1, bd = lo;
  for (int g = 0; g <= G; ++g) {
    double x = lo + (hi - lo) * g / G;
    double f = mean_dphi(v, dphi, x);
    if (f > best) best = f, bd = x;
  }
  double step = (hi - lo) / G;
  double a = bd - step, b = bd + step;
  const double r = (sqrt(5.0) - 1) / 2;
  double c = b - r * (b - a), dd = a + r * (b - a);
  double fc = mean_dphi(v, dphi, c), fd = mean_dphi(v, dphi, dd);
  for (int it = 0; it < 200 && b - a > 1e-13; ++it) {
    if (fc > fd) {
      b = dd, dd = c, fd = fc, c = b - r * (b - a), fc = mean_dphi(v, dphi, c);
    } else {
      a = c, c = dd, fc = fd, dd = a + r * (b - a), fd = mean_dphi(v, dphi, dd);
    }
  }
  *d = 0.5 * (a + b);
  *e = mean_dphi(v, dphi, *d);
}

double kth_largest(std::vector<double> v, int64_t k) {
  std::sort(v.begin(), v.end(), [](double a, double b) { return a > b; });
  return v[(size_t)(k - 1)];
}

// (sign, exponent bits, mantissa bits, bias) of the two 16-bit formats.
static void fmt(int dtype, int *eb, int *mb) {
  if (dtype == 1) *eb = 5, *mb = 10;
  else *eb = 8, *mb = 7;
}

double decode(const void *buf, int dtype, int64_t i) {
  if (dtype == 0) return ((const float *)buf)[i];
  uint16_t u = ((const uint16_t *)buf)[i];
  int eb, mb;
  fmt(dtype, &eb, &mb);
  int bias = (1 << (eb - 1)) - 1;
  int s = u >> 15, e = (u >> mb) & ((1 << eb) - 1), m = u & ((1 << mb) - 1);
  double v;
  if (e == (1 << eb) - 1) v = m ? NAN : INFINITY;
  else if (e == 0) v = ldexp((double)m, 1 - bias - mb);
  else v = ldexp(1.0 + ldexp((double)m, -mb), e - bias);
  return s ? -v : v;
}

double round_to(double x, int dtype) {
  if (x == 0 || !std::isfinite(x)) return x;
  int p = dtype == 0 ? 24 : dtype == 1 ? 11 : 8;        // precision
  int emin = dtype == 0 ? -126 : dtype == 1 ? -14 : -126;  // smallest normal exponent
  int e = ilogb(x);
  if (e < emin) e = emin;
  double q = ldexp(nearbyint(ldexp(x, p - 1 - e)), e - (p - 1));  // ties to even (default mode)
  return q;
}

void encode(void *buf, int dtype, int64_t i, double x) {
  if (dtype == 0) {
    ((float *)buf)[i] = (float)x;
    return;
  }
  int eb, mb;
  fmt(dtype, &eb, &mb);
  int bias = (1 << (eb - 1)) - 1;
  uint16_t s = x < 0 ? 0x8000 : 0;
  double a = fabs(x);
  uint16_t u;
  if (a != a) {
    u = (uint16_t)(((1 << eb) - 1) << mb | (1 << (mb - 1)));  // quiet NaN
  } else if (a == INFINITY) {
    u = (uint16_t)(((1 << eb) - 1) << mb);
  } else if (a == 0) {
    u = 0;
  } else {
    int e = ilogb(a);
    if (e < 1 - bias) {  // subnormal
      u = (uint16_t)nearbyint(ldexp(a, bias - 1 + mb));
    } else {
      double m = ldexp(a, -e) - 1.0;
      u = (uint16_t)(((e + bias) << mb) | (int)nearbyint(ldexp(m, mb)));
    }
  }
  ((uint16_t *)buf)[i] = (uint16_t)(s | u);
}

double ulp(double x, int dtype) {
  int p = dtype == 0 ? 24 : dtype == 1 ? 11 : 8;
  int emin = dtype == 0 ? -126 : dtype == 1 ? -14 : -126;
  int e = x == 0 ? emin : ilogb(x);
  if (e < emin) e = emin;
  return ldexp(1.0, e - (p - 1));
}

}  // namespace dref
