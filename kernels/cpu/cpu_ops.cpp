// The CPU backend's table of operations (kernels/backend.h), and the stream and
// device operations a CPU backend has nothing to do for: its memory is host
// memory and its work is done when a call returns.
#include <string.h>

#include "../derive_ops.h"
#include "../gain_math.h"

cubias_status_t cubias_cpu_sync(cubias_handle_t) { return CUBIAS_STATUS_SUCCESS; }
int cubias_cpu_capturing(cubias_handle_t) { return 0; }
cubias_status_t cubias_cpu_use_device(cubias_handle_t, int *previous) {
  *previous = -1;
  return CUBIAS_STATUS_SUCCESS;
}
cubias_status_t cubias_cpu_memcpy(cubias_handle_t, void *dst, const void *src, size_t bytes, int) {
  memcpy(dst, src, bytes);
  return CUBIAS_STATUS_SUCCESS;
}
void cubias_cpu_blas_destroy(cubias_handle_t) {}  // no cuBLAS
cubias_status_t cubias_cpu_write_header(cubias_handle_t, void *buffer,
                                        const cubias_export_header_t *hdr) {
  memcpy(buffer, hdr, sizeof *hdr);
  return CUBIAS_STATUS_SUCCESS;
}

// No prior_finish: the CPU backend's counts are host memory, which the front
// finishes on the host (host/prior_labels.cpp).
extern const cubias_backend_ops cubias_cpu_ops = CUBIAS_BACKEND_OPS_OF(cubias_cpu, nullptr);
