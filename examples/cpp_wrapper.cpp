// Using cubias from C++: a few lines of RAII around the C API (handles and
// statistics freed on every path, statuses turned into exceptions), then the
// per-channel statistics of an NHWC batch and the post-ReLU shift of the next
// layer. Runs on the default backend; host data is used on the CPU backend
// and copied to the device on CUDA.
#include <cmath>
#include <cstdio>
#include <memory>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "cubias.h"
#ifdef CUBIAS_HAVE_CUDA
#include <cuda_runtime.h>
#endif

namespace cb {

struct Error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

inline void check(cubias_status_t st, cubias_handle_t h = nullptr) {
  if (st != CUBIAS_STATUS_SUCCESS)
    throw Error(std::string(cubias_status_string(st)) + ": " + cubias_get_last_error(h));
}

using Handle = std::unique_ptr<cubias_handle_s, decltype(&cubias_destroy)>;
using Stats = std::unique_ptr<cubias_stats_s, decltype(&cubias_stats_destroy)>;

inline Handle make_handle(cubias_backend_t backend = CUBIAS_BACKEND_AUTO) {
  cubias_handle_t h = nullptr;
  check(cubias_create(&h, backend));
  return Handle(h, cubias_destroy);
}

inline Stats make_stats(const Handle &h, int64_t channels, cubias_activation_t act) {
  cubias_stats_t s = nullptr;
  check(cubias_stats_create(h.get(), channels, act, 0.0f, &s), h.get());
  return Stats(s, cubias_stats_destroy);
}

// Backend memory holding a copy of host data (the host vector itself on the CPU).
template <class T>
class Buffer {
 public:
  Buffer(const Handle &h, const std::vector<T> &host) : host_(host) {
    cubias_backend_t b;
    check(cubias_get_backend(h.get(), &b), h.get());
#ifdef CUBIAS_HAVE_CUDA
    if (b == CUBIAS_BACKEND_CUDA) {
      if (cudaMalloc(&dev_, sizeof(T) * host.size()) != cudaSuccess ||
          cudaMemcpy(dev_, host.data(), sizeof(T) * host.size(), cudaMemcpyHostToDevice) != cudaSuccess)
        throw Error("cannot copy to the device");
    }
#endif
    (void)b;
  }
  ~Buffer() {
#ifdef CUBIAS_HAVE_CUDA
    if (dev_) cudaFree(dev_);
#endif
  }
  Buffer(const Buffer &) = delete;
  Buffer &operator=(const Buffer &) = delete;
  T *get() { return dev_ ? static_cast<T *>(dev_) : host_.data(); }
  std::vector<T> read(const Handle &h) {
    check(cubias_synchronize(h.get()), h.get());
#ifdef CUBIAS_HAVE_CUDA
    if (dev_ && cudaMemcpy(host_.data(), dev_, sizeof(T) * host_.size(), cudaMemcpyDeviceToHost) != cudaSuccess)
      throw Error("cannot copy from the device");
#endif
    return host_;
  }

 private:
  std::vector<T> host_;
  void *dev_ = nullptr;
};

}  // namespace cb

int main() {
  try {
    const int64_t n = 16, hgt = 14, wid = 14, c = 32, next = 48;
    std::mt19937 gen(3);
    std::normal_distribution<float> nd(0.5f, 2.0f);
    std::vector<float> act(n * hgt * wid * c), w_next(next * c);
    for (float &v : act) v = nd(gen);
    for (float &v : w_next) v = nd(gen) * 0.1f;

    cb::Handle h = cb::make_handle();
    cubias_backend_t backend;
    cb::check(cubias_get_backend(h.get(), &backend), h.get());
    cb::Buffer<float> d_act(h, act), d_w(h, w_next), d_b(h, std::vector<float>(next, 0.0f));
    cb::Stats stats = cb::make_stats(h, c, CUBIAS_ACT_RELU);
    cubias_tensor_t view;
    cb::check(cubias_tensor_nhwc(&view, d_act.get(), CUBIAS_DTYPE_F32, n, hgt, wid, c));
    cb::check(cubias_stats_accumulate(h.get(), stats.get(), &view), h.get());

    std::vector<cubias_channel_stats_t> out(c);
    cb::check(cubias_stats_read(h.get(), stats.get(), out.data()), h.get());
    std::printf("NHWC batch [%lld, %lld, %lld, %lld] on the %s backend\n", (long long)n, (long long)hgt,
                (long long)wid, (long long)c, backend == CUBIAS_BACKEND_CUDA ? "CUDA" : "CPU");
    std::printf("channel 0: mean %.4f  std %.4f  E[relu] %.4f  active %.3f\n", out[0].mean,
                std::sqrt(out[0].var), out[0].phi_mean, out[0].active_fraction);

    // The next layer's bias cancels this layer's post-ReLU mean: b = -W E[relu(z)].
    cubias_weight_t w;
    cb::check(cubias_weight_make(&w, d_w.get(), CUBIAS_DTYPE_F32, next, c, CUBIAS_WEIGHT_ROW_MAJOR, 0));
    cb::check(cubias_postact_shift(h.get(), stats.get(), CUBIAS_POSTACT_MEASURED, &w, nullptr, d_b.get(),
                                   CUBIAS_DTYPE_F32, nullptr),
              h.get());
    const std::vector<float> b = d_b.read(h);
    std::printf("next layer's bias: b[0] = %.4f, b[1] = %.4f, ... (%lld values)\n", b[0], b[1], (long long)next);

    // A mistake is an exception with cubias's own explanation.
    try {
      cb::check(cubias_stats_create(h.get(), 0, CUBIAS_ACT_RELU, 0.0f, nullptr), h.get());
    } catch (const cb::Error &e) {
      std::printf("as expected: %s\n", e.what());
    }
  } catch (const std::exception &e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
  return 0;
}
