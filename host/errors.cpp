// Failure recording and the argument checks every entry point shares.
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"

static thread_local char g_thread_error[CUBIAS_ERROR_LEN];
// The outermost public call running on this thread (CUBIAS_ENTRY), or NULL.
static thread_local const char *g_call = nullptr;

static thread_local cubias_call_scope *g_outer = nullptr;

cubias_call_scope::cubias_call_scope(const char *name) : prev_(g_call) {
  if (!g_call) {  // a public call made by another keeps the outer name (and scope)
    g_call = name;
    g_outer = this;
  }
}

cubias_call_scope::~cubias_call_scope() {
  if (g_outer == this) {
    // A backend's failure text (kernels/backend.h) becomes the call's message, named.
    if (handle_ && handle_->backend_error[0])
      cubias_fail(handle_, CUBIAS_STATUS_SUCCESS, "%s", handle_->backend_error);
    // Direct: the scope holds no handle, and only a CUDA handle's use_device set it.
    if (restore_device_ >= 0) cubias_cuda_restore_device(restore_device_);
    g_outer = nullptr;
  }
  g_call = prev_;
}

cubias_status_t cubias_enter_device(cubias_handle_t h) {
  if (!h) return CUBIAS_STATUS_SUCCESS;
  if (g_outer) g_outer->handle_ = h;  // its backend's failures are published at the end
  int previous = -1;
  const cubias_status_t st = h->ops->use_device(h, &previous);
  if (previous >= 0 && g_outer && g_outer->restore_device_ < 0) g_outer->restore_device_ = previous;
  return st;
}

void cubias_forget_handle(cubias_handle_t h) {
  if (g_outer && g_outer->handle_ == h) g_outer->handle_ = nullptr;
}

// msg already begins with `name` as a word ("name: ...", "name ...").
static bool names(const char *msg, const char *name) {
  const size_t n = strlen(name);
  return strncmp(msg, name, n) == 0 && (msg[n] == ':' || msg[n] == ' ' || msg[n] == '\0');
}

cubias_status_t cubias_fail(cubias_handle_t h, cubias_status_t st, const char *fmt, ...) {
  char buf[CUBIAS_ERROR_LEN];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  // Every message begins with the public call's name; the backends' messages
  // (allocation, CUDA, cuBLAS) do not know it and get it here.
  char *out = g_thread_error;
  size_t room = sizeof g_thread_error - 1, k = 0;
  if (g_call && !names(buf, g_call)) {
    const size_t n = strlen(g_call);
    k = n + 2 < room ? n + 2 : 0;
    if (k) {
      memcpy(out, g_call, n);
      memcpy(out + n, ": ", 2);
    }
  }
  const size_t len = strlen(buf) < room - k ? strlen(buf) : room - k;
  memcpy(out + k, buf, len);
  out[k + len] = '\0';
  if (h) {
    snprintf(h->last_error, sizeof h->last_error, "%s", g_thread_error);
    h->backend_error[0] = '\0';  // recorded now (or older than this message)
  }
  return st;
}

void cubias_clear_error(cubias_handle_t h) {
  g_thread_error[0] = '\0';
  if (h) h->last_error[0] = '\0';
}

extern "C" cubias_status_t cubias_clear_last_error(cubias_handle_t h) {
  cubias_clear_error(h);
  return CUBIAS_STATUS_SUCCESS;
}

extern "C" const char *cubias_get_last_error(cubias_handle_t h) {
  return h ? h->last_error : g_thread_error;
}

size_t cubias_dtype_size(int dt) {
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
  return cubias_enter_device(h);
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

cubias_status_t cubias_check_backend_ptr(cubias_handle_t h, const void *p, size_t align,
                                         const char *what, const char *where) {
  if (!p) return cubias_fail(h, CUBIAS_STATUS_INVALID_VALUE, "%s: %s is NULL", where, what);
  // A misaligned access is a sticky error that ends a CUDA context: refused on both
  // backends alike, before anything runs.
  if (align > 1 && (uintptr_t)p % align != 0)
    return cubias_fail(h, CUBIAS_STATUS_INVALID_VALUE,
                       "%s: %s (%p) is not aligned to %zu bytes, the size of its elements", where,
                       what, p, align);
  // A CUDA handle asks the runtime; a CPU handle only where this thread already has
  // a CUDA context (else nothing can tell the sides apart without initialising CUDA).
  // A direct call, not h->ops: the CPU backend's checks ask the CUDA runtime too.
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
  const int dtype = cubias_enum_int(x->dtype);  // the int the caller stored
  if (cubias_dtype_size(dtype) == 0)
    return cubias_fail(h, CUBIAS_STATUS_INVALID_VALUE, "%s: unknown dtype %d", where, dtype);
  if (x->outer < 1 || x->channels < 1 || x->inner < 1)
    return cubias_fail(h, CUBIAS_STATUS_INVALID_VALUE,
                       "%s: tensor sizes must be >= 1 (outer=%lld channels=%lld inner=%lld)",
                       where, (long long)x->outer, (long long)x->channels, (long long)x->inner);
  int64_t oc, n, bytes;
  if (!cubias_mul_ok(x->outer, x->channels, &oc) || !cubias_mul_ok(oc, x->inner, &n) ||
      !cubias_mul_ok(n, (int64_t)cubias_dtype_size(dtype), &bytes))
    return cubias_fail(h, CUBIAS_STATUS_OVERFLOW,
                       "%s: outer*channels*inner (%lld*%lld*%lld) overflows int64", where,
                       (long long)x->outer, (long long)x->channels, (long long)x->inner);
  return cubias_check_backend_ptr(h, x->data, cubias_dtype_size(dtype), "tensor data", where);
}
