#include <gtest/gtest.h>
#include <vector>
#include "cubias.h"
TEST(Smoke, CpuMean) {
  cubias_handle_t h; ASSERT_EQ(cubias_create(&h, CUBIAS_BACKEND_CPU), CUBIAS_STATUS_SUCCESS);
  std::vector<float> x(1000 * 3); for (size_t i = 0; i < x.size(); ++i) x[i] = (float)(i % 7) + 1e4f;
  cubias_stats_t s; ASSERT_EQ(cubias_stats_create(h, 3, CUBIAS_ACT_RELU, 0, &s), 0);
  cubias_tensor_t v; ASSERT_EQ(cubias_tensor_rows(&v, x.data(), CUBIAS_DTYPE_F32, 1000, 3), 0);
  ASSERT_EQ(cubias_stats_accumulate(h, s, &v), 0) << cubias_get_last_error(h);
  cubias_channel_stats_t o[3]; ASSERT_EQ(cubias_stats_read(h, s, o), 0);
  for (int c = 0; c < 3; ++c) { printf("%lld %.10f %.10f %g %g\n", (long long)o[c].count, o[c].mean, o[c].var, o[c].min, o[c].max); }
  cubias_stats_destroy(s); cubias_destroy(h);
}
