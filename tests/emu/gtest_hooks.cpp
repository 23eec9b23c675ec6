// Links the emulated device to GoogleTest: its faults and refused launches are
// test failures (with the seed that replays them), and each test starts on a
// fresh device state (a real device's sticky error would end the process).
#include <gtest/gtest.h>
#include <stdio.h>
#include <stdlib.h>

#include "emu_internal.h"

namespace {

void fail_test(const char *msg) {
  ADD_FAILURE() << msg << " [CUBIAS_EMU_SEED=" << cubias_emu::base_seed() << "]";
}

class EmuListener : public ::testing::EmptyTestEventListener {
  void OnTestProgramStart(const ::testing::UnitTest &) override {
    printf("cubias emulated CUDA device: %d devices, CUBIAS_EMU_SEED=%llu\n",
           cubias_emu::device_count(), (unsigned long long)cubias_emu::base_seed());
  }
  void OnTestStart(const ::testing::TestInfo &) override {
    cubias_emu::reset_for_test();
    calls_ = calls();
  }
  // Runtime calls but the pointer queries: a CPU handle asks whether a pointer is
  // device memory once the process has touched CUDA, which is not using the device.
  static long long calls() { return cubias_emu::runtime_calls() - cubias_emu_pointer_queries(); }
  // Under CUBIAS_EMU_UNREGISTERED=1 (tests/emu/twin_registry.sh runs the tests that are
  // not GPU twins so): names each test that made a CUDA runtime call.
  void OnTestEnd(const ::testing::TestInfo &t) override {
    static const bool watch = getenv("CUBIAS_EMU_UNREGISTERED") != nullptr;
    if (watch && calls() != calls_)
      printf("cubias emulated device: %s.%s used the CUDA device (%lld runtime calls)\n",
             t.test_suite_name(), t.name(), calls() - calls_);
  }
  long long calls_ = 0;
};

const bool g_installed = [] {
  cubias_emu::set_report_hook(fail_test);
  ::testing::UnitTest::GetInstance()->listeners().Append(new EmuListener);
  return true;
}();

}  // namespace
