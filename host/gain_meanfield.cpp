// Mean-field theory of signal propagation (host only): the length map's fixed
// point q*, chi_1, the depth scale and the critical sigma_w^2, with a composite
// Gauss-Legendre rule whose nodes are computed here (Newton on the recurrence).
#include <math.h>

#include "internal.h"

namespace {

// E[f(z)], z ~ N(0,1), by a composite Gauss-Legendre rule: kPanels panels of
// width 24/kPanels on [-12, 12] (the tail beyond carries < 1e-32), kGL nodes
// each. A panel edge sits at z = 0, where ReLU-like derivatives jump, so each
// panel integrates a smooth function. (96-point Gauss-Hermite, tried first,
// is off by 2e-5 for tanh at q = 3: tanh's complex poles come close to the
// real axis as q grows, and Hermite rules converge slowly there.)
constexpr int kGL = 10;
constexpr int kPanels = 96;
constexpr double kZmax = 12.0;

// Nodes/weights of kGL-point Gauss-Legendre on [-1, 1] by Newton's method on
// the Legendre recurrence; computed once (thread-safe static init).
struct Rule {
  double z[kGL * kPanels], w[kGL * kPanels];
  Rule() {
    double x[kGL], wx[kGL];
    for (int i = 0; i < kGL; ++i) {
      double t = cos(M_PI * (i + 0.75) / (kGL + 0.5)), dp = 1.0;
      for (int it = 0; it < 100; ++it) {
        double p0 = 1.0, p1 = t;
        for (int k = 2; k <= kGL; ++k) {
          double p2 = ((2.0 * k - 1.0) * t * p1 - (k - 1.0) * p0) / k;
          p0 = p1;
          p1 = p2;
        }
        dp = kGL * (t * p1 - p0) / (t * t - 1.0);
        double dt = p1 / dp;
        t -= dt;
        if (fabs(dt) <= 1e-16) break;
      }
      x[i] = t;
      wx[i] = 2.0 / ((1.0 - t * t) * dp * dp);
    }
    const double h = 2.0 * kZmax / kPanels, norm = 1.0 / sqrt(2.0 * M_PI);
    for (int p = 0; p < kPanels; ++p) {
      const double mid = -kZmax + (p + 0.5) * h;
      for (int i = 0; i < kGL; ++i) {
        const double zz = mid + 0.5 * h * x[i];
        z[p * kGL + i] = zz;
        w[p * kGL + i] = 0.5 * h * wx[i] * norm * exp(-0.5 * zz * zz);
      }
    }
  }
};

const Rule &rule() {
  static const Rule r;
  return r;
}

// phi and phi' in double (the mean-field formulas; the statistics kernels have
// their own float versions in kernels/smooth_lanes.h).
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
  const Rule &R = rule();
  const double r = sqrt(q);
  double a = 0.0, b = 0.0;
  for (int i = 0; i < kGL * kPanels; ++i) {
    double y, dy;
    act_d(act, s, r * R.z[i], &y, &dy);
    a += R.w[i] * y * y;
    b += R.w[i] * dy * dy;
  }
  *e2 = a;
  *d2 = b;
}

double length_map(int act, double s, double sw2, double sb2, double q) {
  double e2, d2;
  moments(act, s, q, &e2, &d2);
  return sw2 * e2 + sb2;
}

const int kMaxIter = 100000;
const double kHuge = 1e300;

bool close(double a, double b) {
  // Below 1e-100: the ordered phase with sigma_b2 ~ 0, whose q* is 0.
  return fabs(b - a) <= 1e-14 * fabs(b) || fabs(b) < 1e-100;
}

// Iteration with Steffensen (Aitken) steps; an Aitken proposal that is not a
// positive finite number (a divergent or degenerate map) is dropped.
cubias_meanfield_t solve(int act, double s, double sw2, double sb2, int max_iter = kMaxIter) {
  cubias_meanfield_t r;
  double q = 1.0;
  int it = 0, conv = 0, expanding = 0;
  while (it < max_iter) {
    double q1 = length_map(act, s, sw2, sb2, q);
    ++it;
    if (close(q, q1) || q1 > kHuge) { q = q1 > kHuge ? INFINITY : q1; conv = 1; break; }
    double q2 = length_map(act, s, sw2, sb2, q1);
    ++it;
    if (close(q1, q2) || q2 > kHuge) { q = q2 > kHuge ? INFINITY : q2; conv = 1; break; }
    // Aitken only while the map contracts monotonically (0 < rate < 1): beyond
    // that it would jump to a repelling (or negative) fixed point.
    const double rate = (q2 - q1) / (q1 - q);
    const double d = q2 - 2.0 * q1 + q;
    const double qa = (rate > 0.0 && rate < 1.0 && d != 0.0) ? q - (q1 - q) * (q1 - q) / d : NAN;
    // Growing with rate >= 1 for 50 rounds in a row: divergent (for the ReLU
    // family the map is linear, M(q) = sigma_w2 c q + sigma_b2; bounded
    // activations contract at large q and never trip this).
    expanding = (q1 > q && rate >= 1.0) ? expanding + 1 : 0;
    if (expanding >= 50) { q = INFINITY; conv = 1; break; }
    q = (qa >= 0.0 && qa < kHuge) ? qa : q2;
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

cubias_status_t check_act(int act, float p, const char *where) {
  if (act < CUBIAS_ACT_IDENTITY || act > CUBIAS_ACT_SILU)
    return cubias_fail(nullptr, CUBIAS_STATUS_INVALID_VALUE, "%s: unknown activation %d", where,
                       act);
  if (act == CUBIAS_ACT_LEAKY_RELU && !(fabsf(p) <= 3.4e38f))
    return cubias_fail(nullptr, CUBIAS_STATUS_INVALID_VALUE,
                       "%s: the leaky-ReLU slope must be finite", where);
  return CUBIAS_STATUS_SUCCESS;
}


}  // namespace

extern "C" cubias_status_t cubias_meanfield_moments(cubias_activation_t act_arg, float p, double q,
                                                    double *phi2, double *dphi2) {
  CUBIAS_ENTRY("cubias_meanfield_moments");
  const int act = cubias_enum_int(act_arg);  // the int the caller stored
  cubias_status_t st = check_act(act, p, where);
  if (st) return st;
  if (!(q >= 0.0) || !cubias_finite(q))
    return cubias_fail(nullptr, CUBIAS_STATUS_INVALID_VALUE, "%s: q = %g must be finite and >= 0",
                       where, q);
  double a, b;
  moments((int)act, act == CUBIAS_ACT_LEAKY_RELU ? p : 0.0, q, &a, &b);
  if (phi2) *phi2 = a;
  if (dphi2) *dphi2 = b;
  return CUBIAS_STATUS_SUCCESS;
}

extern "C" cubias_status_t cubias_meanfield_fixed_point(cubias_activation_t act_arg, float p,
                                                        double sw2, double sb2,
                                                        cubias_meanfield_t *out) {
  CUBIAS_ENTRY("cubias_meanfield_fixed_point");
  const int act = cubias_enum_int(act_arg);  // the int the caller stored
  cubias_status_t st = check_act(act, p, where);
  if (st) return st;
  if (!out) return cubias_fail(nullptr, CUBIAS_STATUS_INVALID_VALUE, "%s: out is NULL", where);
  if (!(sw2 > 0.0) || !cubias_finite(sw2) || !(sb2 >= 0.0) || !cubias_finite(sb2))
    return cubias_fail(nullptr, CUBIAS_STATUS_INVALID_VALUE,
                       "%s: sigma_w2 = %g must be finite and > 0, sigma_b2 = %g finite and >= 0",
                       where, sw2, sb2);
  *out = solve((int)act, act == CUBIAS_ACT_LEAKY_RELU ? p : 0.0, sw2, sb2);
  return CUBIAS_STATUS_SUCCESS;
}

extern "C" cubias_status_t cubias_meanfield_critical(cubias_activation_t act_arg, float p, double sb2,
                                                     double *sw2_out) {
  CUBIAS_ENTRY("cubias_meanfield_critical");
  const int act = cubias_enum_int(act_arg);  // the int the caller stored
  cubias_status_t st = check_act(act, p, where);
  if (st) return st;
  if (!sw2_out) return cubias_fail(nullptr, CUBIAS_STATUS_INVALID_VALUE, "%s: out is NULL", where);
  if (!(sb2 >= 0.0) || !cubias_finite(sb2))
    return cubias_fail(nullptr, CUBIAS_STATUS_INVALID_VALUE,
                       "%s: sigma_b2 = %g must be finite and >= 0", where, sb2);
  const int a = (int)act;
  const double s = act == CUBIAS_ACT_LEAKY_RELU ? p : 0.0;
  // Next to the critical point with sigma_b2 = 0 the fixed point converges
  // sublinearly (q* -> 0 at rate -> 1); 5000 maps leave chi_1 within rounding
  // for the ReLU family (chi_1 independent of q); elsewhere q is then near 0.
  auto f = [&](double sw2) { return log(solve(a, s, sw2, sb2, 5000).chi1); };
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
