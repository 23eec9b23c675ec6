// GPU tests skip visibly where no CUDA device answers, and fail instead when
// CUBIAS_REQUIRE_GPU=1 (as bench/device_check.sh sets on a GPU machine).
#ifndef CUBIAS_TEST_GPU_GUARD_H
#define CUBIAS_TEST_GPU_GUARD_H

#include <gtest/gtest.h>
#include <stdlib.h>
#include <string.h>

#include "cubias.h"

// True when a CUDA handle can be created (cached after the first call).
inline bool cubias_test_gpu_available() {
  static int cached = -1;
  if (cached < 0) {
    cubias_handle_t h = nullptr;
    cached = cubias_create(&h, CUBIAS_BACKEND_CUDA) == CUBIAS_STATUS_SUCCESS;
    if (h) cubias_destroy(h);
  }
  return cached == 1;
}

inline bool cubias_test_gpu_required() {
  const char *v = getenv("CUBIAS_REQUIRE_GPU");
  return v && strcmp(v, "1") == 0;
}

// Use at the top of every GPU test body.
#define CUBIAS_REQUIRE_GPU_OR_SKIP()                                                   \
  do {                                                                                 \
    if (!cubias_test_gpu_available()) {                                                \
      if (cubias_test_gpu_required()) FAIL() << "CUBIAS_REQUIRE_GPU=1 but no CUDA device"; \
      GTEST_SKIP() << "no CUDA device: GPU test skipped";                              \
    }                                                                                  \
  } while (0)

#endif
