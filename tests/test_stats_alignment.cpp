// The same values at another address give the same bits (the header's determinism
// promise): the tensor starts 0, 1, 2 or 3 elements into a larger allocation, so
// the CUDA pass meets vector-aligned and misaligned data, and the thread that owns
// an entry, and so the order of the sums, must not depend on it.
#include <gtest/gtest.h>

#include <sstream>

#include "util.h"

namespace {

class StatsAlignment : public tu::BackendTest {};

TEST_P(StatsAlignment, SameValuesAtAnyElementOffsetGiveTheSameBits) {
  const int64_t entries = 1000, C = 12;  // C % 4 == 0: the vector path when aligned
  int k = 0;
  for (int layout = 0; layout < tu::kNumLayouts; ++layout)
    for (int dtype = 0; dtype < 3; ++dtype)
      for (int act : {ref::IDENTITY, ref::RELU, ref::LEAKY, ref::TANH}) {
        const size_t es = ref::dtype_bytes(dtype);
        const auto bytes = tu::encode(tu::normal((size_t)(entries * C), 2.0, 3.0, 900 + k++), dtype);
        tu::Buffer buf(be(), bytes.size() + 3 * es);
        std::vector<cubias_channel_stats_t> first;
        for (int offset = 0; offset < 4; ++offset) {
          std::ostringstream what;
          what << tu::layout_name(layout) << " " << tu::dtype_name(dtype) << " " << ref::act_name(act)
               << " offset " << offset;
          SCOPED_TRACE(what.str());
          buf.fill(0xA5);
          buf.upload(bytes.data(), bytes.size(), offset * es);
          cubias_tensor_t v;
          ASSERT_EQ(tu::make_view(&v, layout, buf.bytes() + offset * es, dtype, entries, C),
                    CUBIAS_STATUS_SUCCESS);
          tu::Stats s(h, C, act, act == ref::LEAKY ? 0.05f : 0.0f);
          ASSERT_EQ(cubias_stats_accumulate(h, s, &v), CUBIAS_STATUS_SUCCESS) << cubias_get_last_error(h);
          const auto got = tu::read(h, s, C);
          if (offset == 0) {
            first = got;
            tu::expect_matches_ref(got, ref::stats(bytes.data(), dtype, v.outer, C, v.inner, act, 0.05),
                                   tu::Tol(), what.str());
          } else {
            EXPECT_TRUE(tu::bitwise_equal(got, first)) << "bits differ from offset 0";
          }
        }
      }
}

CUBIAS_INSTANTIATE_BACKENDS(StatsAlignment);

}  // namespace
