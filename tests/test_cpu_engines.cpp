// The CPU statistics engine is built once per x86 level (AVX-512, AVX2,
// baseline) and the widest this CPU runs is picked once per process
// (CUBIAS_CPU_ISA caps it). Each build is checked against the fp64 reference
// by the statistics suites; this test checks that they also give the same
// bits: it runs itself in child processes capped at each level and compares
// digests of the exported state of every activation, dtype and layout, on data
// with NaN/Inf entries and channel counts that leave lanes over for every
// vector width.
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <string>

#include "util.h"

namespace {

// FNV-1a over bytes.
uint64_t fnv(const unsigned char *p, size_t n, uint64_t h) {
  for (size_t i = 0; i < n; ++i) h = (h ^ p[i]) * 1099511628211ull;
  return h;
}

// Digest of the exported states after accumulating the same data in every
// dtype, layout (rows, NCHW) and activation.
uint64_t digest_of_everything() {
  cubias_handle_t h = nullptr;
  EXPECT_EQ(cubias_create(&h, CUBIAS_BACKEND_CPU), CUBIAS_STATUS_SUCCESS);
  const int64_t C = 67;  // 4 x 16 + 3: leftover lanes for widths 16, 8 and 4
  const int64_t N = 301, HW = 9;
  std::vector<float> normal = tu::normal((size_t)(N * C * HW), 3.0, 2.0, 11);
  for (size_t i = 7; i < normal.size(); i += 997) normal[i] = i % 2 ? NAN : -INFINITY;
  // Values whose runs float cannot hold (redone in double, kernels/accumulate.h
  // cubias_run_unsafe): huge, tiny, subnormal and zero entries in every
  // channel, in patterns that change from run to run.
  std::vector<float> extreme = normal;
  const float kinds[] = {3e38f, -3e38f, 1e-30f, -2e-41f, 0.0f, 1e19f};
  for (size_t i = 0; i < extreme.size(); ++i)
    if ((i / 37) % 3 != 0) extreme[i] = kinds[(i * 7 + i / 101) % 6] * (1.0f + (float)(i % 5) * 0.01f);
  uint64_t d = 1469598103934665603ull;
  for (const std::vector<float> &x : {normal, extreme}) {
    for (int dtype = 0; dtype < 3; ++dtype) {
      const auto bytes = tu::encode(x, dtype);
      for (int layout = 0; layout < 2; ++layout) {
        cubias_tensor_t v;
        EXPECT_EQ(layout == 0 ? cubias_tensor_rows(&v, bytes.data(), (cubias_dtype_t)dtype,
                                                   N * HW, C)
                              : cubias_tensor_nchw(&v, bytes.data(), (cubias_dtype_t)dtype, N, C,
                                                   3, 3),
                  CUBIAS_STATUS_SUCCESS);
        for (int act = 0; act <= CUBIAS_ACT_SILU; ++act) {
          cubias_stats_t s = nullptr;
          EXPECT_EQ(cubias_stats_create(h, C, (cubias_activation_t)act, 0.1f, &s),
                    CUBIAS_STATUS_SUCCESS);
          EXPECT_EQ(cubias_stats_accumulate(h, s, &v), CUBIAS_STATUS_SUCCESS);
          size_t n = 0;
          EXPECT_EQ(cubias_stats_export_size(s, &n), CUBIAS_STATUS_SUCCESS);
          std::vector<unsigned char> out(n);
          EXPECT_EQ(cubias_stats_export(h, s, out.data()), CUBIAS_STATUS_SUCCESS);
          d = fnv(out.data(), out.size(), d);
          cubias_stats_destroy(s);
        }
      }
    }
  }
  cubias_destroy(h);
  return d;
}

// Runs this test in a child capped at `isa` and returns the digest it prints.
std::string child_digest(const char *isa) {
  char self[4096];
  const ssize_t len = readlink("/proc/self/exe", self, sizeof self - 1);
  if (len <= 0) return "cannot read /proc/self/exe";
  self[len] = 0;
  const std::string cmd = std::string("CUBIAS_DIGEST_ONLY=1 CUBIAS_CPU_ISA=") + isa + " '" + self +
                          "' --gtest_filter=CpuEngines.SameBitsFromEveryBuild";
  FILE *p = popen(cmd.c_str(), "r");
  if (!p) return "popen failed";
  std::string found = "no digest";
  char line[512];
  while (fgets(line, sizeof line, p))
    if (strncmp(line, "digest=", 7) == 0) found = std::string(line + 7, strcspn(line + 7, "\n"));
  pclose(p);
  return found;
}

TEST(CpuEngines, SameBitsFromEveryBuild) {
  if (getenv("CUBIAS_DIGEST_ONLY")) {
    printf("digest=%016llx\n", (unsigned long long)digest_of_everything());
    return;
  }
#if !defined(__linux__)
  GTEST_SKIP() << "spawns itself through /proc/self/exe (Linux only)";
#endif
  const std::string widest = child_digest("widest");
  ASSERT_EQ(widest.size(), 16u) << widest;
  EXPECT_EQ(child_digest("avx2"), widest) << "AVX2 engine differs from the widest";
  EXPECT_EQ(child_digest("base"), widest) << "baseline engine differs from the widest";
}

}  // namespace
