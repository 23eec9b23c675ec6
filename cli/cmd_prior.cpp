// `cubias prior`: class-prior output biases from labels, multi-hot targets or one pi.
#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "cli.h"

namespace cli {

namespace {

const int64_t kMaxClasses = int64_t(1) << 28;

// What every form of the command shares: where and in which dtype the biases
// go, and the pseudo-count.
struct PriorOut {
  std::string path;
  cubias_dtype_t dt;
  npy::Kind kind;
  double alpha;
};

// The labels file, read whole.
struct Labels {
  std::string path;
  npy::Header h;
  std::vector<char> host;
};

int write_bias(Session &s, const void *d, int64_t K, const PriorOut &o, const char *what) {
  std::string err;
  if (!fetch_and_write(s, d, {K}, o.dt, o.kind, o.path, &err)) return fail(err);
  printf("prior (%s): %lld bias(es) -> %s %s\n", what, (long long)K, o.path.c_str(),
         npy::kind_name(o.kind));
  return 0;
}

// Opens the session, copies the labels to the backend (*labels) and allocates
// room for K biases there (*out).
bool stage(Session &s, const Args &a, const Labels &l, int64_t K, const PriorOut &o,
           const void **labels, void **out, std::string *err) {
  return s.open(a, err) && s.to_backend(l.host.data(), l.host.size(), labels, err) &&
         s.alloc((size_t)K * dtype_bytes(o.dt), out, err);
}

// --pi P: one prior for K (--classes) outputs.
int prior_single(const Args &a, const PriorOut &o) {
  if (!a.positional.empty()) return fail("prior: give either a labels .npy or --pi, not both");
  std::string err;
  double pi;
  int64_t K;
  if (!a.number("pi", 0, &pi, &err) || !a.integer("classes", 1, 1, kMaxClasses, &K, &err))
    return fail(err);
  if (!(pi > 0 && pi < 1)) return fail("--pi must be in (0, 1), got " + a.get("pi", ""));
  Session s;
  if (!s.open(a, &err)) return fail(err);
  void *d = nullptr;
  if (!s.alloc((size_t)K * dtype_bytes(o.dt), &d, &err)) return fail(err);
  cubias_status_t st = cubias_prior_single(s.handle(), pi, K, d, o.dt);
  if (st) return fail_status("cubias_prior_single", st, s.handle());
  return write_bias(s, d, K, o, "single pi");
}

// The labels (`what`) have `rank` dimensions (`shape`, e.g. "[N]") and at least one entry.
bool check_shape(const Labels &l, size_t rank, const char *what, const char *shape,
                 const char *noun, std::string *err) {
  if (l.h.shape.size() != rank)
    *err = l.path + ": " + what + " must have shape " + shape + ", the file has " +
           shape_str(l.h.shape);
  else if (l.h.count == 0)
    *err = l.path + ": no " + noun + " (shape " + shape_str(l.h.shape) + ")";
  return l.h.shape.size() == rank && l.h.count != 0;
}

// The class count of index labels: --classes K, else the largest label + 1.
bool classes_of(const Args &a, const Labels &l, int64_t *K, std::string *err) {
  if (a.has("classes")) return a.integer("classes", 0, 1, kMaxClasses, K, err);
  int64_t mx = INT64_MIN;
  for (int64_t i = 0; i < l.h.count; ++i) {
    const int64_t v = npy::int_at(l.h, l.host.data(), i);
    if (v > mx) mx = v;
  }
  if (mx < 0) {
    *err = l.path + ": every label is negative; pass --classes K";
    return false;
  }
  if (mx >= kMaxClasses) {
    *err = l.path + ": the largest label is " + std::to_string(mx) +
           "; pass --classes K explicitly (at most " + std::to_string(kMaxClasses) + ")";
    return false;
  }
  *K = mx + 1;
  return true;
}

// --anchor mean_zero|log_prob|pin:k for K classes.
bool anchor_of(const Args &a, int64_t K, cubias_prior_anchor_t *an, int64_t *pin,
               std::string *err) {
  const std::string anchor = a.get("anchor", "mean_zero");
  *pin = 0;
  if (anchor == "mean_zero") {
    *an = CUBIAS_PRIOR_MEAN_ZERO;
  } else if (anchor == "log_prob") {
    *an = CUBIAS_PRIOR_LOG_PROB;
  } else if (anchor.rfind("pin:", 0) == 0) {
    *an = CUBIAS_PRIOR_PIN_CLASS;
    char *end = nullptr;
    const std::string k = anchor.substr(4);
    *pin = strtoll(k.c_str(), &end, 10);
    if (k.empty() || *end || *pin < 0 || *pin >= K) {
      *err = "--anchor pin:K needs a class K in [0, " + std::to_string(K) + "), got '" + anchor +
             "'";
      return false;
    }
  } else {
    *err = "--anchor must be mean_zero, pin:K or log_prob (got '" + anchor + "')";
    return false;
  }
  return true;
}

// Class indices [N] -> softmax prior.
int prior_softmax(const Args &a, const PriorOut &o, const Labels &l) {
  const std::string &path = l.path;
  std::string err;
  int64_t K = 0, pin = 0;
  cubias_prior_anchor_t an;
  if (!check_shape(l, 1, "class-index labels", "[N]", "labels", &err) ||
      !classes_of(a, l, &K, &err) || !anchor_of(a, K, &an, &pin, &err))
    return fail(err);
  Session s;
  const void *dl = nullptr;
  void *d = nullptr;
  if (!stage(s, a, l, K, o, &dl, &d, &err)) return fail(err);
  int64_t bad = 0;
  const cubias_index_type_t it = l.h.kind == npy::Kind::I64 ? CUBIAS_INDEX_INT64 : CUBIAS_INDEX_INT32;
  cubias_status_t st = cubias_prior_softmax_from_labels(s.handle(), dl, it, l.h.count, K, o.alpha,
                                                        an, pin, d, o.dt, &bad);
  if (st && bad > 0)
    return fail(path + ": " + std::to_string(bad) + " label(s) outside [0, " + std::to_string(K) +
                ")");
  if (st) return fail_status("cubias_prior_softmax_from_labels", st, s.handle());
  return write_bias(s, d, K, o, "softmax from labels");
}

// Multi-hot targets [N, K] -> one sigmoid prior per class.
int prior_sigmoid(const Args &a, const PriorOut &o, const Labels &l) {
  const std::string &path = l.path;
  std::string err;
  if (!check_shape(l, 2, "multi-hot targets", "[N, K]", "targets", &err)) return fail(err);
  const int64_t K = l.h.shape[1];
  if (a.has("classes")) {
    int64_t k;
    if (!a.integer("classes", 0, 1, kMaxClasses, &k, &err)) return fail(err);
    if (k != K)
      return fail(path + ": --classes " + std::to_string(k) + " but the targets have K = " +
                  std::to_string(K) + " columns");
  }
  if (a.has("anchor"))
    return fail("--anchor applies to class-index labels only (sigmoid priors have no free constant)");
  Session s;
  const void *dl = nullptr;
  void *d = nullptr;
  if (!stage(s, a, l, K, o, &dl, &d, &err)) return fail(err);
  int64_t bad = 0;
  cubias_status_t st = cubias_prior_sigmoid_from_targets(
      s.handle(), (const uint8_t *)dl, l.h.shape[0], K, o.alpha, d, o.dt, &bad);
  if (st && bad > 0)
    return fail(path + ": " + std::to_string(bad) + " target entr(y/ies) other than 0 or 1");
  if (st) return fail_status("cubias_prior_sigmoid_from_targets", st, s.handle());
  return write_bias(s, d, K, o, "sigmoid from multi-hot targets");
}

}  // namespace

int run_prior(const Args &a) {
  std::string err;
  PriorOut o;
  if (!out_path(a, &o.path, &err)) return fail(err);
  if (!parse_out_dtype(a, &o.dt, &o.kind, &err)) return fail(err);
  if (!a.number("alpha", CUBIAS_PRIOR_ALPHA_DEFAULT, &o.alpha, &err)) return fail(err);
  // The library refuses these too (status 1); a bad option value is a usage error (2).
  if (!(o.alpha > 0) || !std::isfinite(o.alpha))
    return fail("--alpha must be > 0 and finite (pseudo-counts), got " + a.get("alpha", ""));
  if (a.has("pi")) return prior_single(a, o);
  if (a.positional.size() != 1)
    return fail("prior needs a labels .npy file or --pi P (see cubias prior --help)");
  Labels l;
  l.path = a.positional[0];
  if (!npy::read_all(l.path, &l.h, &l.host, &err)) return fail(err);
  if (l.h.kind == npy::Kind::I32 || l.h.kind == npy::Kind::I64) return prior_softmax(a, o, l);
  if (l.h.kind == npy::Kind::U8 || l.h.kind == npy::Kind::BOOL) return prior_sigmoid(a, o, l);
  return fail(l.path + ": labels must be int32/int64 class indices [N] or uint8/bool multi-hot [N, K], the file holds " +
              npy::kind_name(l.h.kind));
}

}  // namespace cli
