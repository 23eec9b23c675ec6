// Shared pieces of the cubias command-line tool.
#ifndef CUBIAS_CLI_H
#define CUBIAS_CLI_H

#include <cstdint>
#include <initializer_list>
#include <map>
#include <string>
#include <vector>

#include "cubias.h"
#include "npy.h"

namespace cli {

// --key value / --key=value options and positional arguments.
struct Args {
  Args(int argc, char **argv, int first);
  bool has(const std::string &k) const;
  std::string get(const std::string &k, const std::string &dflt) const;
  bool number(const std::string &k, double dflt, double *out, std::string *err) const;
  // A whole number in [lo, hi] (decimal, optional sign).
  bool integer(const std::string &k, int64_t dflt, int64_t lo, int64_t hi, int64_t *out,
               std::string *err) const;
  // One of `names`: *out is its index; dflt is the index without the option, or
  // -1 where the option is required.
  bool choice(const std::string &k, std::initializer_list<const char *> names, int dflt, int *out,
              std::string *err) const;
  std::map<std::string, std::string> opts;
  std::vector<std::string> positional;

 private:
  static bool is_flag(const std::string &key);
};

struct Command {
  const char *name, *summary, *synopsis, *help;
  int (*run)(const Args &);
};
const Command *commands();  // terminated by an entry with name == nullptr

int fail(const std::string &msg);                                   // prints, returns 2
int fail_status(const char *what, cubias_status_t st, cubias_handle_t h);  // returns 1
std::string json_number(double v);

// A handle on the chosen backend, plus staging for host data on the GPU.
class Session {
 public:
  ~Session();
  bool open(const Args &a, std::string *err);
  cubias_handle_t handle() const { return h_; }
  bool cuda() const { return backend_ == CUBIAS_BACKEND_CUDA; }
  // A backend buffer holding a copy of host bytes (the host pointer itself on the CPU).
  bool to_backend(const void *host, size_t bytes, const void **out, std::string *err);
  // Copy backend bytes to host memory.
  bool to_host(const void *backend, size_t bytes, void *host, std::string *err);
  // Backend memory of `bytes` owned by the session.
  bool alloc(size_t bytes, void **out, std::string *err);

 private:
  cubias_handle_t h_ = nullptr;
  cubias_backend_t backend_ = CUBIAS_BACKEND_CPU;
  std::vector<void *> owned_;
};

// Which axis of a .npy array holds the channels: rows [N, D] (also [..., D]),
// nchw [N, C, ...], nhwc [N, ..., C], tnc [T, N, C].
bool view_of(const std::string &layout, const std::vector<int64_t> &shape, int64_t *outer,
             int64_t *channels, int64_t *inner, std::string *err);
bool parse_activation(const std::string &name, cubias_activation_t *act);

// "[3, 4]" for error messages.
std::string shape_str(const std::vector<int64_t> &shape);

// Bytes of one element of an output dtype (f32 4, f16 2).
inline size_t dtype_bytes(cubias_dtype_t dt) { return dt == CUBIAS_DTYPE_F32 ? 4 : 2; }

// --dtype f32|f16 (default f32): the dtype cubias writes and the .npy kind written.
bool parse_out_dtype(const Args &a, cubias_dtype_t *dt, npy::Kind *kind, std::string *err);

// --out PATH, required.
bool out_path(const Args &a, std::string *path, std::string *err);

// A float32/float16 weight .npy [out, in] (rank 2), or with flatten [out, ...]
// seen as [out, prod(rest)] (a convolution kernel), copied to the backend and
// described by *w (row-major, packed). *host keeps the host bytes alive.
bool load_weights(Session &s, const std::string &path, bool flatten, std::vector<char> *host,
                  npy::Header *h, cubias_weight_t *w, std::string *err);

// Waits for the handle's work, copies n elements of dtype from backend memory
// and writes them as a .npy of `shape` and `kind` (F32 for f32, F16 for f16).
bool fetch_and_write(Session &s, const void *d, const std::vector<int64_t> &shape,
                     cubias_dtype_t dt, npy::Kind kind, const std::string &path, std::string *err);

// Stream a float32/float16 .npy file through an accumulator, chunk by chunk
// over the outer axis with constant memory; progress on a terminal.
bool accumulate_file(Session &s, const std::string &path, const std::string &layout,
                     cubias_activation_t act, float slope, cubias_stats_t *stats,
                     npy::Header *hdr, std::string *err);

}  // namespace cli

#endif
