// Links the emulated device to GoogleTest: its faults and refused launches are
// test failures (with the seed that replays them), and each test starts on a
// fresh device state (a real device's sticky error would end the process).
#include <gtest/gtest.h>
#include <stdio.h>

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
  void OnTestStart(const ::testing::TestInfo &) override { cubias_emu::reset_for_test(); }
};

const bool g_installed = [] {
  cubias_emu::set_report_hook(fail_test);
  ::testing::UnitTest::GetInstance()->listeners().Append(new EmuListener);
  return true;
}();

}  // namespace
