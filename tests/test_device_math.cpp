// The host models of the device instructions behind the `__CUDA_ARCH__` branches of
// the shared math (kernels/*.h; docs/tests.md lists them): the storage conversions
// against the independent reference's decoders and nearest-even encoders (tests/ref),
// with CUDA's NaN rule (canonical stored NaNs, cvt.f32.f16's canonical float NaN),
// and the run mean's double quotient against IEEE float division.
#include "../kernels/dtype.h"
#include "../kernels/lanes.h"

#include <gtest/gtest.h>
#include <math.h>
#include <string.h>

#include <random>

#include "ref_stats.h"

namespace {

uint32_t bits_of(float f) {
  uint32_t u;
  memcpy(&u, &f, 4);
  return u;
}
float float_of(uint32_t u) {
  float f;
  memcpy(&f, &u, 4);
  return f;
}

// NaNs of every kind: both signs, quiet and signalling, payloads at both ends.
const uint32_t kNaNs[] = {0x7fc00000u, 0xffc00000u, 0x7f800001u, 0xff800001u, 0x7fffffffu,
                          0xffffffffu, 0x7fa00000u, 0xffd5a5a5u, 0x7f80ffffu, 0x7fe00001u};

// cvt.f32.f16 (__half2float): exact for every pattern; a NaN becomes 0x7fffffff.
TEST(DeviceMathModels, F16ToFloatEveryPatternNaNCanonical) {
  for (uint32_t h = 0; h < 65536; ++h) {
    const float got = cubias_f16_to_f32((uint16_t)h);
    const double want = ref::f16_to_double((uint16_t)h);
    if (want != want)
      ASSERT_EQ(bits_of(got), 0x7fffffffu) << std::hex << "f16 " << h;
    else
      ASSERT_EQ((double)got, want) << std::hex << "f16 " << h;
    if (want == 0.0) ASSERT_EQ(signbit(got), signbit(want)) << std::hex << "f16 " << h;
  }
}

// bf16 loads are a shift on both processors: exact, a NaN keeps its payload.
TEST(DeviceMathModels, Bf16ToFloatEveryPatternIsAShift) {
  for (uint32_t h = 0; h < 65536; ++h)
    ASSERT_EQ(bits_of(cubias_bf16_to_f32((uint16_t)h)), h << 16) << std::hex << h;
}

// cvt.rn.f16.f32 / cvt.rn.bf16.f32: nearest even, overflow to +-Inf, every NaN to
// the canonical 0x7fff. Every 61st float pattern (about 70 million, every binade,
// subnormals, both signs) plus the rounding ties of each exponent.
TEST(DeviceMathModels, FloatToHalvesNearestEvenNaNCanonical) {
  auto check = [](uint32_t u) {
    const float f = float_of(u);
    const uint16_t h = cubias_f32_to_f16(f), b = cubias_f32_to_bf16(f);
    if (f != f) {
      ASSERT_EQ(h, 0x7fffu) << std::hex << u;
      ASSERT_EQ(b, 0x7fffu) << std::hex << u;
    } else {
      ASSERT_EQ(h, ref::double_to_f16((double)f)) << std::hex << u;
      ASSERT_EQ(b, ref::double_to_bf16((double)f)) << std::hex << u;
    }
  };
  for (uint64_t u = 0; u <= 0xffffffffull; u += 61) check((uint32_t)u);
  for (uint32_t e = 0; e < 256; ++e)
    for (uint32_t lo : {0x1000u, 0x3000u, 0x0fffu, 0x1001u, 0x8000u, 0x18000u, 0x7fffu})
      for (uint32_t s : {0u, 0x80000000u}) check(s | e << 23 | lo);
  for (uint32_t u : kNaNs) check(u);
}

// One rule for stored NaNs: cubias_store_as writes the canonical NaN of every dtype.
TEST(DeviceMathModels, StoredNaNIsCanonicalInEveryDtype) {
  for (uint32_t u : kNaNs) {
    float f32;
    uint16_t h16[2];
    cubias_store_as(&f32, 0, 0, float_of(u));
    cubias_store_as(h16, 1, 0, float_of(u));
    cubias_store_as(h16, 2, 1, float_of(u));
    EXPECT_EQ(bits_of(f32), CUBIAS_NAN_F32) << std::hex << u;
    EXPECT_EQ(h16[0], CUBIAS_NAN_16) << std::hex << u;
    EXPECT_EQ(h16[1], CUBIAS_NAN_16) << std::hex << u;
  }
  float f32;
  cubias_store_as(&f32, 0, 0, -1.5f);  // everything else is stored as is
  EXPECT_EQ(f32, -1.5f);
}

// The run mean, one expression on both processors (the GPU's former branch): the
// double quotient rounded to float is IEEE float division's quotient, bit for bit.
TEST(DeviceMathModels, RunMeanEqualsFloatDivision) {
  std::mt19937_64 g(19);
  std::uniform_int_distribution<uint32_t> any;
  std::uniform_int_distribution<int> count(1, 1 << 30);
  for (int i = 0; i < 2000000; ++i) {
    const float s1 = float_of(any(g) & 0xff7fffffu), p = (float)(i % 7) - 3.f;  // finite
    const int n = i % 3 ? count(g) : 1 + i % 1000;
    ASSERT_EQ(bits_of(cubias_run_mean(p, s1, n)), bits_of(p + s1 / (float)n)) << s1 << " / " << n;
  }
}

}  // namespace
