/* logit and its inverse in double (class priors, gate targets). */
#ifndef CUBIAS_LOGIT_H
#define CUBIAS_LOGIT_H

#include "host_device.h"

/* logit(p) = ln(p / (1 - p)) for p in (0, 1), accurate near both ends. */
CUBIAS_HD double cubias_logit(double p) { return log(p) - log1p(-p); }

CUBIAS_HD double cubias_sigmoid(double x) {
  return x >= 0.0 ? 1.0 / (1.0 + exp(-x)) : exp(x) / (1.0 + exp(x));
}

#endif /* CUBIAS_LOGIT_H */
