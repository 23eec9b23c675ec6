// f16 and bf16 decoding: all 65536 bit patterns of each go through the library
// (accumulated as tensors) and must decode exactly as the reference's own
// ldexp-based decoders say: one pattern per channel (min = max = the value,
// NaN/Inf counted as non-finite), 256 patterns per channel on the plane path,
// and all of them in one channel.
#include <math.h>

#include <sstream>

#include "util.h"

namespace {

class StatsConvert : public tu::BackendTest {};

std::vector<uint16_t> all_patterns() {
  std::vector<uint16_t> v(65536);
  for (size_t i = 0; i < v.size(); ++i) v[i] = (uint16_t)i;
  return v;
}

double decode(int dtype, uint16_t b) {
  return dtype == ref::F16 ? ref::f16_to_double(b) : ref::bf16_to_double(b);
}

TEST_P(StatsConvert, EveryPatternOnePerChannel) {
  const std::vector<uint16_t> pat = all_patterns();
  tu::Buffer buf(be(), pat.size() * 2);
  buf.upload(pat.data(), pat.size() * 2);
  for (int dtype : {ref::F16, ref::BF16}) {
    SCOPED_TRACE(tu::dtype_name(dtype));
    cubias_tensor_t v;
    ASSERT_EQ(cubias_tensor_rows(&v, buf.get(), (cubias_dtype_t)dtype, 1, 65536), CUBIAS_STATUS_SUCCESS);
    tu::Stats s(h, 65536, ref::IDENTITY);
    ASSERT_EQ(cubias_stats_accumulate(h, s, &v), CUBIAS_STATUS_SUCCESS) << cubias_get_last_error(h);
    const auto r = tu::read(h, s, 65536);
    int bad = 0, finite = 0;
    for (size_t i = 0; i < pat.size(); ++i) {
      const double want = decode(dtype, pat[i]);
      const cubias_channel_stats_t &q = r[i];
      bool ok;
      if (isfinite(want)) {
        ++finite;
        ok = q.count == 1 && q.nonfinite == 0 && q.positive == (want > 0) && q.min == want &&
             q.max == want && q.mean == want && signbit(q.min) == signbit(want);
      } else {
        ok = q.count == 0 && q.nonfinite == 1 && q.positive == 0 && isnan(q.min) && isnan(q.max);
      }
      if (!ok && ++bad <= 5) {
        std::ostringstream os;
        os.precision(17);
        os << "pattern 0x" << std::hex << pat[i] << std::dec << ": reference " << want
           << ", library count " << q.count << " nonfinite " << q.nonfinite << " min " << q.min
           << " max " << q.max << " mean " << q.mean;
        ADD_FAILURE() << os.str();
      }
    }
    EXPECT_EQ(bad, 0) << "patterns decoded differently";
    EXPECT_EQ(finite, dtype == ref::F16 ? 65536 - 2 * 1024 : 65536 - 2 * 128);
  }
}

// 256 patterns per channel (NCHW 1 x 256 x 16 x 16, plane path) and all of
// them in one channel (rows [65536, 1]): min, max and counts exact.
TEST_P(StatsConvert, EveryPatternInPlanesAndOneChannel) {
  const std::vector<uint16_t> pat = all_patterns();
  tu::Buffer buf(be(), pat.size() * 2);
  buf.upload(pat.data(), pat.size() * 2);
  for (int dtype : {ref::F16, ref::BF16})
    for (int shape = 0; shape < 2; ++shape) {
      SCOPED_TRACE(std::string(tu::dtype_name(dtype)) + (shape ? " one channel" : " NCHW planes"));
      cubias_tensor_t v;
      const int64_t C = shape ? 1 : 256;
      if (shape)
        ASSERT_EQ(cubias_tensor_rows(&v, buf.get(), (cubias_dtype_t)dtype, 65536, 1), CUBIAS_STATUS_SUCCESS);
      else
        ASSERT_EQ(cubias_tensor_nchw(&v, buf.get(), (cubias_dtype_t)dtype, 1, 256, 16, 16),
                  CUBIAS_STATUS_SUCCESS);
      tu::Stats s(h, C, ref::RELU);
      ASSERT_EQ(cubias_stats_accumulate(h, s, &v), CUBIAS_STATUS_SUCCESS);
      const auto r = tu::read(h, s, C);
      const auto want = ref::stats(pat.data(), dtype, v.outer, C, v.inner, ref::RELU, 0);
      for (int64_t c = 0; c < C; ++c) {
        EXPECT_EQ(r[c].count, want[c].count) << "channel " << c;
        EXPECT_EQ(r[c].nonfinite, want[c].nonfinite) << "channel " << c;
        EXPECT_EQ(r[c].positive, want[c].positive) << "channel " << c;
        if (want[c].count == 0) {
          EXPECT_TRUE(isnan(r[c].min) && isnan(r[c].max)) << "channel " << c;
        } else {
          EXPECT_EQ(r[c].min, want[c].min) << "channel " << c;
          EXPECT_EQ(r[c].max, want[c].max) << "channel " << c;
        }
        if (::testing::Test::HasFailure()) return;
      }
    }
}

CUBIAS_INSTANTIATE_BACKENDS(StatsConvert);

// The reference's own decoders and encoders agree with each other and with a
// few well-known values (guards the oracle itself).
TEST(RefHalf, DecodersAndEncodersRoundTrip) {
  EXPECT_EQ(ref::f16_to_double(0x3c00), 1.0);
  EXPECT_EQ(ref::f16_to_double(0xc000), -2.0);
  EXPECT_EQ(ref::f16_to_double(0x7bff), 65504.0);
  EXPECT_EQ(ref::f16_to_double(0x0001), ldexp(1.0, -24));
  EXPECT_EQ(ref::f16_to_double(0x0400), ldexp(1.0, -14));
  EXPECT_TRUE(isinf(ref::f16_to_double(0x7c00)));
  EXPECT_TRUE(isnan(ref::f16_to_double(0x7c01)));
  EXPECT_EQ(ref::bf16_to_double(0x3f80), 1.0);
  EXPECT_EQ(ref::bf16_to_double(0x0001), ldexp(1.0, -133));
  EXPECT_EQ(ref::bf16_to_double(0x7f7f), ldexp(255.0, 120));
  EXPECT_TRUE(isinf(ref::bf16_to_double(0xff80)));
  for (uint32_t b = 0; b < 65536; ++b) {
    const double f = ref::f16_to_double((uint16_t)b), g = ref::bf16_to_double((uint16_t)b);
    if (!isnan(f)) {
      ASSERT_EQ(ref::double_to_f16(f), b) << std::hex << b;
    }
    if (!isnan(g)) {
      ASSERT_EQ(ref::double_to_bf16(g), b) << std::hex << b;
    }
  }
  // Ties round to even; overflow to Inf.
  EXPECT_EQ(ref::double_to_f16(1.0 + ldexp(1.0, -11)), 0x3c00);
  EXPECT_EQ(ref::double_to_f16(1.0 + 3 * ldexp(1.0, -11)), 0x3c02);
  EXPECT_EQ(ref::double_to_f16(65520.0), 0x7c00);
  EXPECT_EQ(ref::double_to_f16(65519.0), 0x7bff);
  EXPECT_EQ(ref::double_to_bf16(1.0 + ldexp(1.0, -8)), 0x3f80);
  EXPECT_EQ(ref::double_to_bf16(ldexp(1.0, -134)), 0x0000);
  EXPECT_EQ(ref::double_to_bf16(ldexp(3.0, -134)), 0x0002);
}

}  // namespace
