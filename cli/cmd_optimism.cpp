// `cubias optimism`: optimistic initial values for a value head.
#include <cmath>
#include <cstdio>

#include "cli.h"

namespace cli {

int run_optimism(const Args &a) {
  if (!a.positional.empty()) return fail("optimism takes no file argument (see cubias optimism --help)");
  std::string err, out;
  if (!out_path(a, &out, &err)) return fail(err);
  if (!a.has("rmax") || !a.has("gamma"))
    return fail("--rmax R and --gamma G are required (the largest reward and the discount)");
  double rmax, gamma, horizon = CUBIAS_HORIZON_INFINITE;
  int64_t A;
  if (!a.number("rmax", 0, &rmax, &err) || !a.number("gamma", 0, &gamma, &err) ||
      !a.integer("actions", 1, 1, int64_t(1) << 28, &A, &err))
    return fail(err);
  const std::string hz = a.get("horizon", "inf");
  if (hz != "inf" && hz != "infinity" && !a.number("horizon", 0, &horizon, &err)) return fail(err);
  if (hz != "inf" && hz != "infinity" && !(horizon >= 0))
    return fail("--horizon must be >= 0 or inf (got '" + hz + "')");
  if (!(gamma >= 0 && gamma < 1)) return fail("--gamma must be in [0, 1) (got " + a.get("gamma", "") + ")");
  if (!std::isfinite(rmax)) return fail("--rmax must be finite");
  cubias_dtype_t dt;
  npy::Kind kind;
  if (!parse_out_dtype(a, &dt, &kind, &err)) return fail(err);
  Session s;
  if (!s.open(a, &err)) return fail(err);
  void *d = nullptr;
  if (!s.alloc((size_t)A * dtype_bytes(dt), &d, &err)) return fail(err);
  double value = 0;
  cubias_status_t st = cubias_optimistic_value(s.handle(), rmax, gamma, horizon, A, d, dt, &value);
  if (st) return fail_status("cubias_optimistic_value", st, s.handle());
  if (!fetch_and_write(s, d, {A}, dt, kind, out, &err)) return fail(err);
  printf("optimism: b = r_max (1 - gamma^H) / (1 - gamma) = %.9g (r_max %g, gamma %g, H %s) -> %s [%lld] %s\n",
         value, rmax, gamma, horizon < 0 ? "inf" : json_number(horizon).c_str(), out.c_str(),
         (long long)A, npy::kind_name(kind));
  return 0;
}

}  // namespace cli
