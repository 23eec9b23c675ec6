// Built instead of kernels/cuda/*.cu when cubias is configured without CUDA
// (CUBIAS_WITH_CUDA=OFF): what the front calls about CUDA itself answers
// "absent", and the CUDA table is empty (cubias_create never hands it out here).
#include <stdio.h>

#include "../backend.h"

int cubias_cuda_build_enabled(void) { return 0; }
cubias_status_t cubias_cuda_probe(int *device, int, char *why, size_t why_len) {
  *device = -1;
  snprintf(why, why_len, "this cubias was built without CUDA support");
  return CUBIAS_STATUS_NO_DEVICE;
}
int cubias_cuda_pointer_kind(const void *, int) { return -1; }
void cubias_cuda_restore_device(int) {}

extern const cubias_backend_ops cubias_cuda_ops = {};
