// Every failure records a message that begins with the public call's name,
// once, also where the failure comes from deep inside (an allocation); the
// last error can be cleared, so that each check sees only the call under test.
#include <stdio.h>
#include <string.h>

#include <functional>
#include <string>
#include <vector>

#include "util.h"

namespace {

TEST(ApiMessages, AllocationFailureNamesTheCall) {
  cubias_handle_t h = nullptr;
  ASSERT_EQ(cubias_create(&h, CUBIAS_BACKEND_CPU), CUBIAS_STATUS_SUCCESS);
  cubias_stats_t s = nullptr;
  tu::clear_errors(h);
  // 2^40 channels of 10 doubles: 87960930222080 bytes, more than any host has.
  EXPECT_EQ(cubias_stats_create(h, (int64_t)1 << 40, CUBIAS_ACT_RELU, 0.0f, &s),
            CUBIAS_STATUS_ALLOC_FAILED);
  EXPECT_STREQ(cubias_get_last_error(h),
               "cubias_stats_create: out of host memory (87960930222080 bytes)");
  EXPECT_STREQ(cubias_get_last_error(nullptr), cubias_get_last_error(h));
  EXPECT_EQ(cubias_destroy(h), CUBIAS_STATUS_SUCCESS);
}

TEST(ApiMessages, ClearLastErrorForgetsThreadAndHandle) {
  cubias_handle_t h = nullptr;
  ASSERT_EQ(cubias_create(&h, CUBIAS_BACKEND_CPU), CUBIAS_STATUS_SUCCESS);
  cubias_stats_t s = nullptr;
  EXPECT_NE(cubias_stats_create(h, 0, CUBIAS_ACT_RELU, 0.0f, &s), CUBIAS_STATUS_SUCCESS);
  EXPECT_STRNE(cubias_get_last_error(h), "");
  EXPECT_STRNE(cubias_get_last_error(nullptr), "");
  // NULL: the thread's only.
  EXPECT_EQ(cubias_clear_last_error(nullptr), CUBIAS_STATUS_SUCCESS);
  EXPECT_STREQ(cubias_get_last_error(nullptr), "");
  EXPECT_STRNE(cubias_get_last_error(h), "");
  // A success records nothing and leaves the handle's message as it was.
  ASSERT_EQ(cubias_stats_create(h, 2, CUBIAS_ACT_RELU, 0.0f, &s), CUBIAS_STATUS_SUCCESS);
  EXPECT_STRNE(cubias_get_last_error(h), "");
  EXPECT_STREQ(cubias_get_last_error(nullptr), "");
  // With the handle: both.
  EXPECT_EQ(cubias_stats_create(h, -1, CUBIAS_ACT_RELU, 0.0f, nullptr), CUBIAS_STATUS_INVALID_VALUE);
  EXPECT_EQ(cubias_clear_last_error(h), CUBIAS_STATUS_SUCCESS);
  EXPECT_STREQ(cubias_get_last_error(h), "");
  EXPECT_STREQ(cubias_get_last_error(nullptr), "");
  EXPECT_EQ(cubias_stats_destroy(s), CUBIAS_STATUS_SUCCESS);
  EXPECT_EQ(cubias_destroy(h), CUBIAS_STATUS_SUCCESS);
}

// Calls without an enum argument (those are in test_api_enums.cpp), each made
// to fail, each checked fresh: the message begins with "call: " and does not
// repeat the name.
TEST(ApiMessages, EveryCallNamesItselfOnce) {
  cubias_handle_t h = nullptr, other = nullptr;
  ASSERT_EQ(cubias_create(&h, CUBIAS_BACKEND_CPU), CUBIAS_STATUS_SUCCESS);
  ASSERT_EQ(cubias_create(&other, CUBIAS_BACKEND_CPU), CUBIAS_STATUS_SUCCESS);
  cubias_stats_t s = nullptr, s_other = nullptr, s8 = nullptr;
  ASSERT_EQ(cubias_stats_create(h, 4, CUBIAS_ACT_RELU, 0.0f, &s), CUBIAS_STATUS_SUCCESS);
  ASSERT_EQ(cubias_stats_create(h, 8, CUBIAS_ACT_RELU, 0.0f, &s8), CUBIAS_STATUS_SUCCESS);
  ASSERT_EQ(cubias_stats_create(other, 4, CUBIAS_ACT_RELU, 0.0f, &s_other), CUBIAS_STATUS_SUCCESS);
  std::vector<float> x(32, 1.0f);
  cubias_tensor_t v8;
  ASSERT_EQ(cubias_tensor_rows(&v8, x.data(), CUBIAS_DTYPE_F32, 4, 8), CUBIAS_STATUS_SUCCESS);
  std::vector<unsigned char> bad_export(4096, 0);
  cubias_gain_layer_report_t rep = {};
  size_t len = 0;
  int64_t c = 0;
  struct Case {
    const char *call;
    std::function<cubias_status_t()> run;
  };
  const std::vector<Case> cases = {
      {"cubias_destroy", [&] { return cubias_destroy(h); }},  // stats still alive
      {"cubias_get_backend", [&] { return cubias_get_backend(h, nullptr); }},
      {"cubias_set_stream", [&] { return cubias_set_stream(nullptr, nullptr); }},
      {"cubias_get_stream", [&] { return cubias_get_stream(h, nullptr); }},
      {"cubias_synchronize", [&] { return cubias_synchronize(nullptr); }},
      {"cubias_stats_channels", [&] { return cubias_stats_channels(nullptr, &c); }},
      {"cubias_stats_reset", [&] { return cubias_stats_reset(h, s_other); }},
      {"cubias_stats_accumulate", [&] { return cubias_stats_accumulate(h, s, &v8); }},
      {"cubias_stats_merge", [&] { return cubias_stats_merge(h, s, s); }},
      {"cubias_stats_merge", [&] { return cubias_stats_merge(h, s, s8); }},
      {"cubias_stats_export_size", [&] { return cubias_stats_export_size(s, nullptr); }},
      {"cubias_stats_export", [&] { return cubias_stats_export(h, s, nullptr); }},
      {"cubias_stats_import_merge", [&] { return cubias_stats_import_merge(h, s, bad_export.data()); }},
      {"cubias_stats_merge_exports",
       [&] { return cubias_stats_merge_exports(h, s, bad_export.data(), 0); }},
      {"cubias_stats_allgather_nccl",
       [&] { return cubias_stats_allgather_nccl(h, s, nullptr, nullptr); }},
      {"cubias_stats_read", [&] { return cubias_stats_read(h, s, nullptr); }},
      {"cubias_reserve_workspace", [&] { return cubias_reserve_workspace(h, nullptr); }},
      {"cubias_gate_config_default", [&] { return cubias_gate_config_default(nullptr); }},
      {"cubias_weight_gain", [&] { return cubias_weight_gain(h, 0, nullptr, nullptr); }},
      {"cubias_gain_report", [&] { return cubias_gain_report(h, 1, nullptr, nullptr, &rep, nullptr); }},
      {"cubias_gain_print", [&] { return cubias_gain_print(stdout, 0, &rep, nullptr); }},
      {"cubias_gain_json_file", [&] { return cubias_gain_json_file(nullptr, 1, &rep, nullptr); }},
      {"cubias_gain_json_buffer",
       [&] { return cubias_gain_json_buffer(nullptr, 4, &len, 1, &rep, nullptr); }},
      {"cubias_tensor_make", [&] {
         cubias_tensor_t t;
         return cubias_tensor_make(&t, x.data(), CUBIAS_DTYPE_F32, 0, 1, 1);
       }},
      {"cubias_weight_make", [&] {
         cubias_weight_t w;
         return cubias_weight_make(&w, nullptr, CUBIAS_DTYPE_F32, 1, 1, CUBIAS_WEIGHT_ROW_MAJOR, 0);
       }},
  };
  for (const Case &k : cases) {
    tu::clear_errors(h);
    EXPECT_NE(k.run(), CUBIAS_STATUS_SUCCESS) << k.call;
    tu::expect_error_from(nullptr, k.call, k.call);
    const std::string msg = cubias_get_last_error(nullptr), twice = std::string(k.call) + ": " + k.call;
    EXPECT_EQ(msg.find(twice), std::string::npos) << msg;
  }
  cubias_stats_destroy(s);
  cubias_stats_destroy(s8);
  cubias_stats_destroy(s_other);
  cubias_destroy(other);
  EXPECT_EQ(cubias_destroy(h), CUBIAS_STATUS_SUCCESS);
}

}  // namespace
