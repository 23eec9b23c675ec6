// Failure recording and the argument checks every entry point shares.
#include <stdarg.h>
#include <stdio.h>

#include "internal.h"

static thread_local char g_thread_error[CUBIAS_ERROR_LEN];

cubias_status_t cubias_fail(cubias_handle_t h, cubias_status_t st, const char *fmt, ...) {
  char buf[CUBIAS_ERROR_LEN];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  snprintf(g_thread_error, sizeof g_thread_error, "%s", buf);
  if (h) snprintf(h->last_error, sizeof h->last_error, "%s", buf);
  return st;
}

void cubias_clear_error(cubias_handle_t h) {
  g_thread_error[0] = '\0';
  if (h) h->last_error[0] = '\0';
}

extern "C" const char *cubias_get_last_error(cubias_handle_t h) {
  return h ? h->last_error : g_thread_error;
}

size_t cubias_dtype_size(cubias_dtype_t dt) {
  switch (dt) {
    case CUBIAS_DTYPE_F32: return 4;
    case CUBIAS_DTYPE_F16: return 2;
    case CUBIAS_DTYPE_BF16: return 2;
  }
  return 0;
}

int cubias_mul_ok(int64_t a, int64_t b, int64_t *out) {
  if (a < 0 || b < 0) return 0;
  int64_t r;
  if (__builtin_mul_overflow(a, b, &r)) return 0;
  *out = r;
  return 1;
}

cubias_status_t cubias_check_handle(cubias_handle_t h, const char *where) {
  if (!h) return cubias_fail(nullptr, CUBIAS_STATUS_INVALID_VALUE, "%s: handle is NULL", where);
  return CUBIAS_STATUS_SUCCESS;
}

cubias_status_t cubias_check_stats(cubias_handle_t h, cubias_stats_t s, const char *where) {
  cubias_status_t st = cubias_check_handle(h, where);
  if (st) return st;
  if (!s) return cubias_fail(h, CUBIAS_STATUS_INVALID_VALUE, "%s: stats is NULL", where);
  if (s->owner != h)
    return cubias_fail(h, CUBIAS_STATUS_HANDLE_MISMATCH,
                       "%s: the stats object was created by another handle", where);
  return CUBIAS_STATUS_SUCCESS;
}

cubias_status_t cubias_check_backend_ptr(cubias_handle_t h, const void *p, const char *what,
                                         const char *where) {
  if (!p) return cubias_fail(h, CUBIAS_STATUS_INVALID_VALUE, "%s: %s is NULL", where, what);
  // A CUDA handle asks the runtime; a CPU handle only where this thread already has
  // a CUDA context (else nothing can tell the sides apart without initialising CUDA).
  const int kind = cubias_cuda_pointer_kind(p, h->backend == CUBIAS_BACKEND_CUDA);
  if (h->backend == CUBIAS_BACKEND_CUDA && kind == 0)
    return cubias_fail(h, CUBIAS_STATUS_WRONG_MEMORY,
                       "%s: %s (%p) is plain host memory, but the handle's backend is CUDA: pass "
                       "device, managed or mapped memory",
                       where, what, p);
  if (h->backend == CUBIAS_BACKEND_CPU && kind == 1)
    return cubias_fail(h, CUBIAS_STATUS_WRONG_MEMORY,
                       "%s: %s (%p) is device memory, but the handle's backend is CPU", where,
                       what, p);
  return CUBIAS_STATUS_SUCCESS;
}

cubias_status_t cubias_check_tensor(cubias_handle_t h, const cubias_tensor_t *x, const char *where) {
  if (!x) return cubias_fail(h, CUBIAS_STATUS_INVALID_VALUE, "%s: tensor view is NULL", where);
  if (cubias_dtype_size(x->dtype) == 0)
    return cubias_fail(h, CUBIAS_STATUS_INVALID_VALUE, "%s: unknown dtype %d", where,
                       (int)x->dtype);
  if (x->outer < 1 || x->channels < 1 || x->inner < 1)
    return cubias_fail(h, CUBIAS_STATUS_INVALID_VALUE,
                       "%s: tensor sizes must be >= 1 (outer=%lld channels=%lld inner=%lld)",
                       where, (long long)x->outer, (long long)x->channels, (long long)x->inner);
  int64_t oc, n, bytes;
  if (!cubias_mul_ok(x->outer, x->channels, &oc) || !cubias_mul_ok(oc, x->inner, &n) ||
      !cubias_mul_ok(n, (int64_t)cubias_dtype_size(x->dtype), &bytes))
    return cubias_fail(h, CUBIAS_STATUS_OVERFLOW,
                       "%s: outer*channels*inner (%lld*%lld*%lld) overflows int64", where,
                       (long long)x->outer, (long long)x->channels, (long long)x->inner);
  return cubias_check_backend_ptr(h, x->data, "tensor data", where);
}
