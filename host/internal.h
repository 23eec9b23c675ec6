/* The C API front's own declarations (host/ only): argument checks, the
 * last-error reset, workspace sizing. The backend contract it shares with
 * kernels/cpu/ and kernels/cuda/ is kernels/backend.h. */
#ifndef CUBIAS_INTERNAL_H
#define CUBIAS_INTERNAL_H

#include "../kernels/backend.h"
#include "../kernels/weight_view.h"

/* Record a failure (handle may be NULL) and return its status. printf-style. The
 * message begins with the name of the public call running on this thread. */
cubias_status_t cubias_fail(cubias_handle_t h, cubias_status_t st, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* x is a finite number (not NaN, not +-Inf): the one test every check uses. */
static inline int cubias_finite(double x) { return x == x && x - x == 0.0; }

/* Bytes of one element of dtype, 0 when the dtype is unknown. */
size_t cubias_dtype_size(int dt);
/* a*b into *out, false on int64 overflow or negative operands. */
int cubias_mul_ok(int64_t a, int64_t b, int64_t *out);

/* Workspace of at least `bytes` in backend memory (cached in the handle). */
cubias_status_t cubias_workspace(cubias_handle_t h, size_t bytes, void **ws);

#ifdef __cplusplus
/* A backend operation of two phases (kernels/backend.h): op(ws, &bytes) is asked
 * with ws = NULL for its bytes, then run with the handle's workspace. */
template <class Op>
cubias_status_t cubias_with_workspace(cubias_handle_t h, Op op) {
  static char nothing;  // the second phase's ws when no bytes are needed
  size_t bytes = 0;
  cubias_status_t st = op(nullptr, &bytes);
  if (st) return st;
  void *ws = &nothing;
  if (bytes && (st = cubias_workspace(h, bytes, &ws))) return st;
  return op(ws, &bytes);
}
#endif

void cubias_clear_error(cubias_handle_t h);

#ifdef __cplusplus
/* The public call running on this thread, for as long as the scope lives:
 * every message cubias_fail records meanwhile begins with its name (the
 * outermost call's when one public call uses another). */
class cubias_call_scope {
 public:
  explicit cubias_call_scope(const char *name);
  ~cubias_call_scope();
  cubias_call_scope(const cubias_call_scope &) = delete;
  cubias_call_scope &operator=(const cubias_call_scope &) = delete;

 private:
  friend cubias_status_t cubias_enter_device(cubias_handle_t h);
  friend void cubias_forget_handle(cubias_handle_t h);
  const char *prev_;
  int restore_device_ = -1; /* the caller's current device, made current again at the end */
  cubias_handle_t handle_ = nullptr; /* whose backend error slot is published at the end */
};
/* First line of every public entry point: names the call (as `where`). */
#define CUBIAS_ENTRY(name)                       \
  [[maybe_unused]] const char *const where = name; \
  cubias_call_scope cubias_call_scope_(where)
#endif

/* Make a CUDA handle's device current for the rest of the public call; the
 * outermost call's scope makes the caller's device current again when it ends.
 * cubias_check_handle does it, so every call that checks a handle runs on the
 * handle's device. CPU handles: nothing. */
cubias_status_t cubias_enter_device(cubias_handle_t h);
/* The handle is going away: its error slot is not to be published when the call ends. */
void cubias_forget_handle(cubias_handle_t h);

/* Argument checks: each returns SUCCESS or records what was wrong in `where`. */
cubias_status_t cubias_check_handle(cubias_handle_t h, const char *where);
cubias_status_t cubias_check_stats(cubias_handle_t h, cubias_stats_t s, const char *where);
cubias_status_t cubias_check_tensor(cubias_handle_t h, const cubias_tensor_t *x,
                                    const char *where);
/* A pointer the backend will dereference: non-NULL and, where the CUDA runtime
 * can tell, on the right side (device for CUDA, host for CPU). */
cubias_status_t cubias_check_backend_ptr(cubias_handle_t h, const void *p, size_t align,
                                         const char *what, const char *where);

/* A weight view's sizes, dtype, layout and extent (and, with check_data, its
 * pointer's side); `who` names it in the message ("weight", "layer 3 weight"). */
cubias_status_t cubias_check_weight(cubias_handle_t h, const cubias_weight_t *w, const char *who,
                                    const char *where, int check_data);

#ifdef __cplusplus
#include <string.h>
/* An enum read as the int the caller stored (any value, without loading an
 * out-of-range enum, which UBSan rightly flags in C++). */
template <class E>
inline int cubias_enum_int(const E &e) {
  static_assert(sizeof(E) == sizeof(int), "enum size");
  int v;
  memcpy(&v, &e, sizeof v);
  return v;
}
#endif

/* Bytes of workspace one statistics pass of this plan needs on h's backend. */
size_t cubias_stats_workspace_bytes(cubias_handle_t h, const cubias_plan_t *plan,
                                    int64_t channels);

/* ---- bias writes of the value rules (host/prior_common.cpp) ------------- */

/* SUCCESS for f32/f16/bf16, else INVALID_VALUE recorded against `where`. */
cubias_status_t cubias_check_bias_dtype(cubias_handle_t h, int dtype, const char *where);
/* n >= 1 and n * dtype size fits in int64. */
cubias_status_t cubias_check_bias_count(cubias_handle_t h, int64_t n, const char *what,
                                      const char *where);
/* Write `value` (checked to fit dtype) to d_bias[0..n) on the handle's backend. */
cubias_status_t cubias_write_bias_const(cubias_handle_t h, void *d_bias, int dtype,
                                      int64_t n, double value, const char *where);
/* Write host values h_vals[0..n) (each checked to fit dtype first) to d_bias. */
cubias_status_t cubias_write_bias_values(cubias_handle_t h, const double *h_vals, int64_t n,
                                            void *d_bias, int dtype, const char *where);

#endif /* CUBIAS_INTERNAL_H */
