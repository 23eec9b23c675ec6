// A CPU handle never initialises CUDA: a context costs memory on every GPU and breaks
// fork-based workers. The test runs itself in a fresh child process that creates a
// CPU handle and makes checked calls on host memory (tensor, export buffer, outputs),
// then says whether CUDA was touched: the driver library loaded (real CUDA runtime),
// or any runtime call made (the emulated device).
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#ifndef CUBIAS_EMU
#include <dlfcn.h>
#endif

#include <string>

#include "util.h"

#ifdef CUBIAS_EMU
#include "cubias_emu/api.h"
#endif

namespace {

int cuda_touched() {
#ifdef CUBIAS_EMU
  // tests/emu: 1 once any emulated runtime call was made in this process.
  return cubias_emu_runtime_touched();
#else
  void *lib = dlopen("libcuda.so.1", RTLD_NOW | RTLD_NOLOAD);
  if (lib) dlclose(lib);
  return lib != nullptr;
#endif
}

void use_a_cpu_handle() {
  cubias_handle_t h = nullptr;
  ASSERT_EQ(cubias_create(&h, CUBIAS_BACKEND_CPU), CUBIAS_STATUS_SUCCESS);
  const int64_t N = 64, C = 5;
  const std::vector<float> x = tu::normal((size_t)(N * C), 1.0, 2.0, 3);
  cubias_tensor_t v;
  ASSERT_EQ(cubias_tensor_rows(&v, x.data(), CUBIAS_DTYPE_F32, N, C), CUBIAS_STATUS_SUCCESS);
  {
    tu::Stats s(h, C, ref::RELU);
    ASSERT_EQ(cubias_stats_accumulate(h, s, &v), CUBIAS_STATUS_SUCCESS) << cubias_get_last_error(h);
    size_t n = 0;
    ASSERT_EQ(cubias_stats_export_size(s, &n), CUBIAS_STATUS_SUCCESS);
    std::vector<double> out(n / sizeof(double) + 1);
    ASSERT_EQ(cubias_stats_export(h, s, out.data()), CUBIAS_STATUS_SUCCESS) << cubias_get_last_error(h);
    std::vector<double> mean(C);
    ASSERT_EQ(cubias_stats_write_field(h, s, CUBIAS_FIELD_MEAN, mean.data()), CUBIAS_STATUS_SUCCESS)
        << cubias_get_last_error(h);
  }
  ASSERT_EQ(cubias_destroy(h), CUBIAS_STATUS_SUCCESS);
}

TEST(ApiCpuHandle, NeverInitialisesCuda) {
  if (getenv("CUBIAS_CPU_HANDLE_CHILD")) {
    use_a_cpu_handle();
    printf("cuda_touched=%d\n", cuda_touched());
    return;
  }
#if !defined(__linux__)
  GTEST_SKIP() << "spawns itself through /proc/self/exe (Linux only)";
#endif
  char self[4096];
  const ssize_t len = readlink("/proc/self/exe", self, sizeof self - 1);
  ASSERT_GT(len, 0);
  self[len] = 0;
  const std::string cmd = std::string("CUBIAS_CPU_HANDLE_CHILD=1 '") + self +
                          "' --gtest_filter=ApiCpuHandle.NeverInitialisesCuda 2>&1";
  FILE *p = popen(cmd.c_str(), "r");
  ASSERT_NE(p, nullptr);
  std::string said, all;
  char line[512];
  while (fgets(line, sizeof line, p)) {
    all += line;
    if (strncmp(line, "cuda_touched=", 13) == 0) said = std::string(line + 13, strcspn(line + 13, "\n"));
  }
  const int rc = pclose(p);
  EXPECT_EQ(rc, 0) << all;
  EXPECT_EQ(said, "0") << "the CPU handle's calls initialised CUDA\n" << all;
}

}  // namespace
