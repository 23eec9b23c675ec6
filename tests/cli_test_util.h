// Helpers shared by the end-to-end tests of the `cubias` tool: run it, write
// and read .npy files with code of their own (nothing shared with cli/).
#ifndef CUBIAS_TEST_CLI_UTIL_H
#define CUBIAS_TEST_CLI_UTIL_H

#include <ftw.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#ifndef CUBIAS_CLI_PATH
#error "CUBIAS_CLI_PATH must name the cubias tool"
#endif

namespace clitest {

struct CliRun {
  int exit_code;  // -1 when the tool died from a signal
  std::string out;
};

inline CliRun run(const std::string &args) {
  std::string cmd = std::string(CUBIAS_CLI_PATH) + " " + args + " 2>&1";
  FILE *p = popen(cmd.c_str(), "r");
  CliRun r{-1, ""};
  if (!p) return r;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, n);
  int status = pclose(p);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

// A folder of one test's own, made by mkdtemp under GoogleTest's TempDir
// (cubias_cli_XXXXXX) and removed with everything in it when the object goes:
// tests running at once never share a file, and none is left behind.
class ScratchDir {
 public:
  static constexpr const char *kPrefix = "cubias_cli_";
  ScratchDir() {
    std::string t = ::testing::TempDir() + kPrefix + "XXXXXX";
    made_ = mkdtemp(&t[0]) != nullptr;
    if (!made_) ADD_FAILURE() << "mkdtemp(" << t << "): " << strerror(errno);
    dir_ = t + "/";
  }
  ~ScratchDir() {
    if (made_ && nftw(dir_.c_str(), remove_entry, 16, FTW_DEPTH | FTW_PHYS) != 0)
      ADD_FAILURE() << "cannot remove " << dir_ << ": " << strerror(errno);
  }
  ScratchDir(const ScratchDir &) = delete;
  ScratchDir &operator=(const ScratchDir &) = delete;
  // `name` inside the folder.
  std::string path(const std::string &name) const { return dir_ + name; }

 private:
  static int remove_entry(const char *p, const struct stat *, int, struct FTW *) {
    return remove(p);
  }
  std::string dir_;
  bool made_ = false;
};

// A fixture whose tests write into a folder of their own: tmp(name).
class ScratchTest : public ::testing::Test {
 protected:
  std::string tmp(const std::string &name) const { return dir_.path(name); }

 private:
  ScratchDir dir_;
};

// A .npy writer of its own (version 1.0).
inline void write_npy(const std::string &path, const std::string &descr, const std::string &shape,
                      const void *data, size_t bytes, bool fortran = false) {
  std::string h = "{'descr': '" + descr + "', 'fortran_order': " + (fortran ? "True" : "False") +
                  ", 'shape': " + shape + ", }";
  while ((10 + h.size() + 1) % 64) h += ' ';
  h += '\n';
  FILE *f = fopen(path.c_str(), "wb");
  ASSERT_NE(f, nullptr);
  const unsigned char pre[10] = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, (unsigned char)(h.size() & 255),
                                 (unsigned char)(h.size() >> 8)};
  fwrite(pre, 1, 10, f);
  fwrite(h.data(), 1, h.size(), f);
  if (bytes) fwrite(data, 1, bytes, f);
  fclose(f);
}

// A parsed .npy file as the tool wrote it: descr ("<f4"), shape, raw data.
struct Npy {
  bool ok = false;
  std::string descr;
  std::vector<long long> shape;
  std::vector<unsigned char> data;
  size_t count() const {
    size_t n = 1;
    for (long long d : shape) n *= (size_t)d;
    return n;
  }
  float f32(size_t i) const {
    float v;
    memcpy(&v, data.data() + 4 * i, 4);
    return v;
  }
  uint16_t f16_bits(size_t i) const { return (uint16_t)(data[2 * i] | data[2 * i + 1] << 8); }
};

inline Npy read_npy(const std::string &path) {
  Npy r;
  FILE *f = fopen(path.c_str(), "rb");
  if (!f) return r;
  unsigned char pre[10];
  if (fread(pre, 1, 10, f) != 10 || memcmp(pre, "\x93NUMPY\x01\x00", 8) != 0) {
    fclose(f);
    return r;
  }
  const size_t hl = pre[8] | pre[9] << 8;
  std::string h(hl, '\0');
  if (fread(&h[0], 1, hl, f) != hl) {
    fclose(f);
    return r;
  }
  size_t d = h.find("'descr': '");
  size_t s = h.find("'shape': (");
  if (d == std::string::npos || s == std::string::npos ||
      h.find("'fortran_order': False") == std::string::npos) {
    fclose(f);
    return r;
  }
  r.descr = h.substr(d + 10, 3);
  const char *p = h.c_str() + s + 10;
  while (*p && *p != ')') {
    char *end;
    long long v = strtoll(p, &end, 10);
    if (end == p) {
      ++p;
      continue;
    }
    r.shape.push_back(v);
    p = end;
  }
  const size_t item = r.descr == "<f4" ? 4 : r.descr == "<f2" ? 2 : 0;
  r.data.resize(r.count() * item);
  r.ok = item && fread(r.data.data(), 1, r.data.size(), f) == r.data.size() &&
         fgetc(f) == EOF;  // nothing after the data
  fclose(f);
  return r;
}

// binary16 bits -> double (independent of the library's conversion).
inline double half_to_double(uint16_t h) {
  const int s = h >> 15, e = (h >> 10) & 31, m = h & 1023;
  double v = e == 0 ? std::ldexp((double)m, -24) : e == 31 ? (m ? NAN : INFINITY)
                                                            : std::ldexp(1024.0 + m, e - 25);
  return s ? -v : v;
}

}  // namespace clitest

#endif
