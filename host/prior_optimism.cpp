// Sigmoid gate targets b = logit(g0) and optimistic value heads
// b = r_max (1 - gamma^H) / (1 - gamma).
#include <math.h>

#include "internal.h"
#include "../kernels/logit.h"

extern "C" cubias_status_t cubias_gate_target(cubias_handle_t h, double g0, int64_t n,
                                              void *d_bias, cubias_dtype_t dtype_arg) {
  CUBIAS_ENTRY("cubias_gate_target");
  const int dtype = cubias_enum_int(dtype_arg);  // the int the caller stored
  cubias_status_t st = cubias_check_handle(h, where);
  if (st) return st;
  if (!(g0 > 0.0 && g0 < 1.0))
    return cubias_fail(h, CUBIAS_STATUS_INVALID_VALUE,
                       "%s: gate target g0 is %g; must lie in (0, 1) (logit(0), logit(1) are "
                       "infinite)",
                       where, g0);
  if ((st = cubias_check_bias_count(h, n, "n", where))) return st;
  if ((st = cubias_check_bias_dtype(h, dtype, where))) return st;
  if ((st = cubias_check_backend_ptr(h, d_bias, cubias_dtype_size(dtype), "bias", where))) return st;
  return cubias_write_bias_const(h, d_bias, dtype, n, cubias_logit(g0), where);
}

extern "C" cubias_status_t cubias_optimistic_value(cubias_handle_t h, double r_max, double gamma,
                                                   double horizon, int64_t n, void *d_bias,
                                                   cubias_dtype_t dtype_arg, double *h_value) {
  CUBIAS_ENTRY("cubias_optimistic_value");
  const int dtype = cubias_enum_int(dtype_arg);  // the int the caller stored
  cubias_status_t st = cubias_check_handle(h, where);
  if (st) return st;
  if (!cubias_finite(r_max))
    return cubias_fail(h, CUBIAS_STATUS_INVALID_VALUE, "%s: r_max is %g; must be finite", where,
                       r_max);
  if (!(gamma >= 0.0 && gamma < 1.0))
    return cubias_fail(h, CUBIAS_STATUS_INVALID_VALUE, "%s: gamma is %g; must lie in [0, 1)",
                       where, gamma);
  if (horizon != horizon)
    return cubias_fail(h, CUBIAS_STATUS_INVALID_VALUE,
                       "%s: horizon is NaN (pass CUBIAS_HORIZON_INFINITE for H = infinity)", where);
  if ((st = cubias_check_bias_count(h, n, "n", where))) return st;
  if ((st = cubias_check_bias_dtype(h, dtype, where))) return st;
  if ((st = cubias_check_backend_ptr(h, d_bias, cubias_dtype_size(dtype), "bias", where))) return st;
  double b;
  if (horizon < 0.0 || isinf(horizon))
    b = r_max / (1.0 - gamma);
  else if (horizon == 0.0)
    b = 0.0;
  else  // (1 - gamma^H) as -expm1(H ln gamma): no cancellation for gamma near 1
    b = r_max * (-expm1(horizon * log(gamma))) / (1.0 - gamma);
  st = cubias_write_bias_const(h, d_bias, dtype, n, b, where);
  if (!st && h_value) *h_value = b;
  return st;
}

extern "C" cubias_status_t cubias_relpos_bias_zero(cubias_handle_t h, void *d_table, int64_t n,
                                                   cubias_dtype_t dtype_arg) {
  CUBIAS_ENTRY("cubias_relpos_bias_zero");
  const int dtype = cubias_enum_int(dtype_arg);  // the int the caller stored
  cubias_status_t st = cubias_check_handle(h, where);
  if (st) return st;
  if ((st = cubias_check_bias_count(h, n, "n", where))) return st;
  if ((st = cubias_check_bias_dtype(h, dtype, where))) return st;
  if ((st = cubias_check_backend_ptr(h, d_table, cubias_dtype_size(dtype), "table", where))) return st;
  return cubias_write_bias_const(h, d_table, dtype, n, 0.0, where);
}
