// The CPU backend's table of operations (kernels/backend.h), and the memory,
// stream and device operations: its memory is host memory and its work is done
// when a call returns, so sync, capturing and use_device have nothing to do.
#include <stdlib.h>
#include <string.h>

#include "../backend.h"

cubias_status_t cubias_cpu_alloc(cubias_handle_t h, size_t bytes, void **p) {
  void *q = nullptr;
  if (posix_memalign(&q, 64, bytes ? bytes : 64) != 0 || !q)
    return cubias_backend_fail(h, CUBIAS_STATUS_ALLOC_FAILED, "out of host memory (%zu bytes)",
                               bytes);
  *p = q;
  return CUBIAS_STATUS_SUCCESS;
}
void cubias_cpu_free(cubias_handle_t, void *p) { free(p); }
cubias_status_t cubias_cpu_sync(cubias_handle_t) { return CUBIAS_STATUS_SUCCESS; }
int cubias_cpu_capturing(cubias_handle_t) { return 0; }
cubias_status_t cubias_cpu_use_device(cubias_handle_t, int *previous) {
  *previous = -1;
  return CUBIAS_STATUS_SUCCESS;
}
cubias_status_t cubias_cpu_copy(cubias_handle_t, void *dst, const void *src, size_t bytes, int) {
  memcpy(dst, src, bytes);
  return CUBIAS_STATUS_SUCCESS;
}
void cubias_cpu_blas_destroy(cubias_handle_t) {}  // no cuBLAS
cubias_status_t cubias_cpu_write_header(cubias_handle_t, void *buffer,
                                        const cubias_export_header_t *hdr) {
  memcpy(buffer, hdr, sizeof *hdr);
  return CUBIAS_STATUS_SUCCESS;
}

// Entry by entry, by name. No prior_finish: the CPU backend's counts are host
// memory, which the front finishes on the host (host/prior_labels.cpp).
extern const cubias_backend_ops cubias_cpu_ops = []() constexpr {
  cubias_backend_ops o{};
  o.alloc = cubias_cpu_alloc;
  o.free = cubias_cpu_free;
  o.sync = cubias_cpu_sync;
  o.capturing = cubias_cpu_capturing;
  o.use_device = cubias_cpu_use_device;
  o.copy = cubias_cpu_copy;
  o.blas_destroy = cubias_cpu_blas_destroy;
  o.stats_workspace_bytes = cubias_cpu_stats_workspace_bytes;
  o.stats_reset = cubias_cpu_stats_reset;
  o.stats_accumulate = cubias_cpu_stats_accumulate;
  o.stats_merge_state = cubias_cpu_stats_merge_state;
  o.stats_write_field = cubias_cpu_stats_write_field;
  o.write_header = cubias_cpu_write_header;
  o.derive_gemv = cubias_cpu_derive_gemv;
  o.derive_center_preact = cubias_cpu_derive_center_preact;
  o.derive_normalize = cubias_cpu_derive_normalize;
  o.derive_symmetric = cubias_cpu_derive_symmetric;
  o.derive_revive_constant = cubias_cpu_derive_revive_constant;
  o.derive_revive_quantile = cubias_cpu_derive_revive_quantile;
  o.fill = cubias_cpu_fill;
  o.store_doubles = cubias_cpu_store_doubles;
  o.prior_count_labels = cubias_cpu_prior_count_labels;
  o.prior_count_multihot = cubias_cpu_prior_count_multihot;
  o.gates_write = cubias_cpu_gates_write;
  o.mask_write = cubias_cpu_mask_write;
  o.weight_gain = cubias_cpu_weight_gain;
  o.gain_pool = cubias_cpu_gain_pool;
  return o;
}();
