// The `cubias` tool on inputs its first tests did not try: absurd shapes, bad
// option values, scalars, directories, and a library error's text printed once.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "cli_test_util.h"

namespace {

using clitest::CliRun;
using clitest::run;
using clitest::write_npy;

// Each test writes its files into a folder of its own, removed when it ends.
using CliErrors = clitest::ScratchTest;

size_t count_of(const std::string &text, const std::string &what) {
  size_t n = 0;
  for (size_t p = text.find(what); p != std::string::npos; p = text.find(what, p + 1)) ++n;
  return n;
}

// A header promising 2^62 float32 values: 2^64 bytes, beyond int64. The byte
// count is stated as it is, never as a wrapped negative number.
TEST_F(CliErrors, HugeShapeGivesTheTrueByteCount) {
  const std::string p = tmp("huge_shape.npy");
  write_npy(p, "<f4", "(4611686018427387904, 1)", nullptr, 0);
  CliRun r = run("stats " + p + " --backend cpu");
  EXPECT_EQ(r.exit_code, 2) << r.out;
  EXPECT_NE(r.out.find("truncated"), std::string::npos) << r.out;
  // 2^62 * 4 = 2^64 = 18446744073709551616, plus the header (a multiple of 64 bytes)
  EXPECT_NE(r.out.find("(1844674407370955"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find('-'), std::string::npos) << r.out;
}

// A library refusal is printed with the call's name once ("cubias_stats_create:
// ..."), not once by the library and again by the tool.
TEST_F(CliErrors, LibraryErrorNamesItsCallOnce) {
  std::vector<float> x = {1, -2, 3, -4, 5, -6};
  const std::string p = tmp("slope.npy");
  write_npy(p, "<f4", "(3, 2)", x.data(), x.size() * 4);
  CliRun r = run("stats " + p + " --act leaky_relu --slope nan --backend cpu");
  EXPECT_NE(r.exit_code, 0) << r.out;
  EXPECT_EQ(count_of(r.out, "cubias_stats_create"), 1u) << r.out;
  EXPECT_NE(r.out.find("cubias: cubias_stats_create: "), std::string::npos) << r.out;
}

// --rows is a count of table rows: a whole number >= 0, nothing else.
TEST_F(CliErrors, RowsMustBeAWholeNumber) {
  std::vector<float> x = {1, -2, 3, -4, 5, -6};
  const std::string p = tmp("rows.npy");
  write_npy(p, "<f4", "(3, 2)", x.data(), x.size() * 4);
  for (const char *bad : {"-1", "nan", "1e300", "2.5", "inf", "x", "99999999999999999999"}) {
    CliRun r = run("stats " + p + " --backend cpu --rows " + bad);
    EXPECT_EQ(r.exit_code, 2) << bad << ": " << r.out;
    EXPECT_NE(r.out.find("--rows"), std::string::npos) << bad << ": " << r.out;
  }
  CliRun r = run("stats " + p + " --backend cpu --rows 1");
  EXPECT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("1 more channels"), std::string::npos) << r.out;
  r = run("stats " + p + " --backend cpu --rows 0");
  EXPECT_EQ(r.exit_code, 0) << r.out;
}

// A scalar (shape ()) holds one value: one channel with one entry, not "empty".
TEST_F(CliErrors, ScalarIsOneValue) {
  const float v = -2.5f;
  const std::string p = tmp("scalar.npy");
  write_npy(p, "<f4", "()", &v, sizeof v);
  CliRun r = run("stats " + p + " --backend cpu --json");
  EXPECT_EQ(r.exit_code, 0) << r.out;
  EXPECT_EQ(r.out.find("empty"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\"count\": 1"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\"min\": -2.5"), std::string::npos) << r.out;
  // A layout that needs dimensions says so.
  r = run("stats " + p + " --backend cpu --layout nchw");
  EXPECT_EQ(r.exit_code, 2) << r.out;
  EXPECT_NE(r.out.find("dimensions"), std::string::npos) << r.out;
}

// A directory given as the input is named as one.
TEST_F(CliErrors, DirectoryIsNamedAsOne) {
  const std::string d = tmp("a_directory.npy");
  mkdir(d.c_str(), 0700);
  CliRun r = run("stats " + d + " --backend cpu");
  EXPECT_EQ(r.exit_code, 2) << r.out;
  EXPECT_NE(r.out.find("is a directory"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("magic"), std::string::npos) << r.out;
}

// The scratch folder is made under TempDir and goes with its files and
// sub-folders. Under the leftovers check (tests/cli_leaves_nothing.sh sets
// CUBIAS_CLI_TEMPDIR) TempDir is that check's fresh folder.
TEST(CliScratch, FolderGoesWithEverythingInIt) {
  std::string dir;
  struct stat st;
  {
    clitest::ScratchDir s;
    dir = s.path("");
    EXPECT_EQ(dir.rfind(::testing::TempDir() + clitest::ScratchDir::kPrefix, 0), 0u) << dir;
    ASSERT_EQ(stat(dir.c_str(), &st), 0) << dir;
    ASSERT_TRUE(S_ISDIR(st.st_mode)) << dir;
    write_npy(s.path("a.npy"), "<f4", "(0,)", nullptr, 0);
    ASSERT_EQ(mkdir(s.path("sub").c_str(), 0700), 0);
    write_npy(s.path("sub/b.npy"), "<f4", "(0,)", nullptr, 0);
  }
  EXPECT_NE(stat(dir.c_str(), &st), 0) << dir << " is still there";
  if (const char *want = getenv("CUBIAS_CLI_TEMPDIR"))
    EXPECT_EQ(::testing::TempDir(), std::string(want) + "/");
}

// --alpha is a pseudo-count: 0, negative or non-finite is a usage error (exit 2,
// one line naming the option), for labels and multi-hot targets alike, and no
// output file is written. Issue 20: --alpha 0 exited 1 (the library's refusal).
TEST_F(CliErrors, PriorAlphaOutsideItsDomainIsAUsageError) {
  const int32_t labels[] = {0, 1, 2, 1};
  const std::string l = tmp("alpha_labels.npy");
  write_npy(l, "<i4", "(4,)", labels, sizeof labels);
  const uint8_t hot[] = {1, 0, 0, 1};
  const std::string t = tmp("alpha_targets.npy");
  write_npy(t, "|u1", "(2, 2)", hot, sizeof hot);
  for (const std::string &in : {l, t}) {
    for (const char *bad : {"0", "-1", "nan", "inf"}) {
      const std::string out = tmp("alpha_out.npy");
      std::remove(out.c_str());
      CliRun r = run("prior " + in + " --backend cpu --alpha " + bad + " --out " + out);
      EXPECT_EQ(r.exit_code, 2) << in << " " << bad << ": " << r.out;
      EXPECT_EQ(count_of(r.out, "\n"), 1u) << r.out;
      EXPECT_NE(r.out.find("--alpha"), std::string::npos) << r.out;
      struct stat st;
      EXPECT_NE(stat(out.c_str(), &st), 0) << "an output was written";
    }
  }
  CliRun r = run("prior " + l + " --backend cpu --alpha 0.5 --out " + tmp("alpha_ok.npy"));
  EXPECT_EQ(r.exit_code, 0) << r.out;
}

}  // namespace
