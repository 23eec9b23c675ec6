// Handle lifecycle, streams, versions and status strings.
#include <stdlib.h>

#include <new>

#include "internal.h"

extern "C" const char *cubias_status_string(cubias_status_t status_arg) {
  const int status = cubias_enum_int(status_arg);  // the int the caller stored
  switch (status) {
    case CUBIAS_STATUS_SUCCESS: return "CUBIAS_STATUS_SUCCESS: no error";
    case CUBIAS_STATUS_INVALID_VALUE: return "CUBIAS_STATUS_INVALID_VALUE: an argument is invalid";
    case CUBIAS_STATUS_SHAPE_MISMATCH: return "CUBIAS_STATUS_SHAPE_MISMATCH: sizes disagree";
    case CUBIAS_STATUS_OVERFLOW: return "CUBIAS_STATUS_OVERFLOW: a size does not fit in int64";
    case CUBIAS_STATUS_HANDLE_MISMATCH:
      return "CUBIAS_STATUS_HANDLE_MISMATCH: object belongs to another handle";
    case CUBIAS_STATUS_WRONG_MEMORY:
      return "CUBIAS_STATUS_WRONG_MEMORY: pointer is on the wrong side (host vs device)";
    case CUBIAS_STATUS_NO_DEVICE: return "CUBIAS_STATUS_NO_DEVICE: no usable CUDA device";
    case CUBIAS_STATUS_ALLOC_FAILED: return "CUBIAS_STATUS_ALLOC_FAILED: allocation failed";
    case CUBIAS_STATUS_CUDA_ERROR: return "CUBIAS_STATUS_CUDA_ERROR: a CUDA call failed";
    case CUBIAS_STATUS_CUBLAS_ERROR: return "CUBIAS_STATUS_CUBLAS_ERROR: a cuBLAS call failed";
    case CUBIAS_STATUS_NOT_SUPPORTED: return "CUBIAS_STATUS_NOT_SUPPORTED: not supported";
    case CUBIAS_STATUS_NO_DATA: return "CUBIAS_STATUS_NO_DATA: no finite data";
    case CUBIAS_STATUS_INTERNAL_ERROR: return "CUBIAS_STATUS_INTERNAL_ERROR: internal error";
  }
  return "CUBIAS_STATUS_UNKNOWN: not a cubias status";
}

extern "C" cubias_status_t cubias_get_version(int *major, int *minor, int *patch) {
  if (major) *major = CUBIAS_VERSION_MAJOR;
  if (minor) *minor = CUBIAS_VERSION_MINOR;
  if (patch) *patch = CUBIAS_VERSION_PATCH;
  return CUBIAS_STATUS_SUCCESS;
}

extern "C" cubias_status_t cubias_create(cubias_handle_t *handle, cubias_backend_t backend_arg) {
  CUBIAS_ENTRY("cubias_create");
  const int backend = cubias_enum_int(backend_arg);  // the int the caller stored
  if (!handle) return cubias_fail(nullptr, CUBIAS_STATUS_INVALID_VALUE, "%s: handle is NULL", where);
  *handle = nullptr;  // the out-handle contract: NULL on every failure
  if (backend != CUBIAS_BACKEND_AUTO && backend != CUBIAS_BACKEND_CPU &&
      backend != CUBIAS_BACKEND_CUDA)
    return cubias_fail(nullptr, CUBIAS_STATUS_INVALID_VALUE, "%s: unknown backend %d", where,
                       (int)backend);
  int device = -1;
  int cuda_ok = 0;
  if (backend != CUBIAS_BACKEND_CPU) {
    // Probe quietly for AUTO: its failure only means "use the CPU".
    char why[CUBIAS_ERROR_LEN] = "";
    cubias_status_t st = cubias_cuda_probe(&device, 1, why, sizeof why);
    cuda_ok = st == CUBIAS_STATUS_SUCCESS;
    if (!cuda_ok && backend == CUBIAS_BACKEND_CUDA) return cubias_fail(nullptr, st, "%s", why);
  }
  // A CPU handle never touches the CUDA runtime here: creating a context would cost
  // memory on every GPU and break fork-based workers. Its pointer checks ask CUDA only
  // where the process has already made a context (cubias_cuda_pointer_kind).
  cubias_handle_s *h = new (std::nothrow) cubias_handle_s();
  if (!h) return cubias_fail(nullptr, CUBIAS_STATUS_ALLOC_FAILED, "%s: out of host memory", where);
  h->backend = (backend == CUBIAS_BACKEND_CPU || !cuda_ok) ? CUBIAS_BACKEND_CPU : CUBIAS_BACKEND_CUDA;
  // The one place a backend is chosen: every later call goes through h->ops.
  h->ops = h->backend == CUBIAS_BACKEND_CUDA ? &cubias_cuda_ops : &cubias_cpu_ops;
  h->device = device;
  h->stream = nullptr;
  h->live_stats = 0;
  h->cuda_present = cuda_ok;
  h->workspace = nullptr;
  h->workspace_bytes = 0;
  h->workspace_captured = 0;
  h->retired = nullptr;
  h->retired_count = 0;
  h->blas = nullptr;
  h->last_error[0] = '\0';
  h->backend_error[0] = '\0';
  *handle = h;
  return CUBIAS_STATUS_SUCCESS;
}

extern "C" cubias_status_t cubias_destroy(cubias_handle_t h) {
  CUBIAS_ENTRY("cubias_destroy");
  if (!h) return CUBIAS_STATUS_SUCCESS;
  if (h->live_stats != 0)
    return cubias_fail(h, CUBIAS_STATUS_INVALID_VALUE,
                       "cubias_destroy: %d statistics object(s) of this handle are still alive; "
                       "destroy them first",
                       h->live_stats);
  cubias_status_t st = cubias_enter_device(h);  // the frees below run on its device
  if (!st) st = h->ops->sync(h);
  h->ops->blas_destroy(h);
  if (h->workspace) h->ops->free(h, h->workspace);
  for (int i = 0; i < h->retired_count; ++i) h->ops->free(h, h->retired[i]);
  free(h->retired);
  cubias_forget_handle(h);
  delete h;
  return st;
}

extern "C" cubias_status_t cubias_get_backend(cubias_handle_t h, cubias_backend_t *backend) {
  CUBIAS_ENTRY("cubias_get_backend");
  cubias_status_t st = cubias_check_handle(h, where);
  if (st) return st;
  if (!backend) return cubias_fail(h, CUBIAS_STATUS_INVALID_VALUE, "cubias_get_backend: backend is NULL");
  *backend = h->backend;
  return CUBIAS_STATUS_SUCCESS;
}

extern "C" cubias_status_t cubias_set_stream(cubias_handle_t h, void *stream) {
  CUBIAS_ENTRY("cubias_set_stream");
  cubias_status_t st = cubias_check_handle(h, where);
  if (st) return st;
  if (stream != h->stream) {
    st = h->ops->sync(h);  // the workspace must not be shared by two streams
    if (st) return st;
  }
  h->stream = stream;
  return CUBIAS_STATUS_SUCCESS;
}

extern "C" cubias_status_t cubias_get_stream(cubias_handle_t h, void **stream) {
  CUBIAS_ENTRY("cubias_get_stream");
  cubias_status_t st = cubias_check_handle(h, where);
  if (st) return st;
  if (!stream) return cubias_fail(h, CUBIAS_STATUS_INVALID_VALUE, "cubias_get_stream: stream is NULL");
  *stream = h->stream;
  return CUBIAS_STATUS_SUCCESS;
}

extern "C" cubias_status_t cubias_synchronize(cubias_handle_t h) {
  CUBIAS_ENTRY("cubias_synchronize");
  cubias_status_t st = cubias_check_handle(h, where);
  if (st) return st;
  return h->ops->sync(h);
}

// Workspace of at least `bytes`. A workspace that a stream capture has used may be
// replayed into by the graph at any time, so it is never freed before the handle:
// growth then retires it. Growth during a capture is refused (an allocation there
// would be captured too, and the graph would keep a buffer the handle frees).
cubias_status_t cubias_workspace(cubias_handle_t h, size_t bytes, void **ws) {
  const int capturing = h->ops->capturing(h);
  if (bytes <= h->workspace_bytes && h->workspace) {
    h->workspace_captured |= capturing;
    *ws = h->workspace;
    return CUBIAS_STATUS_SUCCESS;
  }
  if (capturing)
    return cubias_fail(h, CUBIAS_STATUS_NOT_SUPPORTED,
                       "the workspace must grow from %zu to %zu bytes while the stream is being "
                       "captured: reserve it before the capture (cubias_reserve_workspace, or the "
                       "same call once outside it)",
                       h->workspace_bytes, bytes);
  void *p = nullptr;
  cubias_status_t st = h->ops->alloc(h, bytes, &p);
  if (st) return st;
  if (h->workspace) {
    if (h->workspace_captured) {
      void **r = (void **)realloc(h->retired, sizeof(void *) * (size_t)(h->retired_count + 1));
      if (!r) {
        h->ops->free(h, p);
        return cubias_fail(h, CUBIAS_STATUS_ALLOC_FAILED, "out of host memory");
      }
      h->retired = r;
      h->retired[h->retired_count++] = h->workspace;
    } else {
      // Work already enqueued may still read the old workspace.
      st = h->ops->sync(h);
      if (st) {
        h->ops->free(h, p);
        return st;
      }
      h->ops->free(h, h->workspace);
    }
  }
  h->workspace = p;
  h->workspace_bytes = bytes;
  h->workspace_captured = 0;
  *ws = p;
  return CUBIAS_STATUS_SUCCESS;
}
