// Built instead of kernels/*.cu when cubias is configured without CUDA
// (CUBIAS_WITH_CUDA=OFF): the CUDA backend then reports that it is absent.
#include "../derive_ops.h"

static cubias_status_t absent(cubias_handle_t h) {
  return cubias_fail(h, CUBIAS_STATUS_NO_DEVICE, "this cubias was built without CUDA support");
}

int cubias_cuda_build_enabled(void) { return 0; }
cubias_status_t cubias_cuda_probe(cubias_handle_t h, int *device, int) {
  *device = -1;
  return absent(h);
}
cubias_status_t cubias_cuda_alloc(cubias_handle_t h, size_t, void **) { return absent(h); }
void cubias_cuda_free(cubias_handle_t, void *) {}
cubias_status_t cubias_cuda_sync(cubias_handle_t h) { return absent(h); }
int cubias_cuda_pointer_kind(const void *, int) { return -1; }
int cubias_cuda_capturing(cubias_handle_t) { return 0; }
cubias_status_t cubias_cuda_use_device(cubias_handle_t, int *previous) {
  *previous = -1;
  return CUBIAS_STATUS_SUCCESS;
}
void cubias_cuda_restore_device(int) {}
cubias_status_t cubias_cuda_memcpy(cubias_handle_t h, void *, const void *, size_t, int) {
  return absent(h);
}
size_t cubias_cuda_stats_workspace_bytes(const cubias_plan_t *, int64_t) { return 0; }
cubias_status_t cubias_cuda_stats_reset(cubias_handle_t h, cubias_stats_t) { return absent(h); }
cubias_status_t cubias_cuda_stats_accumulate(cubias_handle_t h, cubias_stats_t,
                                             const cubias_tensor_t *, const cubias_plan_t *,
                                             void *) {
  return absent(h);
}
cubias_status_t cubias_cuda_stats_merge_state(cubias_handle_t h, cubias_stats_t, const void *) {
  return absent(h);
}
cubias_status_t cubias_cuda_stats_write_field(cubias_handle_t h, cubias_stats_t, int, double *) {
  return absent(h);
}
cubias_status_t cubias_cuda_write_header(cubias_handle_t h, void *, const cubias_export_header_t *) {
  return absent(h);
}

// Gain check (kernels/cuda/gain_kernels.cu).
#include "../gain_math.h"
cubias_status_t cubias_cuda_weight_gain(cubias_handle_t h, const cubias_weight_t *, double *,
                                        double *) {
  return absent(h);
}
cubias_status_t cubias_cuda_gain_pool(cubias_handle_t h, const double *, const double *,
                                      const double *, const double *, int64_t, double *) {
  return absent(h);
}

// Bias writes of the value rules (kernels/cuda/prior_kernels.cu, gates_kernels.cu,
// mask_kernels.cu).
cubias_status_t cubias_cuda_fill(cubias_handle_t h, void *, int, int64_t, float) {
  return absent(h);
}
cubias_status_t cubias_cuda_store_doubles(cubias_handle_t h, const double *, int64_t, double,
                                            void *, int) {
  return absent(h);
}
cubias_status_t cubias_cuda_prior_count_labels(cubias_handle_t h, const void *, int, int64_t,
                                               int64_t, uint64_t *) {
  return absent(h);
}
cubias_status_t cubias_cuda_prior_count_multihot(cubias_handle_t h, const uint8_t *, int64_t,
                                                 int64_t, uint64_t *) {
  return absent(h);
}
cubias_status_t cubias_cuda_prior_finish(cubias_handle_t h, const uint64_t *, int64_t, int64_t,
                                         int, double, int, int64_t, void *, int) {
  return absent(h);
}
cubias_status_t cubias_cuda_gates_write(cubias_handle_t h, const cubias_gate_seg_t *, int, int64_t,
                                        const cubias_gate_params_t *, int) {
  return absent(h);
}
cubias_status_t cubias_cuda_mask_write(cubias_handle_t h, int, const int32_t *, int64_t, int64_t,
                                       int64_t, int64_t, int, void *, int) {
  return absent(h);
}

// Bias derivations from statistics (kernels/derive_ops.h).
void cubias_cuda_blas_destroy(cubias_handle_t) {}
cubias_status_t cubias_cuda_derive_gemv(cubias_handle_t h, cubias_stats_t, int,
                                        const cubias_weight_t *, double, void *, int, double *) {
  return absent(h);
}
cubias_status_t cubias_cuda_derive_center_preact(cubias_handle_t h, cubias_stats_t, double, void *,
                                                 int) {
  return absent(h);
}
cubias_status_t cubias_cuda_derive_normalize(cubias_handle_t h, cubias_stats_t, double, double,
                                             const cubias_weight_t *, void *, int, int64_t *) {
  return absent(h);
}
cubias_status_t cubias_cuda_derive_symmetric(cubias_handle_t h, int, cubias_stats_t,
                                             const cubias_tensor_t *, int64_t, void *, int,
                                             double *) {
  return absent(h);
}
cubias_status_t cubias_cuda_derive_revive_constant(cubias_handle_t h, cubias_stats_t, double, int,
                                                   void *, int, int64_t *) {
  return absent(h);
}
cubias_status_t cubias_cuda_derive_revive_quantile(cubias_handle_t h, cubias_stats_t,
                                                   const cubias_tensor_t *, int64_t, double,
                                                   double, void *, int, int64_t *) {
  return absent(h);
}

// The CUDA backend's table (kernels/cuda/cuda_ops.cu in a CUDA build), from the
// stand-ins above: a handle never gets it here (cubias_create falls back to, or
// refuses without, a device), but the build links the same way.
extern const cubias_backend_ops cubias_cuda_ops =
    CUBIAS_BACKEND_OPS_OF(cubias_cuda, cubias_cuda_prior_finish);
