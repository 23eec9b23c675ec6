// Misaligned pointers are refused before anything runs, on both backends alike: a
// misaligned access on a GPU is a sticky error that ends the context. Each pointer
// the library reads or writes must be aligned to the size of its elements (tensor
// data, weights, bias buffers, masks: the dtype's size; labels: the index type's;
// export and import buffers, double outputs, int64 counters: 8 bytes). Each case
// passes the right buffer moved by less than that, expects INVALID_VALUE with a
// message that names the call and says "aligned", and finds every byte untouched.
#include <gtest/gtest.h>

#include <string.h>

#include <functional>

#include "util.h"

namespace {

class ApiAlignment : public tu::BackendTest {
 protected:
  // Calls fn with a pointer `offset` bytes into a poisoned buffer of `bytes`;
  // expects the refusal and an untouched buffer.
  void expect_refused(const char *call, size_t bytes, size_t offset,
                      const std::function<cubias_status_t(void *)> &fn) {
    SCOPED_TRACE(std::string(call) + " at +" + std::to_string(offset));
    tu::Buffer buf(be(), bytes + 64);
    buf.fill(0x5A);
    cubias_clear_last_error(h);
    EXPECT_EQ(fn(buf.bytes() + offset), CUBIAS_STATUS_INVALID_VALUE);
    const char *msg = cubias_get_last_error(h);
    EXPECT_EQ(strncmp(msg, call, strlen(call)), 0) << msg;
    EXPECT_NE(strstr(msg, "aligned"), nullptr) << msg;
    for (unsigned char b : buf.all()) ASSERT_EQ(b, 0x5A) << "a byte was written";
  }
};

TEST_P(ApiAlignment, MisalignedPointersRefusedBeforeAnythingRuns) {
  const int64_t N = 64, C = 8;
  tu::Stats s(h, C, ref::RELU);
  const auto data = tu::encode(tu::normal((size_t)(N * C), 0.5, 1.0, 4), 0);
  tu::Buffer x(be(), data.size());
  x.upload(data.data(), data.size());
  cubias_tensor_t v;
  ASSERT_EQ(cubias_tensor_rows(&v, x.get(), CUBIAS_DTYPE_F32, N, C), CUBIAS_STATUS_SUCCESS);
  ASSERT_EQ(cubias_stats_accumulate(h, s, &v), CUBIAS_STATUS_SUCCESS) << cubias_get_last_error(h);
  size_t export_bytes = 0;
  ASSERT_EQ(cubias_stats_export_size(s, &export_bytes), CUBIAS_STATUS_SUCCESS);

  for (int dtype : {0, 1, 2}) {  // tensor data at half an element
    const size_t es = ref::dtype_bytes(dtype);
    tu::Stats t(h, C, ref::IDENTITY);
    expect_refused("cubias_stats_accumulate", N * C * es, es / 2, [&](void *p) {
      cubias_tensor_t m;
      EXPECT_EQ(cubias_tensor_rows(&m, p, (cubias_dtype_t)dtype, N, C), CUBIAS_STATUS_SUCCESS);
      return cubias_stats_accumulate(h, t, &m);
    });
  }
  for (size_t off : {1, 4}) {
    expect_refused("cubias_stats_export", export_bytes, off,
                   [&](void *p) { return cubias_stats_export(h, s, p); });
    expect_refused("cubias_stats_write_field", C * 8, off,
                   [&](void *p) { return cubias_stats_write_field(h, s, CUBIAS_FIELD_MEAN, (double *)p); });
    expect_refused("cubias_revive_constant", C * 4 + 16, 4, [&](void *p) {
      // the bias is fine; the int64 counters are 4 bytes off
      tu::Buffer bias(be(), C * 4);
      return cubias_revive_constant(h, s, 0.01, 1, bias.get(), CUBIAS_DTYPE_F32, (int64_t *)p);
    });
  }
  {  // an import buffer 4 bytes off (its contents are a valid export)
    tu::Buffer good(be(), export_bytes);
    ASSERT_EQ(cubias_stats_export(h, s, good.get()), CUBIAS_STATUS_SUCCESS);
    const auto bytes = good.all();
    tu::Buffer moved(be(), export_bytes + 8);
    moved.upload(bytes.data(), bytes.size(), 4);
    cubias_clear_last_error(h);
    EXPECT_EQ(cubias_stats_import_merge(h, s, moved.bytes() + 4), CUBIAS_STATUS_INVALID_VALUE);
    EXPECT_NE(strstr(cubias_get_last_error(h), "aligned"), nullptr) << cubias_get_last_error(h);
  }
  for (int dtype : {0, 1, 2}) {  // bias buffers at half an element
    const size_t es = ref::dtype_bytes(dtype);
    expect_refused("cubias_revive_constant", C * es, es / 2, [&](void *p) {
      return cubias_revive_constant(h, s, 0.01, 1, p, (cubias_dtype_t)dtype, nullptr);
    });
    expect_refused("cubias_optimistic_value", C * es, es / 2, [&](void *p) {
      return cubias_optimistic_value(h, 1.0, 0.9, 10.0, C, p, (cubias_dtype_t)dtype, nullptr);
    });
  }
  {  // int64 labels 4 bytes off, int32 labels 2 bytes off
    const int64_t n = 16, K = 3;
    for (int idx = 0; idx < 2; ++idx) {
      tu::Buffer bias(be(), K * 4);
      bias.fill(0x5A);
      const size_t isz = idx ? 8 : 4;
      expect_refused("cubias_prior_softmax_from_labels", n * isz, isz / 2, [&](void *p) {
        return cubias_prior_softmax_from_labels(h, p, idx ? CUBIAS_INDEX_INT64 : CUBIAS_INDEX_INT32, n, K, 1.0,
                                                CUBIAS_PRIOR_MEAN_ZERO, 0, bias.get(), CUBIAS_DTYPE_F32,
                                                nullptr);
      });
      for (unsigned char b : bias.all()) ASSERT_EQ(b, 0x5A) << "the bias was written";
    }
  }
}

CUBIAS_INSTANTIATE_BACKENDS(ApiAlignment);

}  // namespace
