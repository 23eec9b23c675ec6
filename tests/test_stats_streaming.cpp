// Streaming: uneven batches == one batch; merge(A, B) and export -> import_merge
// == accumulate A then B; reset; the documented empty state; write_field agrees
// with read. Each on every layout and dtype, against tests/ref and the library's
// own one-batch result, within the numerics bounds.
#include <math.h>
#include <string.h>

#include <sstream>

#include "util.h"

namespace {

// A tensor split along its leading axis into "units" (a row, an image, a time
// step): unit k covers elements [k*unit_elems, (k+1)*unit_elems).
struct Streamed {
  int layout;
  int64_t C = 5, units = 1100;
  int64_t unit_outer, unit_inner;  // a unit as (outer, inner)
  std::string name;
};

Streamed streamed(int layout) {
  Streamed s;
  s.layout = layout;
  s.name = tu::layout_name(layout);
  switch (layout) {
    case tu::NCHW: s.unit_outer = 1, s.unit_inner = 49; break;  // image C x 7 x 7
    case tu::NHWC: s.unit_outer = 49, s.unit_inner = 1; break;  // image 7 x 7 x C
    case tu::TND: s.unit_outer = 3, s.unit_inner = 1; break;    // step of 3 sequences
    default: s.unit_outer = 1, s.unit_inner = 1; break;        // one row
  }
  return s;
}

// A view of `units` units starting at `first` through the layout's helper.
cubias_tensor_t view_of(const Streamed &s, const tu::Buffer &buf, int dtype, int64_t first,
                        int64_t units) {
  const int64_t unit_elems = s.unit_outer * s.C * s.unit_inner;
  const void *p = buf.bytes() + (size_t)(first * unit_elems) * ref::dtype_bytes(dtype);
  const cubias_dtype_t dt = (cubias_dtype_t)dtype;
  cubias_tensor_t v;
  cubias_status_t st;
  switch (s.layout) {
    case tu::NCHW: st = cubias_tensor_nchw(&v, p, dt, units, s.C, 7, 7); break;
    case tu::NHWC: st = cubias_tensor_nhwc(&v, p, dt, units, 7, 7, s.C); break;
    case tu::TND: st = cubias_tensor_tnd(&v, p, dt, units, 3, s.C); break;
    default: st = cubias_tensor_rows(&v, p, dt, units, s.C); break;
  }
  EXPECT_EQ(st, CUBIAS_STATUS_SUCCESS);
  return v;
}

class StatsStreaming : public tu::BackendTest {
 protected:
  // For every layout and dtype: the data, its buffer and its fp64 reference.
  template <class Fn>
  void for_each_case(int act, float slope, Fn &&fn) {
    for (int layout = 0; layout < tu::kNumLayouts; ++layout)
      for (int dtype = 0; dtype < 3; ++dtype) {
        const Streamed s = streamed(layout);
        const int64_t total = s.units * s.unit_outer * s.C * s.unit_inner;
        const std::vector<float> x = tu::normal((size_t)total, 1e4, 1.0, 1000 + layout * 3 + dtype);
        const std::vector<unsigned char> bytes = tu::encode(x, dtype);
        tu::Buffer buf(be(), bytes.size());
        buf.upload(bytes.data(), bytes.size());
        const auto want = ref::stats(bytes.data(), dtype, s.units * s.unit_outer, s.C,
                                     s.unit_inner, act, slope);
        std::ostringstream what;
        what << s.name << " " << tu::dtype_name(dtype) << " " << ref::act_name(act);
        SCOPED_TRACE(what.str());
        fn(s, buf, dtype, want, what.str());
        if (::testing::Test::HasFailure()) return;
      }
  }
};

TEST_P(StatsStreaming, UnevenBatchesMatchOneBatch) {
  for_each_case(ref::GELU, 0, [&](const Streamed &s, const tu::Buffer &buf, int dtype,
                                  const std::vector<ref::Channel> &want, const std::string &what) {
    tu::Stats one(h, s.C, ref::GELU), many(h, s.C, ref::GELU);
    cubias_tensor_t all = view_of(s, buf, dtype, 0, s.units);
    ASSERT_EQ(cubias_stats_accumulate(h, one, &all), CUBIAS_STATUS_SUCCESS);
    // 1, 999, 3, then 40 single units, then the rest.
    std::vector<int64_t> sizes = {1, 999, 3};
    for (int k = 0; k < 40; ++k) sizes.push_back(1);
    int64_t used = 0;
    for (int64_t n : sizes) used += n;
    sizes.push_back(s.units - used);
    int64_t first = 0;
    for (int64_t n : sizes) {
      cubias_tensor_t v = view_of(s, buf, dtype, first, n);
      ASSERT_EQ(cubias_stats_accumulate(h, many, &v), CUBIAS_STATUS_SUCCESS) << cubias_get_last_error(h);
      first += n;
    }
    ASSERT_EQ(first, s.units);
    const auto got_one = tu::read(h, one, s.C), got_many = tu::read(h, many, s.C);
    tu::expect_matches_ref(got_one, want, tu::Tol(), what + " one batch");
    tu::expect_matches_ref(got_many, want, tu::Tol(), what + " batches");
    tu::expect_matches_lib(got_many, got_one, tu::Tol(), what + " batches vs one batch");
  });
}

TEST_P(StatsStreaming, MergeAndExportImportMatchSequential) {
  for_each_case(ref::RELU, 0, [&](const Streamed &s, const tu::Buffer &buf, int dtype,
                                  const std::vector<ref::Channel> &want, const std::string &what) {
    const int64_t na = 700;
    cubias_tensor_t a = view_of(s, buf, dtype, 0, na), b = view_of(s, buf, dtype, na, s.units - na);
    tu::Stats seq(h, s.C, ref::RELU), sa(h, s.C, ref::RELU), sb(h, s.C, ref::RELU);
    tu::Stats imp(h, s.C, ref::RELU), fresh(h, s.C, ref::RELU);
    ASSERT_EQ(cubias_stats_accumulate(h, seq, &a), CUBIAS_STATUS_SUCCESS);
    ASSERT_EQ(cubias_stats_accumulate(h, seq, &b), CUBIAS_STATUS_SUCCESS);
    ASSERT_EQ(cubias_stats_accumulate(h, sa, &a), CUBIAS_STATUS_SUCCESS);
    ASSERT_EQ(cubias_stats_accumulate(h, imp, &a), CUBIAS_STATUS_SUCCESS);
    ASSERT_EQ(cubias_stats_accumulate(h, sb, &b), CUBIAS_STATUS_SUCCESS);
    const auto expect_seq = tu::read(h, seq, s.C);
    const auto b_before = tu::read(h, sb, s.C);
    tu::expect_matches_ref(expect_seq, want, tu::Tol(), what + " A then B");

    // merge(A, B): matches A then B; B unchanged.
    ASSERT_EQ(cubias_stats_merge(h, sa, sb), CUBIAS_STATUS_SUCCESS) << cubias_get_last_error(h);
    const auto merged = tu::read(h, sa, s.C);
    tu::expect_matches_ref(merged, want, tu::Tol(), what + " merge(A,B)");
    tu::expect_matches_lib(merged, expect_seq, tu::Tol(), what + " merge(A,B) vs A then B");
    EXPECT_TRUE(tu::bitwise_equal(tu::read(h, sb, s.C), b_before)) << "merge changed its source";

    // export(B) -> import_merge into (A): matches A then B.
    size_t bytes = 0;
    ASSERT_EQ(cubias_stats_export_size(sb, &bytes), CUBIAS_STATUS_SUCCESS);
    ASSERT_GT(bytes, 0u);
    tu::Buffer ex(be(), bytes);
    ex.fill(0xA5);
    ASSERT_EQ(cubias_stats_export(h, sb, ex.get()), CUBIAS_STATUS_SUCCESS) << cubias_get_last_error(h);
    ASSERT_EQ(cubias_stats_import_merge(h, imp, ex.get()), CUBIAS_STATUS_SUCCESS)
        << cubias_get_last_error(h);
    const auto imported = tu::read(h, imp, s.C);
    tu::expect_matches_ref(imported, want, tu::Tol(), what + " export/import");
    tu::expect_matches_lib(imported, expect_seq, tu::Tol(), what + " export/import vs A then B");

    // import into an empty accumulator reproduces B.
    ASSERT_EQ(cubias_stats_import_merge(h, fresh, ex.get()), CUBIAS_STATUS_SUCCESS);
    tu::expect_matches_lib(tu::read(h, fresh, s.C), b_before, tu::Tol(), what + " import into empty");
  });
}

TEST_P(StatsStreaming, MergeOrderAndEmptyOperands) {
  const int64_t C = 4, N = 3000;
  const std::vector<float> x = tu::normal((size_t)(N * C), -2.0, 3.0, 99);
  tu::Buffer buf(be(), x.size() * 4);
  buf.upload(x.data(), x.size() * 4);
  cubias_tensor_t a, b;
  ASSERT_EQ(cubias_tensor_rows(&a, buf.get(), CUBIAS_DTYPE_F32, 1000, C), CUBIAS_STATUS_SUCCESS);
  ASSERT_EQ(cubias_tensor_rows(&b, buf.bytes() + 1000 * C * 4, CUBIAS_DTYPE_F32, N - 1000, C),
            CUBIAS_STATUS_SUCCESS);
  tu::Stats ab(h, C, ref::TANH), ba(h, C, ref::TANH), sa(h, C, ref::TANH), sb(h, C, ref::TANH);
  tu::Stats empty(h, C, ref::TANH);
  ASSERT_EQ(cubias_stats_accumulate(h, ab, &a), CUBIAS_STATUS_SUCCESS);
  ASSERT_EQ(cubias_stats_accumulate(h, ba, &b), CUBIAS_STATUS_SUCCESS);
  ASSERT_EQ(cubias_stats_accumulate(h, sa, &a), CUBIAS_STATUS_SUCCESS);
  ASSERT_EQ(cubias_stats_accumulate(h, sb, &b), CUBIAS_STATUS_SUCCESS);
  const auto a_only = tu::read(h, ab, C);
  // Merging an empty accumulator changes nothing.
  ASSERT_EQ(cubias_stats_merge(h, ab, empty), CUBIAS_STATUS_SUCCESS);
  EXPECT_TRUE(tu::bitwise_equal(tu::read(h, ab, C), a_only));
  ASSERT_EQ(cubias_stats_merge(h, ab, sb), CUBIAS_STATUS_SUCCESS);
  ASSERT_EQ(cubias_stats_merge(h, ba, sa), CUBIAS_STATUS_SUCCESS);
  const auto want = ref::stats(x.data(), ref::F32, N, C, 1, ref::TANH, 0);
  tu::expect_matches_ref(tu::read(h, ab, C), want, tu::Tol(), "merge(A,B)");
  tu::expect_matches_ref(tu::read(h, ba, C), want, tu::Tol(), "merge(B,A)");
  // Merging into an empty accumulator gives the source.
  ASSERT_EQ(cubias_stats_merge(h, empty, sa), CUBIAS_STATUS_SUCCESS);
  tu::expect_matches_lib(tu::read(h, empty, C), tu::read(h, sa, C), tu::Tol(), "merge(empty,A)");
}

TEST_P(StatsStreaming, ResetClearsAndUntouchedIsEmpty) {
  const int64_t C = 6, N = 500;
  const std::vector<float> x = tu::normal((size_t)(N * C), 1.0, 2.0, 7);
  tu::Buffer buf(be(), x.size() * 4);
  buf.upload(x.data(), x.size() * 4);
  cubias_tensor_t v, half;
  ASSERT_EQ(cubias_tensor_rows(&v, buf.get(), CUBIAS_DTYPE_F32, N, C), CUBIAS_STATUS_SUCCESS);
  ASSERT_EQ(cubias_tensor_rows(&half, buf.get(), CUBIAS_DTYPE_F32, N / 2, C), CUBIAS_STATUS_SUCCESS);
  for (int act = 0; act < ref::kNumActs; ++act) {
    SCOPED_TRACE(ref::act_name(act));
    tu::Stats untouched(h, C, act, 0.3f), s(h, C, act, 0.3f), fresh(h, C, act, 0.3f);
    // The documented empty state: counts 0 and NaN everywhere else.
    const auto e = tu::read(h, untouched, C);
    for (int64_t c = 0; c < C; ++c) tu::expect_empty_channel(e[c], 0, "untouched");
    // Reset after data: empty again, and then exactly like a fresh accumulator.
    ASSERT_EQ(cubias_stats_accumulate(h, s, &v), CUBIAS_STATUS_SUCCESS);
    ASSERT_EQ(cubias_stats_reset(h, s), CUBIAS_STATUS_SUCCESS);
    const auto r = tu::read(h, s, C);
    for (int64_t c = 0; c < C; ++c) tu::expect_empty_channel(r[c], 0, "after reset");
    ASSERT_EQ(cubias_stats_accumulate(h, s, &half), CUBIAS_STATUS_SUCCESS);
    ASSERT_EQ(cubias_stats_accumulate(h, fresh, &half), CUBIAS_STATUS_SUCCESS);
    EXPECT_TRUE(tu::bitwise_equal(tu::read(h, s, C), tu::read(h, fresh, C)))
        << "reset accumulator differs from a fresh one";
    // Reset of an empty accumulator is harmless.
    ASSERT_EQ(cubias_stats_reset(h, untouched), CUBIAS_STATUS_SUCCESS);
    EXPECT_TRUE(tu::bitwise_equal(tu::read(h, untouched, C), e));
    // channels query
    int64_t ch = 0;
    ASSERT_EQ(cubias_stats_channels(s, &ch), CUBIAS_STATUS_SUCCESS);
    EXPECT_EQ(ch, C);
  }
}

// write_field into backend memory gives exactly what read reports, for every
// field, with or without data (poisoned output, every element written).
TEST_P(StatsStreaming, WriteFieldAgreesWithRead) {
  const int64_t C = 1001, N = 37;
  const std::vector<float> x = tu::normal((size_t)(N * C), 0.2, 1.0, 3);
  tu::Buffer buf(be(), x.size() * 4);
  buf.upload(x.data(), x.size() * 4);
  cubias_tensor_t v;
  ASSERT_EQ(cubias_tensor_rows(&v, buf.get(), CUBIAS_DTYPE_F32, N, C), CUBIAS_STATUS_SUCCESS);
  tu::Stats s(h, C, ref::SILU), empty(h, C, ref::SILU);
  ASSERT_EQ(cubias_stats_accumulate(h, s, &v), CUBIAS_STATUS_SUCCESS);
  tu::Buffer out(be(), (size_t)C * sizeof(double));
  for (cubias_stats_t st : {(cubias_stats_t)s, (cubias_stats_t)empty}) {
    const auto r = tu::read(h, st, C);
    for (int f = CUBIAS_FIELD_COUNT; f <= CUBIAS_FIELD_DPHI_SQ_MEAN; ++f) {
      SCOPED_TRACE("field " + std::to_string(f));
      const double poison = -123456.75;
      std::vector<double> host((size_t)C, poison);
      out.upload(host.data(), host.size() * sizeof(double));
      ASSERT_EQ(cubias_stats_write_field(h, st, (cubias_stat_field_t)f, (double *)out.get()),
                CUBIAS_STATUS_SUCCESS)
          << cubias_get_last_error(h);
      out.download(host.data(), host.size() * sizeof(double));
      int bad = 0;
      for (int64_t c = 0; c < C; ++c) {
        const cubias_channel_stats_t &q = r[c];
        double want;
        switch (f) {
          case CUBIAS_FIELD_COUNT: want = (double)q.count; break;
          case CUBIAS_FIELD_NONFINITE: want = (double)q.nonfinite; break;
          case CUBIAS_FIELD_POSITIVE: want = (double)q.positive; break;
          case CUBIAS_FIELD_MEAN: want = q.mean; break;
          case CUBIAS_FIELD_VAR: want = q.var; break;
          case CUBIAS_FIELD_VAR_UNBIASED: want = q.var_unbiased; break;
          case CUBIAS_FIELD_STD: want = sqrt(q.var); break;
          case CUBIAS_FIELD_MIN: want = q.min; break;
          case CUBIAS_FIELD_MAX: want = q.max; break;
          case CUBIAS_FIELD_ACTIVE_FRACTION: want = q.active_fraction; break;
          case CUBIAS_FIELD_PHI_MEAN: want = q.phi_mean; break;
          case CUBIAS_FIELD_PHI_SQ_MEAN: want = q.phi_sq_mean; break;
          default: want = q.dphi_sq_mean; break;
        }
        const bool ok = isnan(want) ? isnan(host[c]) : host[c] == want;
        if (!ok && ++bad <= 3)
          ADD_FAILURE() << "channel " << c << ": write_field " << host[c] << ", read " << want;
      }
    }
  }
}

CUBIAS_INSTANTIATE_BACKENDS(StatsStreaming);

}  // namespace
