// End-to-end tests of the `cubias` command-line tool on generated .npy files,
// malformed ones included. The tool's path comes from CMake (CUBIAS_CLI_PATH).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "cli_test_util.h"

namespace {

using clitest::CliRun;
using clitest::run;
using clitest::write_npy;

// Each test writes its files into a folder of its own, removed when it ends.
using Cli = clitest::ScratchTest;

// The value after "key": in the n-th channel object of the tool's JSON.
double json_field(const std::string &out, int channel, const std::string &key) {
  size_t pos = out.find("\"channels\"");
  for (int c = 0; c <= channel; ++c) pos = out.find('{', pos + 1);
  size_t k = out.find("\"" + key + "\": ", pos);
  if (k == std::string::npos) return NAN;
  const char *v = out.c_str() + k + key.size() + 4;
  return strncmp(v, "null", 4) == 0 ? NAN : strtod(v, nullptr);
}

TEST_F(Cli, HelpAndUsage) {
  CliRun r = run("help");
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.out.find("stats"), std::string::npos);
  r = run("stats --help");
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.out.find("--layout"), std::string::npos);
  r = run("no-such-command");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.out.find("unknown command"), std::string::npos);
}

TEST_F(Cli, StatsMatchAReferenceEveryLayout) {
  const int N = 300, C = 4, H = 3, W = 5;
  std::vector<float> x(N * C * H * W);
  std::mt19937 g(3);
  std::normal_distribution<float> nd(2.0f, 1.5f);
  for (float &v : x) v = nd(g);
  const std::string f = tmp("nchw.npy");
  write_npy(f, "<f4", "(300, 4, 3, 5)", x.data(), x.size() * 4);
  // nchw: channel axis 1.
  CliRun r = run("stats " + f + " --layout nchw --act relu --backend cpu --json");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  for (int c = 0; c < C; ++c) {
    double s = 0, q = 0, relu = 0;
    int n = 0;
    for (int i = 0; i < N; ++i)
      for (int k = 0; k < H * W; ++k) s += x[(i * C + c) * H * W + k], ++n;
    const double mean = s / n;
    for (int i = 0; i < N; ++i)
      for (int k = 0; k < H * W; ++k) {
        double v = x[(i * C + c) * H * W + k];
        q += (v - mean) * (v - mean);
        relu += v > 0 ? v : 0;
      }
    EXPECT_EQ(json_field(r.out, c, "count"), n);
    EXPECT_NEAR(json_field(r.out, c, "mean"), mean, 1e-7 * std::fabs(mean) + 1e-6 * std::sqrt(q / n));
    EXPECT_NEAR(json_field(r.out, c, "var"), q / n, 1e-5 * q / n);
    EXPECT_NEAR(json_field(r.out, c, "phi_mean"), relu / n, 1e-6);
  }
  // nhwc / rows / tnc: channel axis last. [300*4*3, 5] viewed three ways.
  r = run("stats " + f + " --layout nhwc --backend cpu --json");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  double s = 0;
  for (int i = 0; i < N * C * H; ++i) s += x[i * W + 2];
  EXPECT_NEAR(json_field(r.out, 2, "mean"), s / (N * C * H), 1e-6);
  EXPECT_EQ(json_field(r.out, 2, "count"), N * C * H);
  CliRun rows = run("stats " + f + " --layout rows --backend cpu --json");
  ASSERT_EQ(rows.exit_code, 0);
  EXPECT_EQ(json_field(rows.out, 2, "mean"), json_field(r.out, 2, "mean"));
  CliRun tnc = run("stats " + f + " --layout tnc --backend cpu");
  EXPECT_EQ(tnc.exit_code, 2);
  EXPECT_NE(tnc.out.find("3 dimensions"), std::string::npos) << tnc.out;
}

TEST_F(Cli, Float16AndNonFiniteEntries) {
  // 1.0, -2.0, NaN, +Inf in float16, two channels.
  const uint16_t h[8] = {0x3c00, 0xc000, 0x7e00, 0x7c00, 0x3c00, 0x4000, 0x3c00, 0x4000};
  const std::string f = tmp("f16.npy");
  write_npy(f, "<f2", "(4, 2)", h, sizeof h);
  CliRun r = run("stats " + f + " --backend cpu --json");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_EQ(json_field(r.out, 0, "count"), 3);       // 1, NaN(excluded), 1, 1
  EXPECT_EQ(json_field(r.out, 0, "nonfinite"), 1);
  EXPECT_EQ(json_field(r.out, 0, "mean"), 1.0);
  EXPECT_EQ(json_field(r.out, 1, "nonfinite"), 1);   // -2, Inf, 2, 2
  EXPECT_EQ(json_field(r.out, 1, "min"), -2.0);
}

TEST_F(Cli, MalformedFilesGetClearErrorsNeverACrash) {
  std::vector<float> x(12, 1.0f);
  const std::string ok = tmp("ok.npy");
  write_npy(ok, "<f4", "(3, 4)", x.data(), x.size() * 4);
  struct Case {
    std::string name, expect;
    std::function<void(const std::string &)> make;
  };
  const std::vector<Case> cases = {
      {"magic", "not a .npy file", [](const std::string &p) {
         FILE *f = fopen(p.c_str(), "wb");
         fputs("hello, this is not numpy", f);
         fclose(f);
       }},
      {"truncated_header", "truncated", [&](const std::string &p) {
         std::string cmd = "head -c 40 " + ok + " > " + p;
         ASSERT_EQ(system(cmd.c_str()), 0);
       }},
      {"truncated_data", "truncated", [&](const std::string &p) {
         write_npy(p, "<f4", "(3, 4)", x.data(), 20);
       }},
      {"fortran", "Fortran", [&](const std::string &p) {
         write_npy(p, "<f4", "(3, 4)", x.data(), 48, true);
       }},
      {"float64", "not supported", [&](const std::string &p) {
         write_npy(p, "<f8", "(3, 2)", x.data(), 48);
       }},
      {"int32", "float32 or float16", [&](const std::string &p) {
         write_npy(p, "<i4", "(3, 4)", x.data(), 48);
       }},
      {"bad_shape", "malformed shape", [&](const std::string &p) {
         write_npy(p, "<f4", "(3, x)", x.data(), 48);
       }},
      {"no_shape", "malformed header", [&](const std::string &p) {
         FILE *f = fopen(p.c_str(), "wb");
         const char hdr[] = "\x93NUMPY\x01\x00\x10\x00{'descr': '<f4'}";
         fwrite(hdr, 1, sizeof hdr - 1, f);
         fclose(f);
       }},
      {"empty", "empty", [&](const std::string &p) { write_npy(p, "<f4", "(0, 4)", nullptr, 0); }},
      {"missing", "cannot open", [](const std::string &) {}},
  };
  for (const Case &c : cases) {
    const std::string p = tmp("bad_" + c.name + ".npy");
    remove(p.c_str());
    c.make(p);
    CliRun r = run("stats " + p + " --backend cpu");
    EXPECT_EQ(r.exit_code, 2) << c.name << ": " << r.out;
    EXPECT_NE(r.out.find(c.expect), std::string::npos) << c.name << ": " << r.out;
  }
  CliRun r = run("stats " + ok + " --act swish --backend cpu");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.out.find("--act"), std::string::npos);
  r = run("stats " + ok + " --backend tpu");
  EXPECT_EQ(r.exit_code, 2);
  r = run("stats");
  EXPECT_EQ(r.exit_code, 2);
}

}  // namespace
