#include "gain_ref.h"

#include <math.h>

namespace gain_ref {

double weight_gain(const std::vector<double> &w, int64_t out, int64_t in) {
  long double s = 0;
  for (double v : w) s += (long double)v * v;
  return (double)((long double)in * s / ((long double)out * in));
}

double normal_cdf(double x) { return 0.5 * erfc(-x / sqrt(2.0)); }

double normal_quantile(double p) {
  // 80 / 2^75 is below the spacing of doubles near any quantile >= 1e-16 in size.
  // Above 1/2, bisect on the upper tail 0.5 erfc(x / sqrt 2) = 1 - p (exact).
  const bool upper = p > 0.5;
  const double t = upper ? 1 - p : p;
  double lo = -40, hi = 40;
  for (int i = 0; i < 75 && lo < hi; ++i) {
    double mid = 0.5 * (lo + hi);
    double c = upper ? 0.5 * erfc(mid / sqrt(2.0)) : normal_cdf(mid);
    if (upper ? c > t : c < t) lo = mid; else hi = mid;
  }
  return 0.5 * (lo + hi);
}

uint16_t f16_bits_exact(double v) {
  uint16_t sign = v < 0 ? 0x8000 : 0;
  double a = fabs(v);
  if (a == 0) return sign;
  int e;
  double m = frexp(a, &e);  // a = m * 2^e, m in [0.5, 1)
  int E = e - 1 + 15;       // biased exponent of 1.m form
  if (E <= 0) {             // subnormal: a = k * 2^-24
    return (uint16_t)(sign | (uint16_t)llround(a * 16777216.0));
  }
  int mant = (int)llround((m * 2 - 1) * 1024);
  return (uint16_t)(sign | (E << 10) | mant);
}

void act(int id, double s, double x, double *y, double *dy) {
  switch (id) {
    case 1: *y = x > 0 ? x : 0; *dy = x > 0 ? 1 : 0; return;
    case 2: *y = x > 0 ? x : s * x; *dy = x > 0 ? 1 : s; return;
    case 3: *y = tanh(x); *dy = 1 / (cosh(x) * cosh(x)); return;
    case 4: *y = 1 / (1 + exp(-x)); *dy = exp(-x) / ((1 + exp(-x)) * (1 + exp(-x))); return;
    case 5: {
      double P = normal_cdf(x), d = exp(-x * x / 2) / sqrt(2 * M_PI);
      *y = x * P; *dy = P + x * d; return;
    }
    case 6: {
      double sg = 1 / (1 + exp(-x));
      *y = x * sg; *dy = sg + x * sg * (1 - sg); return;
    }
    default: *y = x; *dy = 1; return;
  }
}

// Simpson on [-14, 0] and [0, 14] separately: the ReLU-like derivatives jump at
// z = 0, so each half takes its one-sided limit there.
void meanfield_moments(int id, double s, double q, double *phi2, double *dphi2) {
  const int n = 12000;  // per half, even
  const double h = 14.0 / n, sq = sqrt(q);
  long double A = 0, B = 0;
  for (int side = -1; side <= 1; side += 2)
    for (int i = 0; i <= n; ++i) {
      double z = side * i * h, y, dy;
      double zeval = i == 0 ? side * 1e-300 : z;
      act(id, s, sq * zeval, &y, &dy);
      double wt = (i == 0 || i == n) ? 1 : (i % 2 ? 4 : 2);
      double pdf = exp(-z * z / 2) / sqrt(2 * M_PI);
      A += wt * pdf * y * y;
      B += wt * pdf * dy * dy;
    }
  *phi2 = (double)(A * h / 3);
  *dphi2 = (double)(B * h / 3);
}

double meanfield_qstar(int id, double s, double sw2, double sb2, int n_iter) {
  double q = 1;
  for (int i = 0; i < n_iter; ++i) {
    double p2, d2;
    meanfield_moments(id, s, q, &p2, &d2);
    double qn = sw2 * p2 + sb2;
    bool done = fabs(qn - q) <= 1e-15 * qn;
    q = qn;
    if (done) break;
  }
  return q;
}

double meanfield_chi1(int id, double s, double sw2, double sb2) {
  double q = meanfield_qstar(id, s, sw2, sb2, 400);
  double p2, d2;
  meanfield_moments(id, s, q, &p2, &d2);
  return sw2 * d2;
}

double meanfield_critical(int id, double s, double sb2, double lo, double hi) {
  for (int i = 0; i < 32; ++i) {
    double mid = 0.5 * (lo + hi);
    if (meanfield_chi1(id, s, mid, sb2) < 1) lo = mid; else hi = mid;
  }
  return 0.5 * (lo + hi);
}

void mlp_forward_backward(const Mlp &net, const std::vector<double> &x, int64_t batch,
                          const std::vector<double> &dout, std::vector<std::vector<double>> *z,
                          std::vector<std::vector<double>> *g) {
  const size_t L = net.act.size();
  z->assign(L, {});
  g->assign(L, {});
  std::vector<double> a = x;
  for (size_t l = 0; l < L; ++l) {
    int64_t in = net.width[l], out = net.width[l + 1];
    std::vector<double> &zl = (*z)[l];
    zl.assign(batch * out, 0);
    std::vector<double> next(batch * out);
    for (int64_t n = 0; n < batch; ++n)
      for (int64_t o = 0; o < out; ++o) {
        double s = net.b[l][o];
        for (int64_t i = 0; i < in; ++i) s += net.w[l][o * in + i] * a[n * in + i];
        zl[n * out + o] = s;
        double y, dy;
        act(net.act[l], net.slope.empty() ? 0 : net.slope[l], s, &y, &dy);
        next[n * out + o] = y;
      }
    a.swap(next);
  }
  (*g)[L - 1] = dout;
  for (size_t l = L - 1; l-- > 0;) {
    int64_t out = net.width[l + 1], out2 = net.width[l + 2];
    std::vector<double> &gl = (*g)[l];
    gl.assign(batch * out, 0);
    for (int64_t n = 0; n < batch; ++n)
      for (int64_t o = 0; o < out; ++o) {
        double s = 0;
        for (int64_t k = 0; k < out2; ++k) s += net.w[l + 1][k * out + o] * (*g)[l + 1][n * out2 + k];
        double y, dy;
        act(net.act[l], net.slope.empty() ? 0 : net.slope[l], (*z)[l][n * out + o], &y, &dy);
        gl[n * out + o] = dy * s;
      }
  }
}

double mean_sq(const std::vector<double> &v) {
  long double s = 0;
  for (double x : v) s += (long double)x * x;
  return (double)(s / v.size());
}

}  // namespace gain_ref
