// Shared pieces of the cubias command-line tool.
#ifndef CUBIAS_CLI_H
#define CUBIAS_CLI_H

#include <cstdint>
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

// Stream a float32/float16 .npy file through an accumulator, chunk by chunk
// over the outer axis with constant memory; progress on a terminal.
bool accumulate_file(Session &s, const std::string &path, const std::string &layout,
                     cubias_activation_t act, float slope, cubias_stats_t *stats,
                     npy::Header *hdr, std::string *err);

}  // namespace cli

#endif
