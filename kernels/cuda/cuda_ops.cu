// The CUDA backend's table of operations (kernels/backend.h), entry by entry, by
// name; without CUDA, kernels/cuda/cuda_stub.cpp defines an empty one.
#include "../backend.h"

extern const cubias_backend_ops cubias_cuda_ops = []() constexpr {
  cubias_backend_ops o{};
  o.alloc = cubias_cuda_alloc;
  o.free = cubias_cuda_free;
  o.sync = cubias_cuda_sync;
  o.capturing = cubias_cuda_capturing;
  o.use_device = cubias_cuda_use_device;
  o.copy = cubias_cuda_copy;
  o.blas_destroy = cubias_cuda_blas_destroy;
  o.stats_workspace_bytes = cubias_cuda_stats_workspace_bytes;
  o.stats_reset = cubias_cuda_stats_reset;
  o.stats_accumulate = cubias_cuda_stats_accumulate;
  o.stats_merge_state = cubias_cuda_stats_merge_state;
  o.stats_write_field = cubias_cuda_stats_write_field;
  o.write_header = cubias_cuda_write_header;
  o.derive_gemv = cubias_cuda_derive_gemv;
  o.derive_center_preact = cubias_cuda_derive_center_preact;
  o.derive_normalize = cubias_cuda_derive_normalize;
  o.derive_symmetric = cubias_cuda_derive_symmetric;
  o.derive_revive_constant = cubias_cuda_derive_revive_constant;
  o.derive_revive_quantile = cubias_cuda_derive_revive_quantile;
  o.fill = cubias_cuda_fill;
  o.store_doubles = cubias_cuda_store_doubles;
  o.prior_count_labels = cubias_cuda_prior_count_labels;
  o.prior_count_multihot = cubias_cuda_prior_count_multihot;
  o.prior_finish = cubias_cuda_prior_finish;
  o.gates_write = cubias_cuda_gates_write;
  o.mask_write = cubias_cuda_mask_write;
  o.weight_gain = cubias_cuda_weight_gain;
  o.gain_pool = cubias_cuda_gain_pool;
  return o;
}();
