// Mean-field theory of signal propagation (host only): the length map's fixed
// point q*, chi_1, the depth scale and the critical sigma_w^2, with Gauss-
// Hermite quadrature whose nodes are computed here (Newton on the recurrence).
#include <math.h>

#include "internal.h"

namespace {

constexpr int kNodes = 96;

// Nodes x_i and weights w_i of sum w_i f(x_i) ~ int exp(-x^2) f(x) dx, from
// Newton's method on the orthonormal Hermite recurrence (initial guesses of
// Numerical Recipes' gauher). Computed once (thread-safe static init).
struct Hermite {
  double x[kNodes], w[kNodes];
  Hermite() {
    const int n = kNodes;
    const double pim4 = 0.7511255444649425;  // pi^(-1/4)
    double z = 0.0, pp = 1.0;
    for (int i = 0; i < (n + 1) / 2; ++i) {
      if (i == 0)
        z = sqrt(2.0 * n + 1.0) - 1.85575 * pow(2.0 * n + 1.0, -0.16667);
      else if (i == 1)
        z -= 1.14 * pow((double)n, 0.426) / z;
      else if (i == 2)
        z = 1.86 * z - 0.86 * x[0];
      else if (i == 3)
        z = 1.91 * z - 0.91 * x[1];
      else
        z = 2.0 * z - x[i - 2];
      for (int it = 0; it < 100; ++it) {
        double p1 = pim4, p2 = 0.0;
        for (int j = 0; j < n; ++j) {
          double p3 = p2;
          p2 = p1;
          p1 = z * sqrt(2.0 / (j + 1)) * p2 - sqrt((double)j / (j + 1)) * p3;
        }
        pp = sqrt(2.0 * n) * p2;
        double z1 = z;
        z = z1 - p1 / pp;
        if (fabs(z - z1) <= 1e-15 * (1.0 + fabs(z))) break;
      }
      x[i] = z;
      x[n - 1 - i] = -z;
      w[i] = w[n - 1 - i] = 2.0 / (pp * pp);
    }
  }
};

const Hermite &hermite() {
  static const Hermite h;
  return h;
}

// phi and phi' in double (the mean-field formulas; the statistics kernels have
// their own float versions in kernels/hd_math.h).
void act_d(int act, double s, double x, double *y, double *dy) {
  switch (act) {
    case CUBIAS_ACT_RELU: *y = x > 0 ? x : 0.0; *dy = x > 0 ? 1.0 : 0.0; return;
    case CUBIAS_ACT_LEAKY_RELU: *y = x > 0 ? x : s * x; *dy = x > 0 ? 1.0 : s; return;
    case CUBIAS_ACT_TANH: { double t = tanh(x); *y = t; *dy = 1.0 - t * t; return; }
    case CUBIAS_ACT_SIGMOID: { double g = 1.0 / (1.0 + exp(-x)); *y = g; *dy = g * (1.0 - g); return; }
    case CUBIAS_ACT_GELU: {
      double c = 0.5 * erfc(-x / sqrt(2.0));
      *y = x * c;
      *dy = c + x * exp(-0.5 * x * x) / sqrt(2.0 * M_PI);
      return;
    }
    case CUBIAS_ACT_SILU: { double g = 1.0 / (1.0 + exp(-x)); *y = x * g; *dy = g * (1.0 + x * (1.0 - g)); return; }
    default: *y = x; *dy = 1.0; return;
  }
}

// E[phi(sqrt(q) z)^2] and E[phi'(sqrt(q) z)^2], z ~ N(0, 1).
void moments(int act, double s, double q, double *e2, double *d2) {
  const Hermite &H = hermite();
  const double r = sqrt(2.0 * q);
  double a = 0.0, b = 0.0;
  for (int i = 0; i < kNodes; ++i) {
    double y, dy;
    act_d(act, s, r * H.x[i], &y, &dy);
    a += H.w[i] * y * y;
    b += H.w[i] * dy * dy;
  }
  const double inv_sqrt_pi = 0.56418958354775628695;
  *e2 = a * inv_sqrt_pi;
  *d2 = b * inv_sqrt_pi;
}

double length_map(int act, double s, double sw2, double sb2, double q) {
  double e2, d2;
  moments(act, s, q, &e2, &d2);
  return sw2 * e2 + sb2;
}

const int kMaxIter = 100000;
const double kHuge = 1e300;

bool close(double a, double b) {
  return fabs(b - a) <= 1e-14 * fabs(b) || fabs(b) < 1e-300;
}

// Iteration with Steffensen (Aitken) steps; an Aitken proposal that is not a
// positive finite number (a divergent or degenerate map) is dropped.
cubias_meanfield_t solve(int act, double s, double sw2, double sb2) {
  cubias_meanfield_t r;
  double q = 1.0;
  int it = 0, conv = 0;
  while (it < kMaxIter) {
    double q1 = length_map(act, s, sw2, sb2, q);
    ++it;
    if (close(q, q1) || q1 > kHuge) { q = q1 > kHuge ? INFINITY : q1; conv = 1; break; }
    double q2 = length_map(act, s, sw2, sb2, q1);
    ++it;
    if (close(q1, q2) || q2 > kHuge) { q = q2 > kHuge ? INFINITY : q2; conv = 1; break; }
    double d = q2 - 2.0 * q1 + q;
    double qa = d != 0.0 ? q - (q1 - q) * (q1 - q) / d : NAN;
    q = (qa > 0.0 && qa < kHuge) ? qa : q2;
  }
  double e2, d2;
  moments(act, s, q == INFINITY ? kHuge : q, &e2, &d2);
  r.q_star = q;
  r.chi1 = sw2 * d2;
  r.depth_scale = -1.0 / log(r.chi1);
  r.iterations = it;
  r.converged = conv;
  return r;
}

cubias_status_t check_act(cubias_activation_t act, float p, const char *where) {
  if ((int)act < CUBIAS_ACT_IDENTITY || (int)act > CUBIAS_ACT_SILU)
    return cubias_fail(nullptr, CUBIAS_STATUS_INVALID_VALUE, "%s: unknown activation %d", where,
                       (int)act);
  if (act == CUBIAS_ACT_LEAKY_RELU && !(fabsf(p) <= 3.4e38f))
    return cubias_fail(nullptr, CUBIAS_STATUS_INVALID_VALUE,
                       "%s: the leaky-ReLU slope must be finite", where);
  return CUBIAS_STATUS_SUCCESS;
}

bool is_fin(double x) { return fabs(x) <= 1.7976931348623157e308; }

}  // namespace

extern "C" cubias_status_t cubias_meanfield_moments(cubias_activation_t act, float p, double q,
                                                    double *phi2, double *dphi2) {
  const char *where = "cubias_meanfield_moments";
  cubias_status_t st = check_act(act, p, where);
  if (st) return st;
  if (!(q >= 0.0) || !is_fin(q))
    return cubias_fail(nullptr, CUBIAS_STATUS_INVALID_VALUE, "%s: q = %g must be finite and >= 0",
                       where, q);
  double a, b;
  moments((int)act, act == CUBIAS_ACT_LEAKY_RELU ? p : 0.0, q, &a, &b);
  if (phi2) *phi2 = a;
  if (dphi2) *dphi2 = b;
  return CUBIAS_STATUS_SUCCESS;
}

extern "C" cubias_status_t cubias_meanfield_fixed_point(cubias_activation_t act, float p,
                                                        double sw2, double sb2,
                                                        cubias_meanfield_t *out) {
  const char *where = "cubias_meanfield_fixed_point";
  cubias_status_t st = check_act(act, p, where);
  if (st) return st;
  if (!out) return cubias_fail(nullptr, CUBIAS_STATUS_INVALID_VALUE, "%s: out is NULL", where);
  if (!(sw2 > 0.0) || !is_fin(sw2) || !(sb2 >= 0.0) || !is_fin(sb2))
    return cubias_fail(nullptr, CUBIAS_STATUS_INVALID_VALUE,
                       "%s: sigma_w2 = %g must be finite and > 0, sigma_b2 = %g finite and >= 0",
                       where, sw2, sb2);
  *out = solve((int)act, act == CUBIAS_ACT_LEAKY_RELU ? p : 0.0, sw2, sb2);
  return CUBIAS_STATUS_SUCCESS;
}

extern "C" cubias_status_t cubias_meanfield_critical(cubias_activation_t act, float p, double sb2,
                                                     double *sw2_out) {
  const char *where = "cubias_meanfield_critical";
  cubias_status_t st = check_act(act, p, where);
  if (st) return st;
  if (!sw2_out) return cubias_fail(nullptr, CUBIAS_STATUS_INVALID_VALUE, "%s: out is NULL", where);
  if (!(sb2 >= 0.0) || !is_fin(sb2))
    return cubias_fail(nullptr, CUBIAS_STATUS_INVALID_VALUE,
                       "%s: sigma_b2 = %g must be finite and >= 0", where, sb2);
  const int a = (int)act;
  const double s = act == CUBIAS_ACT_LEAKY_RELU ? p : 0.0;
  auto f = [&](double sw2) { return log(solve(a, s, sw2, sb2).chi1); };
  double lo = 0.01, hi = 4.0;
  while (f(lo) > 0.0 && lo > 1e-8) lo *= 0.25;
  while (f(hi) < 0.0 && hi < 1e6) hi *= 2.0;
  if (!(f(lo) <= 0.0 && f(hi) >= 0.0))
    return cubias_fail(nullptr, CUBIAS_STATUS_NOT_SUPPORTED,
                       "%s: chi_1 does not cross 1 for sigma_w2 in [%g, %g] (activation %d, "
                       "sigma_b2 = %g)",
                       where, lo, hi, a, sb2);
  for (int i = 0; i < 200 && hi - lo > 1e-12 * hi; ++i) {
    double mid = 0.5 * (lo + hi);
    if (f(mid) < 0.0)
      lo = mid;
    else
      hi = mid;
  }
  *sw2_out = 0.5 * (lo + hi);
  return CUBIAS_STATUS_SUCCESS;
}
