// The out-handle contract (include/cubias.h, Conventions): a call that creates
// an object sets *out to NULL on every failure, whatever the out variable held
// before, so a failed create never leaves a stale handle to destroy. Each
// creating call, each way it can fail.
#include <math.h>

#include <functional>
#include <string>
#include <vector>

#include "util.h"

#if defined(__SANITIZE_ADDRESS__)
// A refused huge allocation must come back as NULL (what the library handles
// as ALLOC_FAILED), not end the test binary as ASan does by default.
extern "C" const char *__asan_default_options() { return "allocator_may_return_null=1"; }
#endif

namespace {

template <class T>
T stale() {
  return reinterpret_cast<T>(static_cast<uintptr_t>(0x5a5a5a5a));  // never dereferenced
}

struct Case {
  const char *what;
  cubias_status_t want;
  std::function<cubias_status_t(void *out)> call;  // out: where the handle goes
};

// Each case: out holds a stale value, the call fails with `want`, out is NULL,
// and the message (fresh) begins with the call's name.
void expect_null_on_failure(const char *call, const std::vector<Case> &cases,
                            cubias_handle_t h_err) {
  for (const Case &c : cases) {
    void *out = stale<void *>();
    tu::clear_errors(h_err);
    const cubias_status_t st = c.call(&out);
    if (st == CUBIAS_STATUS_SUCCESS && c.want == CUBIAS_STATUS_NO_DEVICE) continue;  // a GPU answers
    EXPECT_EQ(st, c.want) << call << ", " << c.what;
    EXPECT_EQ(out, nullptr) << call << ", " << c.what << ": out-handle not NULL on failure";
    tu::expect_error_from(nullptr, call, c.what);
  }
}

TEST(ApiOutParams, CreateSetsTheHandleToNullOnFailure) {
  const std::vector<Case> cases = {
      {"backend 3", CUBIAS_STATUS_INVALID_VALUE,
       [](void *out) { return cubias_create((cubias_handle_t *)out, (cubias_backend_t)3); }},
      {"CUDA without a device", CUBIAS_STATUS_NO_DEVICE,
       [](void *out) {
         cubias_status_t st = cubias_create((cubias_handle_t *)out, CUBIAS_BACKEND_CUDA);
         if (st == CUBIAS_STATUS_SUCCESS) cubias_destroy(*(cubias_handle_t *)out);
         return st;
       }},
  };
  expect_null_on_failure("cubias_create", cases, nullptr);
  EXPECT_EQ(cubias_create(nullptr, CUBIAS_BACKEND_CPU), CUBIAS_STATUS_INVALID_VALUE);
  tu::expect_error_from(nullptr, "cubias_create", "NULL out");
}

TEST(ApiOutParams, StatsCreateSetsTheObjectToNullOnFailure) {
  cubias_handle_t h = nullptr;
  ASSERT_EQ(cubias_create(&h, CUBIAS_BACKEND_CPU), CUBIAS_STATUS_SUCCESS);
  auto create = [h](int64_t channels, cubias_activation_t act, float slope) {
    return [=](void *out) {
      return cubias_stats_create(h, channels, act, slope, (cubias_stats_t *)out);
    };
  };
  const std::vector<Case> cases = {
      {"NULL handle", CUBIAS_STATUS_INVALID_VALUE,
       [](void *out) {
         return cubias_stats_create(nullptr, 4, CUBIAS_ACT_RELU, 0.0f, (cubias_stats_t *)out);
       }},
      {"channels 0", CUBIAS_STATUS_INVALID_VALUE, create(0, CUBIAS_ACT_RELU, 0.0f)},
      {"channels -3", CUBIAS_STATUS_INVALID_VALUE, create(-3, CUBIAS_ACT_RELU, 0.0f)},
      {"channels 2^40 + 1", CUBIAS_STATUS_OVERFLOW,
       create(((int64_t)1 << 40) + 1, CUBIAS_ACT_RELU, 0.0f)},
      {"activation 7", CUBIAS_STATUS_INVALID_VALUE, create(4, (cubias_activation_t)7, 0.0f)},
      {"slope NaN", CUBIAS_STATUS_INVALID_VALUE, create(4, CUBIAS_ACT_LEAKY_RELU, NAN)},
      {"slope inf", CUBIAS_STATUS_INVALID_VALUE, create(4, CUBIAS_ACT_LEAKY_RELU, INFINITY)},
      // 2^40 channels of 80 bytes: the allocation fails (88 TB).
      {"channels 2^40", CUBIAS_STATUS_ALLOC_FAILED,
       create((int64_t)1 << 40, CUBIAS_ACT_RELU, 0.0f)},
  };
  expect_null_on_failure("cubias_stats_create", cases, h);
  EXPECT_EQ(cubias_stats_create(h, 4, CUBIAS_ACT_RELU, 0.0f, nullptr), CUBIAS_STATUS_INVALID_VALUE);
  tu::expect_error_from(h, "cubias_stats_create", "NULL out");
  // A failed create leaves nothing alive: the handle is destroyed cleanly.
  EXPECT_EQ(cubias_destroy(h), CUBIAS_STATUS_SUCCESS) << cubias_get_last_error(h);
}

}  // namespace
