// .npy parsing with errors that name what is wrong; never trusts the header's
// sizes beyond what the file holds.
#include "npy.h"

#include <cerrno>
#include <cstring>
#include <sys/stat.h>

namespace npy {

const char *kind_name(Kind k) {
  switch (k) {
    case Kind::F32: return "float32";
    case Kind::F16: return "float16";
    case Kind::I32: return "int32";
    case Kind::I64: return "int64";
    case Kind::U8: return "uint8";
    case Kind::BOOL: return "bool";
  }
  return "?";
}

// Decimal text of an unsigned 128-bit count.
static std::string u128_str(unsigned __int128 v) {
  std::string s;
  do {
    s.insert(s.begin(), (char)('0' + (int)(v % 10)));
    v /= 10;
  } while (v);
  return s;
}

static bool fail(std::string *err, const std::string &path, const std::string &what) {
  *err = path + ": " + what;
  return false;
}

// The value of 'key': in the header dict, as raw text up to the next top-level comma.
static bool dict_value(const std::string &hdr, const std::string &key, std::string *out) {
  size_t k = hdr.find("'" + key + "'");
  if (k == std::string::npos) k = hdr.find("\"" + key + "\"");
  if (k == std::string::npos) return false;
  size_t colon = hdr.find(':', k);
  if (colon == std::string::npos) return false;
  size_t i = colon + 1;
  while (i < hdr.size() && hdr[i] == ' ') ++i;
  int depth = 0;
  size_t j = i;
  for (; j < hdr.size(); ++j) {
    char c = hdr[j];
    if (c == '(' || c == '[') ++depth;
    if (c == ')' || c == ']') --depth;
    if ((c == ',' || c == '}') && depth == 0) break;
  }
  *out = hdr.substr(i, j - i);
  return true;
}

static bool parse_descr(const std::string &v, Kind *k, size_t *item) {
  std::string d = v;
  if (d.size() >= 2 && (d.front() == '\'' || d.front() == '"')) d = d.substr(1, d.size() - 2);
  static const struct {
    const char *descr;
    Kind kind;
    size_t item;
  } known[] = {{"<f4", Kind::F32, 4}, {"<f2", Kind::F16, 2}, {"<i4", Kind::I32, 4},
               {"<i8", Kind::I64, 8}, {"|u1", Kind::U8, 1},  {"|b1", Kind::BOOL, 1}};
  for (const auto &e : known)
    if (d == e.descr) {
      *k = e.kind;
      *item = e.item;
      return true;
    }
  return false;
}

static bool parse_shape(const std::string &v, std::vector<int64_t> *shape) {
  if (v.size() < 2 || v.front() != '(' || v.back() != ')') return false;
  shape->clear();
  size_t i = 1;
  while (i < v.size() - 1) {
    while (i < v.size() - 1 && (v[i] == ' ' || v[i] == ',')) ++i;
    if (i >= v.size() - 1) break;
    char *end = nullptr;
    errno = 0;
    long long d = strtoll(v.c_str() + i, &end, 10);
    if (end == v.c_str() + i || errno || d < 0) return false;
    shape->push_back(d);
    i = end - v.c_str();
  }
  return true;
}

FILE *open(const std::string &path, Header *h, std::string *err) {
  FILE *f = fopen(path.c_str(), "rb");
  if (!f) {
    fail(err, path, std::string("cannot open: ") + strerror(errno));
    return nullptr;
  }
  auto bad = [&](const std::string &what) -> FILE * {
    fail(err, path, what);
    fclose(f);
    return nullptr;
  };
  struct stat st;
  const bool have_stat = fstat(fileno(f), &st) == 0;
  if (have_stat && S_ISDIR(st.st_mode)) return bad("is a directory, not a .npy file");
  unsigned char pre[10];
  if (fread(pre, 1, 8, f) != 8 || memcmp(pre, "\x93NUMPY", 6) != 0)
    return bad("not a .npy file (the magic string \\x93NUMPY is missing)");
  const int major = pre[6];
  uint32_t hlen = 0;
  long prefix = 0;
  if (major == 1) {
    if (fread(pre + 8, 1, 2, f) != 2) return bad("truncated header length");
    hlen = pre[8] | (uint32_t)pre[9] << 8;
    prefix = 10;
  } else if (major == 2 || major == 3) {
    unsigned char l[4];
    if (fread(l, 1, 4, f) != 4) return bad("truncated header length");
    hlen = l[0] | (uint32_t)l[1] << 8 | (uint32_t)l[2] << 16 | (uint32_t)l[3] << 24;
    prefix = 12;
  } else {
    return bad("unsupported .npy format version " + std::to_string(major));
  }
  if (hlen > (1u << 20)) return bad("header of " + std::to_string(hlen) + " bytes is implausible");
  std::string hdr(hlen, '\0');
  if (fread(&hdr[0], 1, hlen, f) != hlen) return bad("truncated header");
  std::string descr, fortran, shape;
  if (!dict_value(hdr, "descr", &descr) || !dict_value(hdr, "fortran_order", &fortran) ||
      !dict_value(hdr, "shape", &shape))
    return bad("malformed header (needs descr, fortran_order and shape): " + hdr);
  if (!parse_descr(descr, &h->kind, &h->item))
    return bad("dtype " + descr +
               " is not supported (float32 '<f4', float16 '<f2', int32, int64, uint8, bool)");
  if (fortran.rfind("False", 0) != 0)
    return bad("Fortran-order arrays are not supported: save with np.ascontiguousarray");
  if (!parse_shape(shape, &h->shape)) return bad("malformed shape " + shape);
  h->count = 1;
  for (int64_t d : h->shape) {
    if (d != 0 && h->count > INT64_MAX / d) return bad("shape overflows int64");
    h->count *= d;
  }
  h->data_offset = prefix + (long)hlen;
  if (have_stat) {
    // In 128 bits: count (< 2^63) times an item of up to 8 bytes can exceed int64.
    const unsigned __int128 need =
        (unsigned __int128)h->data_offset + (unsigned __int128)h->count * h->item;
    if ((unsigned __int128)st.st_size < need)
      return bad("truncated: the header promises " + std::to_string(h->count) + " elements (" +
                 u128_str(need) + " bytes) but the file has " +
                 std::to_string((long long)st.st_size) + " bytes");
  }
  return f;
}

bool peek(const std::string &path, Header *h, std::string *err) {
  FILE *f = open(path, h, err);
  if (f) fclose(f);
  return f != nullptr;
}

int64_t int_at(const Header &h, const void *data, int64_t i) {
  const char *p = (const char *)data;
  if (h.kind == Kind::I64) {
    int64_t v;
    memcpy(&v, p + 8 * i, 8);
    return v;
  }
  int32_t v32;
  memcpy(&v32, p + 4 * i, 4);
  return v32;
}

bool read(FILE *f, const Header &h, void *dst, int64_t n, std::string *err) {
  if (fread(dst, h.item, (size_t)n, f) != (size_t)n) {
    *err = "short read: the file ended early";
    return false;
  }
  return true;
}

bool read_all(const std::string &path, Header *h, std::vector<char> *data, std::string *err) {
  FILE *f = open(path, h, err);
  if (!f) return false;
  data->assign((size_t)h->count * h->item, 0);
  std::string e;
  const bool ok = read(f, *h, data->data(), h->count, &e);
  fclose(f);
  return ok ? true : fail(err, path, e);
}

bool write(const std::string &path, const std::vector<int64_t> &shape, const void *data, Kind kind,
           std::string *err) {
  if (kind != Kind::F32 && kind != Kind::F16)
    return fail(err, path, std::string("cannot write dtype ") + kind_name(kind));
  const size_t item = kind == Kind::F32 ? 4 : 2;
  std::string dims;
  int64_t n = 1;
  for (size_t i = 0; i < shape.size(); ++i) {
    dims += (i ? ", " : "") + std::to_string(shape[i]);
    n *= shape[i];
  }
  if (shape.size() == 1) dims += ",";
  std::string dict = std::string("{'descr': '") + (kind == Kind::F32 ? "<f4" : "<f2") +
                     "', 'fortran_order': False, 'shape': (" + dims + "), }";
  // Pad with spaces so that magic + length + header is a multiple of 64, ending in \n.
  size_t total = 10 + dict.size() + 1;
  dict.append((64 - total % 64) % 64, ' ');
  dict += '\n';
  FILE *f = fopen(path.c_str(), "wb");
  if (!f) return fail(err, path, std::string("cannot write: ") + strerror(errno));
  unsigned char pre[10] = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0,
                           (unsigned char)(dict.size() & 0xff), (unsigned char)(dict.size() >> 8)};
  bool ok = fwrite(pre, 1, 10, f) == 10 && fwrite(dict.data(), 1, dict.size(), f) == dict.size() &&
            fwrite(data, item, (size_t)n, f) == (size_t)n;
  ok = (fclose(f) == 0) && ok;
  return ok ? true : fail(err, path, "write failed");
}

bool write_f32(const std::string &path, const std::vector<int64_t> &shape, const float *data,
               std::string *err) {
  return write(path, shape, data, Kind::F32, err);
}

}  // namespace npy
