// Independent fp64 reference for the bias derivations I (centering, normalisation,
// post-activation and symmetric shifts, revival).
// Plain two-pass / sort / quadrature code; shares nothing with host/ or kernels/.
#ifndef CUBIAS_DERIVE_FROM_STATS_REF_H
#define CUBIAS_DERIVE_FROM_STATS_REF_H

#include <stdint.h>

#include <vector>

namespace dref {

// Per-channel moments of a float tensor laid out (outer, C, inner), non-finite skipped.
struct Moments {
  int64_t count = 0, positive = 0;
  double mean = 0, std = 0, min = 0, max = 0;
};
std::vector<Moments> moments(const std::vector<float> &x, int64_t outer, int64_t C, int64_t inner);
// The finite values of channel c.
std::vector<double> channel(const std::vector<float> &x, int64_t outer, int64_t C, int64_t inner,
                            int64_t c);

// y_j = t - sum_i W[j][i] v[i], W given as Wd[j * in + i] (long double accumulation).
std::vector<double> t_minus_Wv(const std::vector<double> &Wd, int64_t out, int64_t in,
                               const std::vector<double> &v, double t);

// E[phi(z)], Var[phi(z)], P(z <= 0) for z ~ N(mu, sigma^2), phi(z) = z>0 ? z : a z,
// by composite Simpson quadrature of the density over mu +- 14 sigma.
void gauss_leaky_quad(double a, double mu, double sigma, double *mean, double *var, double *dead);

// phi' for tanh (1 / cosh^2) and sigmoid (e^-|x| / (1 + e^-|x|)^2).
double dphi_tanh(double x);
double dphi_sigmoid(double x);
// argmax_d mean phi'(v + d) by a dense grid on [-max, -min] then golden section.
void sym_opt(const std::vector<double> &v, double (*dphi)(double), double *d, double *e);
double mean_dphi(const std::vector<double> &v, double (*dphi)(double), double d);

// The k-th largest value (k >= 1) by sorting.
double kth_largest(std::vector<double> v, int64_t k);

// dtype codecs (0 f32, 1 f16, 2 bf16), written from the IEEE definitions.
double decode(const void *buf, int dtype, int64_t i);
// Round x to the nearest value representable in dtype (ties to even), as double.
double round_to(double x, int dtype);
// Encode a value that round_to already made representable.
void encode(void *buf, int dtype, int64_t i, double x);
// One unit in the last place of dtype at |x| (for tolerances).
double ulp(double x, int dtype);

}  // namespace dref

#endif
