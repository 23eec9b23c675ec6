// Bad input for every entry point: a clear status, a last-error text naming the
// call, nothing written (poisoned outputs stay poisoned, accumulators keep
// their state), nothing leaked (the ASan build checks leaks; a refused
// stats_create must not count as a live object, which TearDown's successful
// cubias_destroy checks).
#include <math.h>
#include <string.h>

#include <limits>

#include "util.h"

namespace {

// Expect `call` to fail with `status` and leave a last-error text on `eh`
// (NULL: the thread's) that names `where`.
#define EXPECT_FAILS(call, status, eh, where)            \
  do {                                                   \
    EXPECT_EQ((call), (status)) << #call;                \
    {                                                    \
      SCOPED_TRACE(#call);                               \
      tu::expect_error_text((eh), (where));              \
    }                                                    \
  } while (0)

class ApiErrors : public tu::BackendTest {
 protected:
  void SetUp() override {
    tu::BackendTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    ASSERT_EQ(cubias_create(&other, be()), CUBIAS_STATUS_SUCCESS);
    x = tu::normal((size_t)(N * C), 0.5, 1.0, 123);
    data.reset(new tu::Buffer(be(), x.size() * 4));
    data->upload(x.data(), x.size() * 4);
    ASSERT_EQ(cubias_tensor_rows(&view, data->get(), CUBIAS_DTYPE_F32, N, C), CUBIAS_STATUS_SUCCESS);
  }
  void TearDown() override {
    if (other) EXPECT_EQ(cubias_destroy(other), CUBIAS_STATUS_SUCCESS) << cubias_get_last_error(other);
    data.reset();
    tu::BackendTest::TearDown();
  }
  // An accumulator with some data in it, and its exported state to compare.
  std::vector<unsigned char> state(cubias_stats_t s) { return tu::export_bytes(h, s, be()); }

  static constexpr int64_t N = 50, C = 4;
  cubias_handle_t other = nullptr;
  std::vector<float> x;
  std::unique_ptr<tu::Buffer> data;
  cubias_tensor_t view;
};

TEST_P(ApiErrors, TensorHelpers) {
  cubias_tensor_t v;
  memset(&v, 0xAB, sizeof v);
  cubias_tensor_t poisoned;
  memset(&poisoned, 0xAB, sizeof poisoned);
  const void *p = data->get();
  const cubias_dtype_t f = CUBIAS_DTYPE_F32;
  const int64_t big = (int64_t)1 << 40;
  // NULL view.
  EXPECT_FAILS(cubias_tensor_make(nullptr, p, f, 1, 1, 1), CUBIAS_STATUS_INVALID_VALUE, nullptr, "cubias_tensor_make");
  EXPECT_FAILS(cubias_tensor_rows(nullptr, p, f, 1, 1), CUBIAS_STATUS_INVALID_VALUE, nullptr, "cubias_tensor_rows");
  EXPECT_FAILS(cubias_tensor_nchw(nullptr, p, f, 1, 1, 1, 1), CUBIAS_STATUS_INVALID_VALUE, nullptr, "cubias_tensor_nchw");
  EXPECT_FAILS(cubias_tensor_nhwc(nullptr, p, f, 1, 1, 1, 1), CUBIAS_STATUS_INVALID_VALUE, nullptr, "cubias_tensor_nhwc");
  EXPECT_FAILS(cubias_tensor_tnd(nullptr, p, f, 1, 1, 1), CUBIAS_STATUS_INVALID_VALUE, nullptr, "cubias_tensor_tnd");
  // Zero and negative sizes, each position.
  for (int64_t bad : {(int64_t)0, (int64_t)-1, std::numeric_limits<int64_t>::min()}) {
    SCOPED_TRACE("size " + std::to_string(bad));
    EXPECT_FAILS(cubias_tensor_make(&v, p, f, bad, 2, 2), CUBIAS_STATUS_INVALID_VALUE, nullptr, "cubias_tensor_make");
    EXPECT_FAILS(cubias_tensor_make(&v, p, f, 2, bad, 2), CUBIAS_STATUS_INVALID_VALUE, nullptr, "cubias_tensor_make");
    EXPECT_FAILS(cubias_tensor_make(&v, p, f, 2, 2, bad), CUBIAS_STATUS_INVALID_VALUE, nullptr, "cubias_tensor_make");
    EXPECT_FAILS(cubias_tensor_rows(&v, p, f, bad, 2), CUBIAS_STATUS_INVALID_VALUE, nullptr, "cubias_tensor_rows");
    EXPECT_FAILS(cubias_tensor_rows(&v, p, f, 2, bad), CUBIAS_STATUS_INVALID_VALUE, nullptr, "cubias_tensor_rows");
    for (int k = 0; k < 4; ++k) {
      int64_t d[4] = {2, 2, 2, 2};
      d[k] = bad;
      EXPECT_FAILS(cubias_tensor_nchw(&v, p, f, d[0], d[1], d[2], d[3]), CUBIAS_STATUS_INVALID_VALUE, nullptr, "cubias_tensor_nchw");
      EXPECT_FAILS(cubias_tensor_nhwc(&v, p, f, d[0], d[1], d[2], d[3]), CUBIAS_STATUS_INVALID_VALUE, nullptr, "cubias_tensor_nhwc");
      if (k < 3)
        EXPECT_FAILS(cubias_tensor_tnd(&v, p, f, d[0], d[1], d[2]), CUBIAS_STATUS_INVALID_VALUE, nullptr, "cubias_tensor_tnd");
    }
  }
  // Products overflowing int64.
  EXPECT_FAILS(cubias_tensor_make(&v, p, f, big, big, 1), CUBIAS_STATUS_OVERFLOW, nullptr, "cubias_tensor_make");
  EXPECT_FAILS(cubias_tensor_make(&v, p, f, 1 << 22, 1 << 22, 1 << 22), CUBIAS_STATUS_OVERFLOW, nullptr, "cubias_tensor_make");
  EXPECT_FAILS(cubias_tensor_rows(&v, p, f, big, big), CUBIAS_STATUS_OVERFLOW, nullptr, "cubias_tensor_rows");
  EXPECT_FAILS(cubias_tensor_nchw(&v, p, f, 1 << 16, 1 << 16, 1 << 16, 1 << 16), CUBIAS_STATUS_OVERFLOW, nullptr, "cubias_tensor_nchw");
  EXPECT_FAILS(cubias_tensor_nhwc(&v, p, f, 1 << 16, 1 << 16, 1 << 16, 1 << 16), CUBIAS_STATUS_OVERFLOW, nullptr, "cubias_tensor_nhwc");
  EXPECT_FAILS(cubias_tensor_tnd(&v, p, f, big, big, 2), CUBIAS_STATUS_OVERFLOW, nullptr, "cubias_tensor_tnd");
  // Unknown dtype (3 is inside the enum's value range, so well-defined in C++ too).
  EXPECT_FAILS(cubias_tensor_make(&v, p, (cubias_dtype_t)3, 1, 1, 1), CUBIAS_STATUS_INVALID_VALUE, nullptr, "cubias_tensor_make");
  EXPECT_FAILS(cubias_tensor_rows(&v, p, (cubias_dtype_t)3, 1, 1), CUBIAS_STATUS_INVALID_VALUE, nullptr, "cubias_tensor_rows");
  EXPECT_EQ(memcmp(&v, &poisoned, sizeof v), 0) << "a failed helper wrote the view";
  // And a good one fills it as documented.
  ASSERT_EQ(cubias_tensor_nhwc(&v, p, CUBIAS_DTYPE_BF16, 2, 3, 5, 7), CUBIAS_STATUS_SUCCESS);
  EXPECT_EQ(v.outer, 30);
  EXPECT_EQ(v.channels, 7);
  EXPECT_EQ(v.inner, 1);
  EXPECT_EQ(v.dtype, CUBIAS_DTYPE_BF16);
  EXPECT_EQ(v.data, p);
  ASSERT_EQ(cubias_tensor_nchw(&v, p, CUBIAS_DTYPE_F16, 2, 3, 5, 7), CUBIAS_STATUS_SUCCESS);
  EXPECT_EQ(v.outer, 2);
  EXPECT_EQ(v.channels, 3);
  EXPECT_EQ(v.inner, 35);
  ASSERT_EQ(cubias_tensor_tnd(&v, p, CUBIAS_DTYPE_F32, 4, 3, 9), CUBIAS_STATUS_SUCCESS);
  EXPECT_EQ(v.outer, 12);
  EXPECT_EQ(v.channels, 9);
  EXPECT_EQ(v.inner, 1);
}

TEST_P(ApiErrors, StatsCreate) {
  const cubias_stats_t poison = (cubias_stats_t)(uintptr_t)0x1;
  cubias_stats_t s = poison;
  auto still = [&] { return s == poison || s == nullptr; };
  EXPECT_FAILS(cubias_stats_create(nullptr, C, CUBIAS_ACT_RELU, 0, &s), CUBIAS_STATUS_INVALID_VALUE, nullptr, "cubias_stats_create");
  EXPECT_TRUE(still());
  EXPECT_FAILS(cubias_stats_create(h, C, CUBIAS_ACT_RELU, 0, nullptr), CUBIAS_STATUS_INVALID_VALUE, h, "cubias_stats_create");
  for (int64_t bad : {(int64_t)0, (int64_t)-3}) {
    s = poison;
    EXPECT_FAILS(cubias_stats_create(h, bad, CUBIAS_ACT_RELU, 0, &s), CUBIAS_STATUS_INVALID_VALUE, h, "cubias_stats_create");
    EXPECT_TRUE(still());
  }
  s = poison;
  EXPECT_FAILS(cubias_stats_create(h, (int64_t)1 << 62, CUBIAS_ACT_RELU, 0, &s), CUBIAS_STATUS_OVERFLOW, h, "cubias_stats_create");
  EXPECT_TRUE(still());
  s = poison;
  EXPECT_FAILS(cubias_stats_create(h, C, (cubias_activation_t)7, 0, &s), CUBIAS_STATUS_INVALID_VALUE, h, "cubias_stats_create");
  EXPECT_TRUE(still());
  for (float slope : {std::numeric_limits<float>::quiet_NaN(), std::numeric_limits<float>::infinity(),
                      -std::numeric_limits<float>::infinity()}) {
    s = poison;
    EXPECT_FAILS(cubias_stats_create(h, C, CUBIAS_ACT_LEAKY_RELU, slope, &s), CUBIAS_STATUS_INVALID_VALUE, h, "cubias_stats_create");
    EXPECT_TRUE(still());
  }
  // act_param is ignored for the other activations (documented).
  s = nullptr;
  EXPECT_EQ(cubias_stats_create(h, C, CUBIAS_ACT_TANH, std::numeric_limits<float>::quiet_NaN(), &s),
            CUBIAS_STATUS_SUCCESS);
  EXPECT_EQ(cubias_stats_destroy(s), CUBIAS_STATUS_SUCCESS);
  // Queries.
  tu::Stats good(h, C, CUBIAS_ACT_RELU);
  int64_t ch = -7;
  EXPECT_FAILS(cubias_stats_channels(nullptr, &ch), CUBIAS_STATUS_INVALID_VALUE, nullptr, "cubias_stats_channels");
  EXPECT_EQ(ch, -7);
  EXPECT_FAILS(cubias_stats_channels(good, nullptr), CUBIAS_STATUS_INVALID_VALUE, nullptr, "cubias_stats_channels");
  size_t bytes = 12345;
  EXPECT_FAILS(cubias_stats_export_size(nullptr, &bytes), CUBIAS_STATUS_INVALID_VALUE, nullptr, "cubias_stats_export_size");
  EXPECT_EQ(bytes, 12345u);
  EXPECT_FAILS(cubias_stats_export_size(good, nullptr), CUBIAS_STATUS_INVALID_VALUE, nullptr, "cubias_stats_export_size");
}

TEST_P(ApiErrors, ResetAndAccumulate) {
  tu::Stats s(h, C, CUBIAS_ACT_GELU), mine_elsewhere(other, C, CUBIAS_ACT_GELU);
  ASSERT_EQ(cubias_stats_accumulate(h, s, &view), CUBIAS_STATUS_SUCCESS);
  const auto before = state(s);
  EXPECT_FAILS(cubias_stats_reset(nullptr, s), CUBIAS_STATUS_INVALID_VALUE, nullptr, "cubias_stats_reset");
  EXPECT_FAILS(cubias_stats_reset(h, nullptr), CUBIAS_STATUS_INVALID_VALUE, h, "cubias_stats_reset");
  EXPECT_FAILS(cubias_stats_reset(h, mine_elsewhere), CUBIAS_STATUS_HANDLE_MISMATCH, h, "cubias_stats_reset");
  EXPECT_FAILS(cubias_stats_accumulate(nullptr, s, &view), CUBIAS_STATUS_INVALID_VALUE, nullptr, "cubias_stats_accumulate");
  EXPECT_FAILS(cubias_stats_accumulate(h, nullptr, &view), CUBIAS_STATUS_INVALID_VALUE, h, "cubias_stats_accumulate");
  EXPECT_FAILS(cubias_stats_accumulate(h, s, nullptr), CUBIAS_STATUS_INVALID_VALUE, h, "cubias_stats_accumulate");
  EXPECT_FAILS(cubias_stats_accumulate(h, mine_elsewhere, &view), CUBIAS_STATUS_HANDLE_MISMATCH, h, "cubias_stats_accumulate");
  // Hand-built views that bypass the helpers' checks.
  cubias_tensor_t v = view;
  v.data = nullptr;
  EXPECT_FAILS(cubias_stats_accumulate(h, s, &v), CUBIAS_STATUS_INVALID_VALUE, h, "cubias_stats_accumulate");
  for (int k = 0; k < 3; ++k)
    for (int64_t bad : {(int64_t)0, (int64_t)-2}) {
      v = view;
      (k == 0 ? v.outer : k == 1 ? v.channels : v.inner) = bad;
      EXPECT_FAILS(cubias_stats_accumulate(h, s, &v), CUBIAS_STATUS_INVALID_VALUE, h, "cubias_stats_accumulate");
    }
  v = view;
  v.dtype = (cubias_dtype_t)3;
  EXPECT_FAILS(cubias_stats_accumulate(h, s, &v), CUBIAS_STATUS_INVALID_VALUE, h, "cubias_stats_accumulate");
  // Channel count differing from the accumulator's.
  cubias_tensor_t w;
  ASSERT_EQ(cubias_tensor_rows(&w, data->get(), CUBIAS_DTYPE_F32, N * C / 5, 5), CUBIAS_STATUS_SUCCESS);
  EXPECT_FAILS(cubias_stats_accumulate(h, s, &w), CUBIAS_STATUS_SHAPE_MISMATCH, h, "cubias_stats_accumulate");
  ASSERT_EQ(cubias_tensor_rows(&w, data->get(), CUBIAS_DTYPE_F32, N * C, 1), CUBIAS_STATUS_SUCCESS);
  EXPECT_FAILS(cubias_stats_accumulate(h, s, &w), CUBIAS_STATUS_SHAPE_MISMATCH, h, "cubias_stats_accumulate");
  // outer * channels * inner overflowing int64 (nothing is read: checked first).
  v = view;
  v.outer = (int64_t)1 << 61;
  v.inner = 1 << 10;
  EXPECT_FAILS(cubias_stats_accumulate(h, s, &v), CUBIAS_STATUS_OVERFLOW, h, "cubias_stats_accumulate");
  v = view;
  v.outer = (int64_t)1 << 60;  // 2^62 elements fit in int64, their 2^64 bytes do not
  EXPECT_FAILS(cubias_stats_accumulate(h, s, &v), CUBIAS_STATUS_OVERFLOW, h, "cubias_stats_accumulate");
  v = view;
  v.outer = std::numeric_limits<int64_t>::max();
  EXPECT_FAILS(cubias_stats_accumulate(h, s, &v), CUBIAS_STATUS_OVERFLOW, h, "cubias_stats_accumulate");
  // Reserving workspace for bad shapes fails the same way.
  EXPECT_FAILS(cubias_reserve_workspace(nullptr, &view), CUBIAS_STATUS_INVALID_VALUE, nullptr, "cubias_reserve_workspace");
  EXPECT_FAILS(cubias_reserve_workspace(h, nullptr), CUBIAS_STATUS_INVALID_VALUE, h, "cubias_reserve_workspace");
  EXPECT_FAILS(cubias_reserve_workspace(h, &v), CUBIAS_STATUS_OVERFLOW, h, "cubias_reserve_workspace");
  EXPECT_EQ(cubias_reserve_workspace(h, &view), CUBIAS_STATUS_SUCCESS);
  // Nothing changed in the accumulator.
  EXPECT_TRUE(state(s) == before) << "a failed call changed the accumulator";
}

TEST_P(ApiErrors, Merge) {
  tu::Stats dst(h, C, CUBIAS_ACT_LEAKY_RELU, 0.1f), src(h, C, CUBIAS_ACT_LEAKY_RELU, 0.1f);
  tu::Stats elsewhere(other, C, CUBIAS_ACT_LEAKY_RELU, 0.1f);
  tu::Stats wider(h, C + 1, CUBIAS_ACT_LEAKY_RELU, 0.1f), relu(h, C, CUBIAS_ACT_RELU);
  tu::Stats slope2(h, C, CUBIAS_ACT_LEAKY_RELU, 0.2f);
  ASSERT_EQ(cubias_stats_accumulate(h, dst, &view), CUBIAS_STATUS_SUCCESS);
  ASSERT_EQ(cubias_stats_accumulate(h, src, &view), CUBIAS_STATUS_SUCCESS);
  ASSERT_EQ(cubias_stats_accumulate(h, relu, &view), CUBIAS_STATUS_SUCCESS);
  const auto before = state(dst), src_before = state(src);
  EXPECT_FAILS(cubias_stats_merge(nullptr, dst, src), CUBIAS_STATUS_INVALID_VALUE, nullptr, "cubias_stats_merge");
  EXPECT_FAILS(cubias_stats_merge(h, nullptr, src), CUBIAS_STATUS_INVALID_VALUE, h, "cubias_stats_merge");
  EXPECT_FAILS(cubias_stats_merge(h, dst, nullptr), CUBIAS_STATUS_INVALID_VALUE, h, "cubias_stats_merge");
  EXPECT_FAILS(cubias_stats_merge(h, dst, elsewhere), CUBIAS_STATUS_HANDLE_MISMATCH, h, "cubias_stats_merge");
  EXPECT_FAILS(cubias_stats_merge(h, elsewhere, src), CUBIAS_STATUS_HANDLE_MISMATCH, h, "cubias_stats_merge");
  EXPECT_FAILS(cubias_stats_merge(h, dst, wider), CUBIAS_STATUS_SHAPE_MISMATCH, h, "cubias_stats_merge");
  EXPECT_FAILS(cubias_stats_merge(h, dst, relu), CUBIAS_STATUS_INVALID_VALUE, h, "cubias_stats_merge");
  EXPECT_FAILS(cubias_stats_merge(h, dst, slope2), CUBIAS_STATUS_INVALID_VALUE, h, "cubias_stats_merge");
  EXPECT_FAILS(cubias_stats_merge(h, dst, dst), CUBIAS_STATUS_INVALID_VALUE, h, "cubias_stats_merge");
  EXPECT_TRUE(state(dst) == before) << "a failed merge changed dst";
  EXPECT_TRUE(state(src) == src_before) << "a failed merge changed src";
}

TEST_P(ApiErrors, ExportAndImport) {
  tu::Stats s(h, C, CUBIAS_ACT_SIGMOID), t(h, C, CUBIAS_ACT_SIGMOID);
  tu::Stats elsewhere(other, C, CUBIAS_ACT_SIGMOID), wider(h, C + 1, CUBIAS_ACT_SIGMOID);
  tu::Stats tanh_s(h, C, CUBIAS_ACT_TANH);
  ASSERT_EQ(cubias_stats_accumulate(h, s, &view), CUBIAS_STATUS_SUCCESS);
  ASSERT_EQ(cubias_stats_accumulate(h, t, &view), CUBIAS_STATUS_SUCCESS);
  size_t bytes = 0;
  ASSERT_EQ(cubias_stats_export_size(s, &bytes), CUBIAS_STATUS_SUCCESS);
  tu::Buffer buf(be(), bytes);
  buf.fill(0xEE);
  const auto poisoned = buf.all();
  EXPECT_FAILS(cubias_stats_export(nullptr, s, buf.get()), CUBIAS_STATUS_INVALID_VALUE, nullptr, "cubias_stats_export");
  EXPECT_FAILS(cubias_stats_export(h, nullptr, buf.get()), CUBIAS_STATUS_INVALID_VALUE, h, "cubias_stats_export");
  EXPECT_FAILS(cubias_stats_export(h, s, nullptr), CUBIAS_STATUS_INVALID_VALUE, h, "cubias_stats_export");
  EXPECT_FAILS(cubias_stats_export(h, elsewhere, buf.get()), CUBIAS_STATUS_HANDLE_MISMATCH, h, "cubias_stats_export");
  EXPECT_TRUE(buf.all() == poisoned) << "a failed export wrote the buffer";

  ASSERT_EQ(cubias_stats_export(h, s, buf.get()), CUBIAS_STATUS_SUCCESS);
  const auto good = buf.all();
  const auto t_before = state(t);
  EXPECT_FAILS(cubias_stats_import_merge(nullptr, t, buf.get()), CUBIAS_STATUS_INVALID_VALUE, nullptr, "cubias_stats_import_merge");
  EXPECT_FAILS(cubias_stats_import_merge(h, nullptr, buf.get()), CUBIAS_STATUS_INVALID_VALUE, h, "cubias_stats_import_merge");
  EXPECT_FAILS(cubias_stats_import_merge(h, t, nullptr), CUBIAS_STATUS_INVALID_VALUE, h, "cubias_stats_import_merge");
  EXPECT_FAILS(cubias_stats_import_merge(h, elsewhere, buf.get()), CUBIAS_STATUS_HANDLE_MISMATCH, h, "cubias_stats_import_merge");
  // Wrong channels, wrong activation.
  EXPECT_FAILS(cubias_stats_import_merge(h, wider, buf.get()), CUBIAS_STATUS_SHAPE_MISMATCH, h, "cubias_stats_import_merge");
  EXPECT_FAILS(cubias_stats_import_merge(h, tanh_s, buf.get()), CUBIAS_STATUS_INVALID_VALUE, h, "cubias_stats_import_merge");
  // Corrupted buffers: a flipped first byte (the magic), all zeros, all 0xEE.
  std::vector<unsigned char> bad = good;
  bad[0] ^= 0x40;
  buf.upload(bad.data(), bad.size());
  EXPECT_FAILS(cubias_stats_import_merge(h, t, buf.get()), CUBIAS_STATUS_INVALID_VALUE, h, "cubias_stats_import_merge");
  buf.fill(0);
  EXPECT_FAILS(cubias_stats_import_merge(h, t, buf.get()), CUBIAS_STATUS_INVALID_VALUE, h, "cubias_stats_import_merge");
  buf.fill(0xEE);
  EXPECT_FAILS(cubias_stats_import_merge(h, t, buf.get()), CUBIAS_STATUS_INVALID_VALUE, h, "cubias_stats_import_merge");
  EXPECT_TRUE(state(t) == t_before) << "a failed import changed the accumulator";
  // A wider export into a narrower accumulator.
  size_t wbytes = 0;
  ASSERT_EQ(cubias_stats_export_size(wider, &wbytes), CUBIAS_STATUS_SUCCESS);
  EXPECT_GT(wbytes, bytes);
  tu::Buffer wbuf(be(), wbytes);
  ASSERT_EQ(cubias_stats_export(h, wider, wbuf.get()), CUBIAS_STATUS_SUCCESS);
  EXPECT_FAILS(cubias_stats_import_merge(h, t, wbuf.get()), CUBIAS_STATUS_SHAPE_MISMATCH, h, "cubias_stats_import_merge");
  EXPECT_TRUE(state(t) == t_before);
  // Every single-byte corruption of the 64-byte header is either refused with
  // a clear status (accumulator untouched) or ignored (a reserved byte: the
  // import then equals the intact one); the magic bytes are always refused.
  {
    tu::Stats ok(h, C, CUBIAS_ACT_SIGMOID);
    ASSERT_EQ(cubias_stats_accumulate(h, ok, &view), CUBIAS_STATUS_SUCCESS);
    buf.upload(good.data(), good.size());
    ASSERT_EQ(cubias_stats_import_merge(h, ok, buf.get()), CUBIAS_STATUS_SUCCESS);
    const auto intact = state(ok);
    int refused = 0;
    for (size_t byte = 0; byte < 64 && byte < good.size(); ++byte) {
      tu::Stats u(h, C, CUBIAS_ACT_SIGMOID);
      ASSERT_EQ(cubias_stats_accumulate(h, u, &view), CUBIAS_STATUS_SUCCESS);
      const auto u_before = state(u);
      std::vector<unsigned char> c = good;
      c[byte] ^= 0x5A;
      buf.upload(c.data(), c.size());
      const cubias_status_t st = cubias_stats_import_merge(h, u, buf.get());
      if (st == CUBIAS_STATUS_SUCCESS) {
        EXPECT_LT(byte, 64u);
        EXPECT_GE(byte, 8u) << "a corrupted magic byte was accepted";
        EXPECT_TRUE(state(u) == intact) << "header byte " << byte << " changed the import";
      } else {
        ++refused;
        EXPECT_TRUE(st == CUBIAS_STATUS_INVALID_VALUE || st == CUBIAS_STATUS_SHAPE_MISMATCH ||
                    st == CUBIAS_STATUS_NOT_SUPPORTED)
            << "header byte " << byte << ": " << cubias_status_string(st);
        tu::expect_error_text(h, "cubias_stats_import_merge");
        EXPECT_TRUE(state(u) == u_before) << "refused import changed the accumulator";
      }
    }
    EXPECT_GE(refused, 8);
  }
  // The intact buffer still imports.
  buf.upload(good.data(), good.size());
  EXPECT_EQ(cubias_stats_import_merge(h, t, buf.get()), CUBIAS_STATUS_SUCCESS) << cubias_get_last_error(h);
}

TEST_P(ApiErrors, ReadAndWriteField) {
  tu::Stats s(h, C, CUBIAS_ACT_SILU), elsewhere(other, C, CUBIAS_ACT_SILU);
  ASSERT_EQ(cubias_stats_accumulate(h, s, &view), CUBIAS_STATUS_SUCCESS);
  std::vector<cubias_channel_stats_t> out((size_t)C), poisoned((size_t)C);
  memset(out.data(), 0x5A, out.size() * sizeof out[0]);
  memcpy(poisoned.data(), out.data(), out.size() * sizeof out[0]);
  EXPECT_FAILS(cubias_stats_read(nullptr, s, out.data()), CUBIAS_STATUS_INVALID_VALUE, nullptr, "cubias_stats_read");
  EXPECT_FAILS(cubias_stats_read(h, nullptr, out.data()), CUBIAS_STATUS_INVALID_VALUE, h, "cubias_stats_read");
  EXPECT_FAILS(cubias_stats_read(h, s, nullptr), CUBIAS_STATUS_INVALID_VALUE, h, "cubias_stats_read");
  EXPECT_FAILS(cubias_stats_read(h, elsewhere, out.data()), CUBIAS_STATUS_HANDLE_MISMATCH, h, "cubias_stats_read");
  EXPECT_TRUE(tu::bitwise_equal(out, poisoned)) << "a failed read wrote the output";

  tu::Buffer d(be(), (size_t)C * sizeof(double));
  d.fill(0xFF);
  const auto d_poisoned = d.all();
  double *dp = (double *)d.get();
  EXPECT_FAILS(cubias_stats_write_field(nullptr, s, CUBIAS_FIELD_MEAN, dp), CUBIAS_STATUS_INVALID_VALUE, nullptr, "cubias_stats_write_field");
  EXPECT_FAILS(cubias_stats_write_field(h, nullptr, CUBIAS_FIELD_MEAN, dp), CUBIAS_STATUS_INVALID_VALUE, h, "cubias_stats_write_field");
  EXPECT_FAILS(cubias_stats_write_field(h, s, CUBIAS_FIELD_MEAN, nullptr), CUBIAS_STATUS_INVALID_VALUE, h, "cubias_stats_write_field");
  EXPECT_FAILS(cubias_stats_write_field(h, s, (cubias_stat_field_t)13, dp), CUBIAS_STATUS_INVALID_VALUE, h, "cubias_stats_write_field");
  EXPECT_FAILS(cubias_stats_write_field(h, s, (cubias_stat_field_t)15, dp), CUBIAS_STATUS_INVALID_VALUE, h, "cubias_stats_write_field");
  EXPECT_FAILS(cubias_stats_write_field(h, elsewhere, CUBIAS_FIELD_MEAN, dp), CUBIAS_STATUS_HANDLE_MISMATCH, h, "cubias_stats_write_field");
  EXPECT_TRUE(d.all() == d_poisoned) << "a failed write_field wrote the output";
}

CUBIAS_INSTANTIATE_BACKENDS(ApiErrors);

}  // namespace
