// Reading and writing .npy files (NumPy's format, versions 1.0-3.0), streaming:
// the header is parsed once, then rows are read in chunks of any size.
#ifndef CUBIAS_CLI_NPY_H
#define CUBIAS_CLI_NPY_H

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

namespace npy {

enum class Kind { F32, F16, I32, I64, U8, BOOL };

struct Header {
  Kind kind;
  size_t item;                 // bytes per element
  std::vector<int64_t> shape;  // C order
  int64_t count;               // product of shape
  long data_offset;            // byte offset of the first element
};

const char *kind_name(Kind k);

// Opens path and parses its header. On failure returns nullptr and sets *err
// to a message that says what is wrong with the file.
FILE *open(const std::string &path, Header *h, std::string *err);

// Parses path's header only (open() and close): false with *err as open() sets it.
bool peek(const std::string &path, Header *h, std::string *err);

// Element i of an int32 or int64 array (raw bytes at data) as int64.
int64_t int_at(const Header &h, const void *data, int64_t i);

// Reads n elements (raw bytes) into dst; false with *err set on a short read.
bool read(FILE *f, const Header &h, void *dst, int64_t n, std::string *err);

// Reads the whole array (raw bytes, count * item) into *data: the header is
// checked as open() does. false with *err (naming the file) on failure.
bool read_all(const std::string &path, Header *h, std::vector<char> *data, std::string *err);

// Writes a C-order array of kind F32 ('<f4') or F16 ('<f2', raw binary16 bits).
// false with *err on failure (or on another kind).
bool write(const std::string &path, const std::vector<int64_t> &shape, const void *data, Kind kind,
           std::string *err);

// Writes a C-order float32 array. false with *err on failure.
bool write_f32(const std::string &path, const std::vector<int64_t> &shape, const float *data,
               std::string *err);

}  // namespace npy

#endif
