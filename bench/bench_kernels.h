// bench_kernels: a checked benchmark of each kernel family beyond the statistics
// pass (derivations, revival histogram, priors, masks, gain), through the public
// API only. Every case runs first on the timed handle and on a CPU handle (the
// check), is timed only when the two agree within the header's promise, and is
// checked again after the timing. One file per family (kernels_<family>.cpp);
// this header is what they share; bench_kernels.cpp is the driver.
#ifndef CUBIAS_BENCH_KERNELS_H
#define CUBIAS_BENCH_KERNELS_H

#include <cstdio>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "cubias.h"
#include "host_bench.h"

namespace bench {

using Step = std::function<bool()>;

// A timed pass: the median time, the floor (the time its bytes take at the floor's
// bandwidth: device copy on a GPU, the read loop on the CPU) and the floor over the
// time in percent; or why there is none.
struct Timed {
  double ms, floor_ms, pct;
  std::string error;  // empty on success
};

// Where the timed handle's buffers live and how its passes are timed.
class Mem {
 public:
  virtual ~Mem() = default;
  virtual void *alloc(size_t bytes) = 0;  // nullptr on failure; freed by the destructor
  virtual bool put(void *dst, const void *host, size_t bytes) = 0;
  virtual bool get(void *host, const void *src, size_t bytes) = 0;
  virtual bool copy(void *dst, const void *src, size_t bytes) = 0;  // ordered before later work
  // pass() over reps runs after a warm-up, prepare() untimed before each; `bytes` the
  // bytes one pass moves.
  virtual Timed time(int reps, double bytes, const Step &prepare, const Step &pass) = 0;
  virtual std::string floor_text() const = 0;
  virtual int release() = 0;  // frees every buffer now; the number of frees that failed
};

// Host memory and the clock; the floor is a read loop over floor_bytes.
std::unique_ptr<Mem> make_cpu_mem(size_t floor_bytes);
// Device memory and CUDA events; the floor is the device copy of copy_bytes. NULL and
// why when this build has no CUDA or no device answers.
std::unique_ptr<Mem> make_gpu_mem(size_t copy_bytes, size_t flush_bytes, std::string *why);

struct Ctx {
  cubias_handle_t h = nullptr;    // the timed handle
  cubias_handle_t ref = nullptr;  // the CPU handle of the check
  Mem *mem = nullptr;
  bool gpu = false;
  double target_bytes = 0;  // the size of each case's main input
  int reps = 5;
  bool plant = false;       // --plant: spoil the reference, the check must fail
  FILE *csv = nullptr;
  int failures = 0;

  // A backend buffer (nullptr on failure, reported).
  void *alloc(size_t bytes);
  // A backend copy of host data (nullptr on failure, reported).
  void *upload(const void *host, size_t bytes);
  // f32 rows views [N, C] of the backend copy and of the host data (false, reported, on failure).
  bool views(cubias_tensor_t *on_backend, const void *d, cubias_tensor_t *on_host, const void *h, int64_t N,
             int64_t C);
  template <class T>
  T *upload(const std::vector<T> &v) { return (T *)upload(v.data(), v.size() * sizeof(T)); }
  // The backend buffer's contents as a host vector of n T.
  template <class T>
  std::vector<T> download(const void *src, size_t n) {
    std::vector<T> v(n);
    if (!mem->get(v.data(), src, n * sizeof(T))) fail("download", "copy to the host failed");
    return v;
  }
  // The reference, spoiled when planting (its first element).
  template <class T>
  std::vector<T> want(std::vector<T> v) {
    if (plant && !v.empty()) plant_defect(v.data(), sizeof(T));
    return v;
  }
  // A call that must succeed; false (reported, counted) when it did not.
  bool ok(cubias_status_t st, cubias_handle_t on, const char *what);
  void fail(const char *what, const std::string &why);

  // One case: check, then time (only if the check held), then check again.
  void run(const char *family, const std::string &name, double bytes, const Step &prepare,
           const Step &pass, const std::function<Check()> &check);
};

// Statistics of a tensor given twice (the same values: a backend copy for the timed
// handle, the host copy for the reference), created and accumulated on each handle.
struct StatsPair {
  cubias_stats_t timed = nullptr, ref = nullptr;
  bool make(Ctx &c, const cubias_tensor_t &on_backend, const cubias_tensor_t &on_host,
            cubias_activation_t act);
  void release();
};

// Sizes: rows of `cols` entries of `elem` bytes filling the target (at least 1).
inline int64_t rows_for(double bytes, int64_t cols, size_t elem) {
  const int64_t r = (int64_t)(bytes / ((double)cols * (double)elem));
  return r < 1 ? 1 : r;
}

void family_derive(Ctx &c);
void family_revive(Ctx &c);
void family_prior(Ctx &c);
void family_mask(Ctx &c);
void family_gain(Ctx &c);

}  // namespace bench

#endif
