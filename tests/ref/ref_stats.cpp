// Independent fp64 reference (see ref_stats.h). Shares no code with the library.
#include "ref_stats.h"

#include <math.h>
#include <string.h>

#include <limits>

namespace ref {

size_t dtype_bytes(int dtype) { return dtype == F32 ? 4 : 2; }

double f16_to_double(uint16_t bits) {
  const int sign = bits >> 15;
  const int exponent = (bits >> 10) & 0x1f;
  const int mantissa = bits & 0x3ff;
  double v;
  if (exponent == 0x1f)
    v = mantissa ? std::numeric_limits<double>::quiet_NaN() : std::numeric_limits<double>::infinity();
  else if (exponent == 0)
    v = ldexp((double)mantissa, -24);  // subnormal: m * 2^-14 * 2^-10
  else
    v = ldexp((double)(1024 + mantissa), exponent - 15 - 10);
  return sign ? -v : v;
}

double bf16_to_double(uint16_t bits) {
  const int sign = bits >> 15;
  const int exponent = (bits >> 7) & 0xff;
  const int mantissa = bits & 0x7f;
  double v;
  if (exponent == 0xff)
    v = mantissa ? std::numeric_limits<double>::quiet_NaN() : std::numeric_limits<double>::infinity();
  else if (exponent == 0)
    v = ldexp((double)mantissa, -126 - 7);  // subnormal
  else
    v = ldexp((double)(128 + mantissa), exponent - 127 - 7);
  return sign ? -v : v;
}

// Round |v| to a format with `mbits` stored mantissa bits, exponent bias `bias`
// and all-ones exponent `emax_field` reserved for Inf/NaN. rint() rounds to
// nearest even in the default rounding mode; a mantissa that rounds up to 2^mbits
// carries into the exponent field by plain addition (and to Inf at the top).
static uint16_t encode(double v, int mbits, int bias, int emax_field) {
  const uint16_t sign = signbit(v) ? (uint16_t)(1u << 15) : 0;
  const uint16_t inf = (uint16_t)(emax_field << mbits);
  if (isnan(v)) return (uint16_t)(inf | (1u << (mbits - 1)));
  double a = fabs(v);
  if (isinf(a)) return (uint16_t)(sign | inf);
  if (a == 0.0) return sign;
  int e2;
  frexp(a, &e2);  // a = f * 2^e2, f in [0.5, 1): unbiased exponent e2 - 1
  int e = e2 - 1;
  const int emin = 1 - bias;
  double q;
  uint32_t bits;
  if (e < emin) {
    q = rint(ldexp(a, mbits - emin));  // subnormal steps of 2^(emin - mbits)
    bits = (uint32_t)q;
  } else {
    q = rint(ldexp(a, mbits - e));  // in [2^mbits, 2^(mbits+1)]
    bits = ((uint32_t)(e + bias) << mbits) + ((uint32_t)q - (1u << mbits));
  }
  if (bits >= inf) bits = inf;
  return (uint16_t)(sign | bits);
}

uint16_t double_to_f16(double v) { return encode(v, 10, 15, 0x1f); }
uint16_t double_to_bf16(double v) { return encode(v, 7, 127, 0xff); }

double load(const void *data, int dtype, int64_t i) {
  if (dtype == F32) {
    float f;
    memcpy(&f, (const char *)data + 4 * i, 4);
    return (double)f;
  }
  uint16_t b;
  memcpy(&b, (const char *)data + 2 * i, 2);
  return dtype == F16 ? f16_to_double(b) : bf16_to_double(b);
}

void activation(int act, double slope, double x, double *y, double *dy) {
  switch (act) {
    case RELU:
      *y = x > 0 ? x : 0.0;
      *dy = x > 0 ? 1.0 : 0.0;
      return;
    case LEAKY:
      *y = x > 0 ? x : slope * x;
      *dy = x > 0 ? 1.0 : slope;
      return;
    case TANH: {
      const double t = tanh(x);
      *y = t;
      *dy = 1.0 - t * t;
      return;
    }
    case SIGMOID: {
      const double s = 1.0 / (1.0 + exp(-x));
      *y = s;
      *dy = s * (1.0 - s);
      return;
    }
    case GELU: {
      const double cdf = 0.5 * erfc(-x / sqrt(2.0));
      const double pdf = exp(-0.5 * x * x) / sqrt(2.0 * M_PI);
      *y = x * cdf;
      *dy = cdf + x * pdf;
      return;
    }
    case SILU: {
      const double s = 1.0 / (1.0 + exp(-x));
      *y = x * s;
      *dy = s + x * s * (1.0 - s);
      return;
    }
    default:
      *y = x;
      *dy = 1.0;
      return;
  }
}

const char *act_name(int act) {
  static const char *names[kNumActs] = {"identity", "relu", "leaky_relu", "tanh",
                                        "sigmoid",  "gelu", "silu"};
  return act >= 0 && act < kNumActs ? names[act] : "unknown";
}

namespace {
struct Acc {
  int64_t count = 0, nonfinite = 0, positive = 0;
  double sum = 0, min = INFINITY, max = -INFINITY;
  double sd = 0, sd2 = 0, sphi = 0, sphi2 = 0, sdphi2 = 0;
};

template <class Fn>
void for_each(const View &v, Fn &&fn) {
  int64_t i = 0;
  for (int64_t o = 0; o < v.outer; ++o)
    for (int64_t c = 0; c < v.channels; ++c)
      for (int64_t k = 0; k < v.inner; ++k, ++i) fn(c, load(v.data, v.dtype, i));
}
}  // namespace

std::vector<Channel> stats(const std::vector<View> &views, int act, double slope) {
  const int64_t C = views.empty() ? 0 : views[0].channels;
  std::vector<Acc> acc((size_t)C);
  // Pass 1: counts, sum, min, max.
  for (const View &v : views)
    for_each(v, [&](int64_t c, double x) {
      Acc &a = acc[(size_t)c];
      if (!isfinite(x)) {
        a.nonfinite++;
        return;
      }
      a.count++;
      a.positive += x > 0;
      a.sum += x;
      if (x < a.min) a.min = x;
      if (x > a.max) a.max = x;
    });
  std::vector<double> mean0((size_t)C);
  for (int64_t c = 0; c < C; ++c)
    mean0[(size_t)c] = acc[(size_t)c].count ? acc[(size_t)c].sum / (double)acc[(size_t)c].count : 0;
  // Pass 2: deviations from the pass-1 mean, and the activation sums.
  for (const View &v : views)
    for_each(v, [&](int64_t c, double x) {
      if (!isfinite(x)) return;
      Acc &a = acc[(size_t)c];
      const double d = x - mean0[(size_t)c];
      a.sd += d;
      a.sd2 += d * d;
      double y, dy;
      activation(act, slope, x, &y, &dy);
      a.sphi += y;
      a.sphi2 += y * y;
      a.sdphi2 += dy * dy;
    });
  std::vector<Channel> out((size_t)C);
  const double nan = std::numeric_limits<double>::quiet_NaN();
  for (int64_t c = 0; c < C; ++c) {
    const Acc &a = acc[(size_t)c];
    Channel &r = out[(size_t)c];
    r.count = a.count;
    r.nonfinite = a.nonfinite;
    r.positive = a.positive;
    if (a.count == 0) {
      r.mean = r.var = r.var_unbiased = r.min = r.max = r.active_fraction = nan;
      r.phi_mean = r.phi_sq_mean = r.dphi_sq_mean = nan;
      continue;
    }
    const double n = (double)a.count;
    r.mean = mean0[(size_t)c] + a.sd / n;                 // corrected two-pass mean
    double m2 = a.sd2 - a.sd * a.sd / n;                    // corrected two-pass M2
    if (m2 < 0) m2 = 0;
    r.var = m2 / n;
    r.var_unbiased = a.count > 1 ? m2 / (n - 1) : nan;
    r.min = a.min;
    r.max = a.max;
    r.active_fraction = (double)a.positive / n;
    r.phi_mean = a.sphi / n;
    r.phi_sq_mean = a.sphi2 / n;
    r.dphi_sq_mean = a.sdphi2 / n;
  }
  return out;
}

std::vector<Channel> stats(const void *data, int dtype, int64_t outer, int64_t channels,
                           int64_t inner, int act, double slope) {
  return stats(std::vector<View>{View{data, dtype, outer, channels, inner}}, act, slope);
}

}  // namespace ref
