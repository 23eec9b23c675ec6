// Independent fp64 reference for the gain check (shares no code with host/ or
// kernels/): plain sums, the normal quantile by bisection on erfc, expectations
// by composite Simpson on a fine grid, fixed points by plain iteration, an
// MLP forward/backward pass, and an exact f16 encoder for test data.
#ifndef CUBIAS_GAIN_REF_H
#define CUBIAS_GAIN_REF_H

#include <stdint.h>

#include <vector>

namespace gain_ref {

// fan_in * E[W^2] of W [out, in] given as doubles (any order).
double weight_gain(const std::vector<double> &w, int64_t out, int64_t in);

double normal_cdf(double x);
// Phi^-1(p) by bisection on normal_cdf, 0 < p < 1.
double normal_quantile(double p);

// f16 bits of a double exactly representable as a normal/subnormal f16.
uint16_t f16_bits_exact(double v);

// Activation ids as in cubias_activation_t.
void act(int id, double slope, double x, double *y, double *dy);

// E[phi(sqrt(q) z)^2], E[phi'(sqrt(q) z)^2] by Simpson on [-14, 14].
void meanfield_moments(int id, double slope, double q, double *phi2, double *dphi2);
// Plain iteration of the length map from q = 1 (n_iter steps).
double meanfield_qstar(int id, double slope, double sw2, double sb2, int n_iter);
double meanfield_chi1(int id, double slope, double sw2, double sb2);
// Critical sigma_w^2 by bisection on chi1 - 1 in [lo, hi].
double meanfield_critical(int id, double slope, double sb2, double lo, double hi);

// A fully connected network: z_l = W_l a_(l-1) + b_l, a_l = phi_l(z_l); W_l row-major
// [out_l, in_l]; x row-major [batch, in_0]; dout = dL/dz_(L-1) [batch, out_(L-1)].
// Fills z[l] and g[l] = dL/dz_l, both row-major [batch, out_l].
struct Mlp {
  std::vector<int64_t> width;  // width[0] = in_0, width[l+1] = out_l
  std::vector<int> act;        // per layer
  std::vector<double> slope;   // per layer leaky slope (empty: 0)
  std::vector<std::vector<double>> w, b;
};
void mlp_forward_backward(const Mlp &net, const std::vector<double> &x, int64_t batch,
                          const std::vector<double> &dout, std::vector<std::vector<double>> *z,
                          std::vector<std::vector<double>> *g);

// mean of v^2.
double mean_sq(const std::vector<double> &v);

}  // namespace gain_ref

#endif
