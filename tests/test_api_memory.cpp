// Memory on the wrong side (GPU tests: they need a device so that
// cudaPointerGetAttributes can tell host from device memory). Plain host
// memory handed to the CUDA backend, and device memory handed to the CPU
// backend, give CUBIAS_STATUS_WRONG_MEMORY and write nothing.
#include <string.h>

#include "util.h"

namespace {

TEST(ApiMemory, HostMemoryToCudaBackendIsWrongMemory) {
  CUBIAS_REQUIRE_GPU_OR_SKIP();
  cubias_handle_t h = nullptr;
  ASSERT_EQ(cubias_create(&h, CUBIAS_BACKEND_CUDA), CUBIAS_STATUS_SUCCESS);
  {
    const int64_t N = 64, C = 3;
    std::vector<float> host = tu::normal((size_t)(N * C), 0.0, 1.0, 1);
    tu::Stats s(h, C, CUBIAS_ACT_RELU);
    tu::Buffer dev(CUBIAS_BACKEND_CUDA, host.size() * 4);
    dev.upload(host.data(), host.size() * 4);
    cubias_tensor_t good, bad;
    ASSERT_EQ(cubias_tensor_rows(&good, dev.get(), CUBIAS_DTYPE_F32, N, C), CUBIAS_STATUS_SUCCESS);
    ASSERT_EQ(cubias_tensor_rows(&bad, host.data(), CUBIAS_DTYPE_F32, N, C), CUBIAS_STATUS_SUCCESS);
    ASSERT_EQ(cubias_stats_accumulate(h, s, &good), CUBIAS_STATUS_SUCCESS);
    const auto before = tu::export_bytes(h, s, CUBIAS_BACKEND_CUDA);

    EXPECT_EQ(cubias_stats_accumulate(h, s, &bad), CUBIAS_STATUS_WRONG_MEMORY);
    tu::expect_error_text(h, "cubias_stats_accumulate");
    EXPECT_EQ(cubias_reserve_workspace(h, &bad), CUBIAS_STATUS_WRONG_MEMORY);

    std::vector<double> out((size_t)C, -1.5);
    EXPECT_EQ(cubias_stats_write_field(h, s, CUBIAS_FIELD_MEAN, out.data()), CUBIAS_STATUS_WRONG_MEMORY);
    tu::expect_error_text(h, "cubias_stats_write_field");
    for (double v : out) EXPECT_EQ(v, -1.5);

    size_t bytes = 0;
    ASSERT_EQ(cubias_stats_export_size(s, &bytes), CUBIAS_STATUS_SUCCESS);
    std::vector<unsigned char> hbuf(bytes, 0xEE);
    EXPECT_EQ(cubias_stats_export(h, s, hbuf.data()), CUBIAS_STATUS_WRONG_MEMORY);
    tu::expect_error_text(h, "cubias_stats_export");
    for (unsigned char b : hbuf) ASSERT_EQ(b, 0xEE);
    // A valid export, but in host memory: refused on import.
    memcpy(hbuf.data(), before.data(), bytes);
    EXPECT_EQ(cubias_stats_import_merge(h, s, hbuf.data()), CUBIAS_STATUS_WRONG_MEMORY);
    tu::expect_error_text(h, "cubias_stats_import_merge");
    EXPECT_TRUE(tu::export_bytes(h, s, CUBIAS_BACKEND_CUDA) == before);
  }
  EXPECT_EQ(cubias_destroy(h), CUBIAS_STATUS_SUCCESS);
}

TEST(ApiMemory, DeviceMemoryToCpuBackendIsWrongMemory) {
  CUBIAS_REQUIRE_GPU_OR_SKIP();
  cubias_handle_t h = nullptr;
  ASSERT_EQ(cubias_create(&h, CUBIAS_BACKEND_CPU), CUBIAS_STATUS_SUCCESS);
  {
    const int64_t N = 64, C = 3;
    tu::Stats s(h, C, CUBIAS_ACT_RELU);
    tu::Buffer dev(CUBIAS_BACKEND_CUDA, (size_t)(N * C) * 4);
    dev.fill(0);
    cubias_tensor_t bad;
    ASSERT_EQ(cubias_tensor_rows(&bad, dev.get(), CUBIAS_DTYPE_F32, N, C), CUBIAS_STATUS_SUCCESS);
    EXPECT_EQ(cubias_stats_accumulate(h, s, &bad), CUBIAS_STATUS_WRONG_MEMORY);
    tu::expect_error_text(h, "cubias_stats_accumulate");
    tu::Buffer dout(CUBIAS_BACKEND_CUDA, (size_t)C * sizeof(double));
    dout.fill(0xFF);
    EXPECT_EQ(cubias_stats_write_field(h, s, CUBIAS_FIELD_MEAN, (double *)dout.get()),
              CUBIAS_STATUS_WRONG_MEMORY);
    for (unsigned char b : dout.all()) ASSERT_EQ(b, 0xFF);
  }
  EXPECT_EQ(cubias_destroy(h), CUBIAS_STATUS_SUCCESS);
}

}  // namespace
