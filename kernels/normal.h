/* The standard normal distribution in double: pdf and cdf (the quantile is
 * in gain_math.h, beside its only user). */
#ifndef CUBIAS_NORMAL_H
#define CUBIAS_NORMAL_H

#include "host_device.h"

#define CUBIAS_SQRT2 1.41421356237309504880
#define CUBIAS_INV_SQRT2PI 0.39894228040143267794

CUBIAS_HD double cubias_normal_pdf(double x) { return CUBIAS_INV_SQRT2PI * exp(-0.5 * x * x); }
CUBIAS_HD double cubias_normal_cdf(double x) { return 0.5 * erfc(-x / CUBIAS_SQRT2); }

#endif /* CUBIAS_NORMAL_H */
