// Handle lifecycle, backends, versions, status strings, streams and the
// last-error text.
#include <string.h>

#include <set>
#include <string>

#include "util.h"

namespace {

TEST(ApiVersion, MacrosMatchRuntime) {
  int major = -1, minor = -1, patch = -1;
  ASSERT_EQ(cubias_get_version(&major, &minor, &patch), CUBIAS_STATUS_SUCCESS);
  EXPECT_EQ(major, CUBIAS_VERSION_MAJOR);
  EXPECT_EQ(minor, CUBIAS_VERSION_MINOR);
  EXPECT_EQ(patch, CUBIAS_VERSION_PATCH);
  EXPECT_EQ(CUBIAS_VERSION, major * 10000 + minor * 100 + patch);
  // Any pointer may be NULL.
  EXPECT_EQ(cubias_get_version(nullptr, nullptr, nullptr), CUBIAS_STATUS_SUCCESS);
  int only_minor = -1;
  EXPECT_EQ(cubias_get_version(nullptr, &only_minor, nullptr), CUBIAS_STATUS_SUCCESS);
  EXPECT_EQ(only_minor, CUBIAS_VERSION_MINOR);
}

TEST(ApiStatus, EveryStatusHasADistinctString) {
  std::set<std::string> seen;
  for (int s = CUBIAS_STATUS_SUCCESS; s <= CUBIAS_STATUS_INTERNAL_ERROR; ++s) {
    const char *str = cubias_status_string((cubias_status_t)s);
    ASSERT_NE(str, nullptr) << "status " << s;
    EXPECT_EQ(strncmp(str, "CUBIAS_STATUS_", 14), 0) << str;
    EXPECT_GT(strlen(str), 20u) << str;
    EXPECT_TRUE(seen.insert(str).second) << "duplicate string " << str;
  }
  // Not a status (still inside the enum's value range): a string, never NULL.
  const char *unknown = cubias_status_string((cubias_status_t)13);
  ASSERT_NE(unknown, nullptr);
  EXPECT_STRNE(unknown, "");
  EXPECT_EQ(std::string(cubias_status_string(CUBIAS_STATUS_OVERFLOW)).find("CUBIAS_STATUS_OVERFLOW"), 0u);
}

TEST(ApiHandle, CpuCreateQueryDestroy) {
  cubias_handle_t h = nullptr;
  ASSERT_EQ(cubias_create(&h, CUBIAS_BACKEND_CPU), CUBIAS_STATUS_SUCCESS);
  ASSERT_NE(h, nullptr);
  cubias_backend_t be = CUBIAS_BACKEND_AUTO;
  ASSERT_EQ(cubias_get_backend(h, &be), CUBIAS_STATUS_SUCCESS);
  EXPECT_EQ(be, CUBIAS_BACKEND_CPU);
  EXPECT_STREQ(cubias_get_last_error(h), "");
  EXPECT_EQ(cubias_destroy(h), CUBIAS_STATUS_SUCCESS);
  EXPECT_EQ(cubias_destroy(nullptr), CUBIAS_STATUS_SUCCESS);
  EXPECT_EQ(cubias_stats_destroy(nullptr), CUBIAS_STATUS_SUCCESS);
}

// AUTO picks CUDA when a device answers, the CPU otherwise (here: CPU).
TEST(ApiHandle, AutoResolves) {
  cubias_handle_t h = nullptr;
  ASSERT_EQ(cubias_create(&h, CUBIAS_BACKEND_AUTO), CUBIAS_STATUS_SUCCESS);
  cubias_backend_t be = CUBIAS_BACKEND_AUTO;
  ASSERT_EQ(cubias_get_backend(h, &be), CUBIAS_STATUS_SUCCESS);
  EXPECT_EQ(be, cubias_test_gpu_available() ? CUBIAS_BACKEND_CUDA : CUBIAS_BACKEND_CPU);
  EXPECT_EQ(cubias_destroy(h), CUBIAS_STATUS_SUCCESS);
}

// CUDA without a device: NO_DEVICE with a message, no handle. With a device: a CUDA handle.
TEST(ApiHandle, CudaWithoutDeviceIsNoDevice) {
  cubias_handle_t h = (cubias_handle_t)(uintptr_t)0x1;  // poisoned
  const cubias_status_t st = cubias_create(&h, CUBIAS_BACKEND_CUDA);
  if (cubias_test_gpu_available()) {
    ASSERT_EQ(st, CUBIAS_STATUS_SUCCESS);
    cubias_backend_t be;
    ASSERT_EQ(cubias_get_backend(h, &be), CUBIAS_STATUS_SUCCESS);
    EXPECT_EQ(be, CUBIAS_BACKEND_CUDA);
    EXPECT_EQ(cubias_destroy(h), CUBIAS_STATUS_SUCCESS);
    return;
  }
  EXPECT_EQ(st, CUBIAS_STATUS_NO_DEVICE);
  EXPECT_EQ(h, nullptr) << "a failed create must not hand out a handle";
  tu::expect_error_text(nullptr, nullptr);
  std::cout << "[ no-device message ] " << cubias_get_last_error(nullptr) << "\n";
}

TEST(ApiHandle, BadCreateArguments) {
  EXPECT_EQ(cubias_create(nullptr, CUBIAS_BACKEND_CPU), CUBIAS_STATUS_INVALID_VALUE);
  tu::expect_error_text(nullptr, "cubias_create");
  cubias_handle_t h = (cubias_handle_t)(uintptr_t)0x1;
  EXPECT_EQ(cubias_create(&h, (cubias_backend_t)3), CUBIAS_STATUS_INVALID_VALUE);
  tu::expect_error_text(nullptr, "cubias_create");
  EXPECT_TRUE(h == nullptr || h == (cubias_handle_t)(uintptr_t)0x1);
}

// Destroying a handle whose statistics are alive is refused; the handle stays usable.
TEST(ApiHandle, DestroyWithLiveStatsRefused) {
  cubias_handle_t h = nullptr;
  ASSERT_EQ(cubias_create(&h, CUBIAS_BACKEND_CPU), CUBIAS_STATUS_SUCCESS);
  cubias_stats_t s = nullptr, s2 = nullptr;
  ASSERT_EQ(cubias_stats_create(h, 2, CUBIAS_ACT_RELU, 0, &s), CUBIAS_STATUS_SUCCESS);
  ASSERT_EQ(cubias_stats_create(h, 2, CUBIAS_ACT_RELU, 0, &s2), CUBIAS_STATUS_SUCCESS);
  EXPECT_EQ(cubias_destroy(h), CUBIAS_STATUS_INVALID_VALUE);
  tu::expect_error_text(h, "cubias_destroy");
  EXPECT_EQ(cubias_stats_destroy(s2), CUBIAS_STATUS_SUCCESS);
  EXPECT_EQ(cubias_destroy(h), CUBIAS_STATUS_INVALID_VALUE) << "one statistics object is still alive";
  const float x[4] = {1, -2, 3, 4};
  cubias_tensor_t v;
  ASSERT_EQ(cubias_tensor_rows(&v, x, CUBIAS_DTYPE_F32, 2, 2), CUBIAS_STATUS_SUCCESS);
  EXPECT_EQ(cubias_stats_accumulate(h, s, &v), CUBIAS_STATUS_SUCCESS) << "handle still usable";
  cubias_channel_stats_t r[2];
  ASSERT_EQ(cubias_stats_read(h, s, r), CUBIAS_STATUS_SUCCESS);
  EXPECT_EQ(r[0].count, 2);
  EXPECT_EQ(r[1].mean, 1.0);
  EXPECT_EQ(cubias_stats_destroy(s), CUBIAS_STATUS_SUCCESS);
  EXPECT_EQ(cubias_destroy(h), CUBIAS_STATUS_SUCCESS);
}

TEST(ApiHandle, StreamsAndSynchronizeOnCpu) {
  cubias_handle_t h = nullptr;
  ASSERT_EQ(cubias_create(&h, CUBIAS_BACKEND_CPU), CUBIAS_STATUS_SUCCESS);
  void *stream = (void *)0x1;
  ASSERT_EQ(cubias_get_stream(h, &stream), CUBIAS_STATUS_SUCCESS);
  EXPECT_EQ(stream, nullptr) << "default is the legacy default stream";
  EXPECT_EQ(cubias_set_stream(h, nullptr), CUBIAS_STATUS_SUCCESS);
  EXPECT_EQ(cubias_synchronize(h), CUBIAS_STATUS_SUCCESS);
  // Bad arguments.
  void *untouched = (void *)0x2;
  EXPECT_EQ(cubias_set_stream(nullptr, nullptr), CUBIAS_STATUS_INVALID_VALUE);
  tu::expect_error_text(nullptr, "cubias_set_stream");
  EXPECT_EQ(cubias_get_stream(nullptr, &untouched), CUBIAS_STATUS_INVALID_VALUE);
  tu::expect_error_text(nullptr, "cubias_get_stream");
  EXPECT_EQ(untouched, (void *)0x2);
  EXPECT_EQ(cubias_get_stream(h, nullptr), CUBIAS_STATUS_INVALID_VALUE);
  tu::expect_error_text(h, "cubias_get_stream");
  EXPECT_EQ(cubias_synchronize(nullptr), CUBIAS_STATUS_INVALID_VALUE);
  tu::expect_error_text(nullptr, "cubias_synchronize");
  cubias_backend_t be = (cubias_backend_t)2;
  EXPECT_EQ(cubias_get_backend(nullptr, &be), CUBIAS_STATUS_INVALID_VALUE);
  tu::expect_error_text(nullptr, "cubias_get_backend");
  EXPECT_EQ(be, (cubias_backend_t)2);
  EXPECT_EQ(cubias_get_backend(h, nullptr), CUBIAS_STATUS_INVALID_VALUE);
  tu::expect_error_text(h, "cubias_get_backend");
  EXPECT_EQ(cubias_destroy(h), CUBIAS_STATUS_SUCCESS);
}

// Errors are per handle: a failure on one handle leaves another's text alone.
TEST(ApiHandle, LastErrorIsPerHandle) {
  cubias_handle_t a = nullptr, b = nullptr;
  ASSERT_EQ(cubias_create(&a, CUBIAS_BACKEND_CPU), CUBIAS_STATUS_SUCCESS);
  ASSERT_EQ(cubias_create(&b, CUBIAS_BACKEND_CPU), CUBIAS_STATUS_SUCCESS);
  cubias_stats_t s = nullptr;
  EXPECT_EQ(cubias_stats_create(a, 0, CUBIAS_ACT_RELU, 0, &s), CUBIAS_STATUS_INVALID_VALUE);
  tu::expect_error_text(a, "cubias_stats_create");
  EXPECT_STREQ(cubias_get_last_error(b), "");
  EXPECT_EQ(cubias_destroy(a), CUBIAS_STATUS_SUCCESS);
  EXPECT_EQ(cubias_destroy(b), CUBIAS_STATUS_SUCCESS);
}

}  // namespace
