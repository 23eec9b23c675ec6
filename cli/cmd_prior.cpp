// `cubias prior`: class-prior output biases from labels, multi-hot targets or one pi.
#include <cmath>
#include <cstdio>
#include <cstring>

#include "cli.h"

namespace cli {

static const int64_t kMaxClasses = int64_t(1) << 28;

static int write_bias(Session &s, const void *d, int64_t K, cubias_dtype_t dt, npy::Kind kind,
                      const std::string &out, const char *what) {
  std::string err;
  if (!fetch_and_write(s, d, {K}, dt, kind, out, &err)) return fail(err);
  printf("prior (%s): %lld bias(es) -> %s %s\n", what, (long long)K, out.c_str(),
         npy::kind_name(kind));
  return 0;
}

// Opens the session, copies the labels to the backend (*labels) and allocates
// out_bytes there for the biases (*out).
static bool stage(Session &s, const Args &a, const std::vector<char> &host, size_t out_bytes,
                  const void **labels, void **out, std::string *err) {
  return s.open(a, err) && s.to_backend(host.data(), host.size(), labels, err) &&
         s.alloc(out_bytes, out, err);
}

int run_prior(const Args &a) {
  std::string err, out;
  if (!out_path(a, &out, &err)) return fail(err);
  cubias_dtype_t dt;
  npy::Kind kind;
  if (!parse_out_dtype(a, &dt, &kind, &err)) return fail(err);
  double alpha;
  if (!a.number("alpha", CUBIAS_PRIOR_ALPHA_DEFAULT, &alpha, &err)) return fail(err);
  // The library refuses these too (status 1); a bad option value is a usage error (2).
  if (!(alpha > 0) || !std::isfinite(alpha))
    return fail("--alpha must be > 0 and finite (pseudo-counts), got " + a.get("alpha", ""));
  const size_t item = dt == CUBIAS_DTYPE_F32 ? 4 : 2;

  if (a.has("pi")) {  // one prior for every output
    if (!a.positional.empty()) return fail("prior: give either a labels .npy or --pi, not both");
    double pi;
    int64_t K;
    if (!a.number("pi", 0, &pi, &err) || !a.integer("classes", 1, 1, kMaxClasses, &K, &err))
      return fail(err);
    if (!(pi > 0 && pi < 1)) return fail("--pi must be in (0, 1), got " + a.get("pi", ""));
    Session s;
    if (!s.open(a, &err)) return fail(err);
    void *d = nullptr;
    if (!s.alloc((size_t)K * item, &d, &err)) return fail(err);
    cubias_status_t st = cubias_prior_single(s.handle(), pi, K, d, dt);
    if (st) return fail_status("cubias_prior_single", st, s.handle());
    return write_bias(s, d, K, dt, kind, out, "single pi");
  }
  if (a.positional.size() != 1)
    return fail("prior needs a labels .npy file or --pi P (see cubias prior --help)");
  const std::string path = a.positional[0];
  npy::Header h;
  std::vector<char> host;
  if (!npy::read_all(path, &h, &host, &err)) return fail(err);
  Session s;
  int64_t bad = 0;

  if (h.kind == npy::Kind::I32 || h.kind == npy::Kind::I64) {  // class indices -> softmax
    if (h.shape.size() != 1)
      return fail(path + ": class-index labels must have shape [N], the file has " +
                  shape_str(h.shape));
    if (h.count == 0) return fail(path + ": no labels (shape " + shape_str(h.shape) + ")");
    const bool i64 = h.kind == npy::Kind::I64;
    int64_t K = 0;
    if (a.has("classes")) {
      if (!a.integer("classes", 0, 1, kMaxClasses, &K, &err)) return fail(err);
    } else {
      int64_t mx = INT64_MIN;
      for (int64_t i = 0; i < h.count; ++i) {
        int64_t v;
        if (i64) {
          memcpy(&v, host.data() + 8 * i, 8);
        } else {
          int32_t v32;
          memcpy(&v32, host.data() + 4 * i, 4);
          v = v32;
        }
        if (v > mx) mx = v;
      }
      if (mx < 0) return fail(path + ": every label is negative; pass --classes K");
      if (mx >= kMaxClasses)
        return fail(path + ": the largest label is " + std::to_string(mx) +
                    "; pass --classes K explicitly (at most " + std::to_string(kMaxClasses) + ")");
      K = mx + 1;
    }
    const std::string anchor = a.get("anchor", "mean_zero");
    cubias_prior_anchor_t an;
    int64_t pin = 0;
    if (anchor == "mean_zero") {
      an = CUBIAS_PRIOR_MEAN_ZERO;
    } else if (anchor == "log_prob") {
      an = CUBIAS_PRIOR_LOG_PROB;
    } else if (anchor.rfind("pin:", 0) == 0) {
      an = CUBIAS_PRIOR_PIN_CLASS;
      char *end = nullptr;
      const std::string k = anchor.substr(4);
      pin = strtoll(k.c_str(), &end, 10);
      if (k.empty() || *end || pin < 0 || pin >= K)
        return fail("--anchor pin:K needs a class K in [0, " + std::to_string(K) + "), got '" +
                    anchor + "'");
    } else {
      return fail("--anchor must be mean_zero, pin:K or log_prob (got '" + anchor + "')");
    }
    const void *dl = nullptr;
    void *d = nullptr;
    if (!stage(s, a, host, (size_t)K * item, &dl, &d, &err)) return fail(err);
    cubias_status_t st = cubias_prior_softmax_from_labels(
        s.handle(), dl, i64 ? CUBIAS_INDEX_INT64 : CUBIAS_INDEX_INT32, h.count, K, alpha, an, pin,
        d, dt, &bad);
    if (st && bad > 0)
      return fail(path + ": " + std::to_string(bad) + " label(s) outside [0, " +
                  std::to_string(K) + ")");
    if (st) return fail_status("cubias_prior_softmax_from_labels", st, s.handle());
    return write_bias(s, d, K, dt, kind, out, "softmax from labels");
  }
  if (h.kind == npy::Kind::U8 || h.kind == npy::Kind::BOOL) {  // multi-hot -> sigmoid
    if (h.shape.size() != 2)
      return fail(path + ": multi-hot targets must have shape [N, K], the file has " +
                  shape_str(h.shape));
    if (h.count == 0) return fail(path + ": no targets (shape " + shape_str(h.shape) + ")");
    const int64_t K = h.shape[1];
    if (a.has("classes")) {
      int64_t k;
      if (!a.integer("classes", 0, 1, kMaxClasses, &k, &err)) return fail(err);
      if (k != K)
        return fail(path + ": --classes " + std::to_string(k) + " but the targets have K = " +
                    std::to_string(K) + " columns");
    }
    if (a.has("anchor"))
      return fail("--anchor applies to class-index labels only (sigmoid priors have no free constant)");
    const void *dl = nullptr;
    void *d = nullptr;
    if (!stage(s, a, host, (size_t)K * item, &dl, &d, &err)) return fail(err);
    cubias_status_t st = cubias_prior_sigmoid_from_targets(
        s.handle(), (const uint8_t *)dl, h.shape[0], K, alpha, d, dt, &bad);
    if (st && bad > 0)
      return fail(path + ": " + std::to_string(bad) + " target entr(y/ies) other than 0 or 1");
    if (st) return fail_status("cubias_prior_sigmoid_from_targets", st, s.handle());
    return write_bias(s, d, K, dt, kind, out, "sigmoid from multi-hot targets");
  }
  return fail(path + ": labels must be int32/int64 class indices [N] or uint8/bool multi-hot [N, K], the file holds " +
              npy::kind_name(h.kind));
}

}  // namespace cli
