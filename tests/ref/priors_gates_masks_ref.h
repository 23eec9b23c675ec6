// Independent fp64 reference for "Bias derivations II" (priors, gates, gate
// targets, optimistic values, masks). Shares no code with host/ or kernels/.
#ifndef CUBIAS_PRIORS_GATES_MASKS_REF_H
#define CUBIAS_PRIORS_GATES_MASKS_REF_H

#include <stdint.h>

#include <vector>

// Output dtypes as ints: 0 f32, 1 f16, 2 bf16.
double ref_decode(int dtype, const void *buf, int64_t i);
// Round x to dtype (nearest even) and back to double.
double ref_round(int dtype, double x);
double ref_dtype_max(int dtype);
// One unit in the last place relative, as a tolerance factor (2^-23, 2^-10, 2^-7).
double ref_rel_ulp(int dtype);

// Softmax biases from counts: anchor 0 mean zero, 1 pin class, 2 log probability.
std::vector<double> ref_softmax_prior(const std::vector<int64_t> &counts, double alpha,
                                       int anchor, int64_t pin);
// Sigmoid biases ln(pi/(1-pi)) with pi = (c+alpha)/(n+2 alpha).
std::vector<double> ref_sigmoid_prior(const std::vector<int64_t> &counts, int64_t n,
                                       double alpha);
double ref_logit(double p);
double ref_sigmoid(double x);

// Philox4x32-10 written from Salmon et al. (2011), Figure 2 / Random123.
void ref_philox(const uint32_t ctr[4], const uint32_t key[2], uint32_t out[4]);
// The chrono bias of unit j, pseudo-layer ld, as cubias.h specifies it.
double ref_chrono(uint64_t seed, int64_t ld, int64_t j, double t_max);

// r_max * sum_{t < H} gamma^t by summation (integer H >= 0).
double ref_optimistic_sum(double r_max, double gamma, int64_t H);

// Softmax of a row, max-subtracted, in fp64 (-inf entries allowed).
std::vector<double> ref_softmax(const std::vector<double> &z);

#endif
