/* Class priors from counts: softmax log priors and sigmoid logits, smoothed by
 * alpha so that no count gives an infinity. */
#ifndef CUBIAS_PRIOR_MATH_H
#define CUBIAS_PRIOR_MATH_H

#include "host_device.h"

/* ln(c + alpha): the unnormalised log prior of a class with count c. */
CUBIAS_HD double cubias_prior_log_count(uint64_t c, double alpha) { return log((double)c + alpha); }

/* Sigmoid prior of a class with c positives among n: ln((c + a) / (n - c + a)). */
CUBIAS_HD double cubias_sigmoid_prior(uint64_t c, int64_t n, double alpha) {
  return log((double)c + alpha) - log((double)(n - (int64_t)c) + alpha);
}

#endif /* CUBIAS_PRIOR_MATH_H */
