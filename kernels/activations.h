/* The activations phi the statistics evaluate (ids match
 * cubias_activation_t), in float with libm, and their classes. */
#ifndef CUBIAS_ACTIVATIONS_H
#define CUBIAS_ACTIVATIONS_H

#include "host_device.h"

/* Activation ids match cubias_activation_t. */
enum { CUBIAS_HD_IDENTITY = 0, CUBIAS_HD_RELU = 1, CUBIAS_HD_LEAKY = 2, CUBIAS_HD_TANH = 3,
       CUBIAS_HD_SIGMOID = 4, CUBIAS_HD_GELU = 5, CUBIAS_HD_SILU = 6 };

/* y = phi(x), dy = phi'(x), for finite x. ReLU is leaky with slope 0. */
CUBIAS_HD void cubias_act_eval(int act, float slope, float x, float *y, float *dy) {
  switch (act) {
    case CUBIAS_HD_RELU:
    case CUBIAS_HD_LEAKY: {
      int on = x > 0.0f;
      *y = on ? x : slope * x;
      *dy = on ? 1.0f : slope;
      return;
    }
    case CUBIAS_HD_TANH: {
      float t = tanhf(x);
      *y = t;
      *dy = 1.0f - t * t;
      return;
    }
    case CUBIAS_HD_SIGMOID: {
      float s = 1.0f / (1.0f + expf(-x));
      *y = s;
      *dy = s * (1.0f - s);
      return;
    }
    case CUBIAS_HD_GELU: {
      float cdf = 0.5f * erfcf(-x * 0.70710678118654752f);
      *y = x * cdf;
      *dy = cdf + x * 0.39894228040143268f * expf(-0.5f * x * x);
      return;
    }
    case CUBIAS_HD_SILU: {
      float s = 1.0f / (1.0f + expf(-x));
      *y = x * s;
      *dy = s * (1.0f + x * (1.0f - s));
      return;
    }
    default:
      *y = x;
      *dy = 1.0f;
      return;
  }
}

/* Activation classes decide which sums an element feeds:
 *  NONE   identity: phi moments follow from mean/var;
 *  LEAKY  relu / leaky relu: phi sums; phi'^2 follows from the counts;
 *  SMOOTH tanh / sigmoid / gelu / silu: phi, phi^2, phi'^2 sums. */
enum { CUBIAS_CLASS_NONE = 0, CUBIAS_CLASS_LEAKY = 1, CUBIAS_CLASS_SMOOTH = 2 };

CUBIAS_HD int cubias_act_class(int act) {
  return act == CUBIAS_HD_IDENTITY ? CUBIAS_CLASS_NONE
         : (act == CUBIAS_HD_RELU || act == CUBIAS_HD_LEAKY) ? CUBIAS_CLASS_LEAKY
                                                              : CUBIAS_CLASS_SMOOTH;
}

#endif /* CUBIAS_ACTIVATIONS_H */
