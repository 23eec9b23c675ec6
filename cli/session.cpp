// The CLI's backend session and file streaming.
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "cli.h"
#ifdef CUBIAS_HAVE_CUDA
#include <cuda_runtime.h>
#endif

namespace cli {

Session::~Session() {
  for (void *p : owned_) {
#ifdef CUBIAS_HAVE_CUDA
    if (cuda()) {
      cudaFree(p);
      continue;
    }
#endif
    free(p);
  }
  if (h_) cubias_destroy(h_);
}

bool Session::open(const Args &a, std::string *err) {
  const std::string b = a.get("backend", "auto");
  cubias_backend_t want = b == "cpu" ? CUBIAS_BACKEND_CPU : b == "cuda" ? CUBIAS_BACKEND_CUDA
                                                                         : CUBIAS_BACKEND_AUTO;
  if (b != "auto" && b != "cpu" && b != "cuda") {
    *err = "--backend must be auto, cpu or cuda (got '" + b + "')";
    return false;
  }
  cubias_status_t st = cubias_create(&h_, want);
  if (st) {
    *err = std::string("cannot create a handle: ") + cubias_status_string(st) + "\n  " +
           cubias_get_last_error(nullptr);
    return false;
  }
  cubias_get_backend(h_, &backend_);
  return true;
}

bool Session::alloc(size_t bytes, void **out, std::string *err) {
  (void)bytes;
#ifdef CUBIAS_HAVE_CUDA
  if (cuda()) {
    if (cudaMalloc(out, bytes ? bytes : 1) != cudaSuccess) {
      *err = "cudaMalloc of " + std::to_string(bytes) + " bytes failed";
      return false;
    }
    owned_.push_back(*out);
    return true;
  }
#endif
  *out = malloc(bytes ? bytes : 1);
  if (!*out) {
    *err = "out of memory";
    return false;
  }
  owned_.push_back(*out);
  return true;
}

bool Session::to_backend(const void *host, size_t bytes, const void **out, std::string *err) {
  (void)bytes;  // only the CUDA path copies
  if (!cuda()) {
    *out = host;
    return true;
  }
#ifdef CUBIAS_HAVE_CUDA
  void *d = nullptr;
  if (!alloc(bytes, &d, err)) return false;
  if (cudaMemcpy(d, host, bytes, cudaMemcpyHostToDevice) != cudaSuccess) {
    *err = "copy to the device failed";
    return false;
  }
  *out = d;
  return true;
#else
  *err = "no CUDA in this build";
  return false;
#endif
}

bool Session::to_host(const void *backend, size_t bytes, void *host, std::string *err) {
  if (!cuda()) {
    memcpy(host, backend, bytes);
    return true;
  }
#ifdef CUBIAS_HAVE_CUDA
  if (cudaMemcpy(host, backend, bytes, cudaMemcpyDeviceToHost) != cudaSuccess) {
    *err = "copy from the device failed";
    return false;
  }
  return true;
#else
  *err = "no CUDA in this build";
  return false;
#endif
}

static int64_t product(const std::vector<int64_t> &s, size_t from, size_t to) {
  int64_t p = 1;
  for (size_t i = from; i < to; ++i) p *= s[i];
  return p;
}

bool view_of(const std::string &layout, const std::vector<int64_t> &shape, int64_t *outer,
             int64_t *channels, int64_t *inner, std::string *err) {
  const size_t r = shape.size();
  std::string dims;
  for (size_t i = 0; i < r; ++i) dims += (i ? ", " : "") + std::to_string(shape[i]);
  if (product(shape, 0, r) == 0) {
    *err = "the array [" + dims + "] is empty";
    return false;
  }
  if (layout == "rows") {  // a scalar (shape ()) is one value of one channel
    *channels = r <= 1 ? 1 : shape[r - 1];
    *outer = r == 0 ? 1 : r == 1 ? shape[0] : product(shape, 0, r - 1);
    *inner = 1;
  } else if (layout == "nhwc" || layout == "tnc") {
    if ((layout == "tnc" && r != 3) || r < 2) {
      *err = "layout " + layout + " needs " + (layout == "tnc" ? "3 dimensions [T, N, C]" : "at least 2 dimensions [N, ..., C]") +
             ", the array has shape [" + dims + "]";
      return false;
    }
    *channels = shape[r - 1];
    *outer = product(shape, 0, r - 1);
    *inner = 1;
  } else if (layout == "nchw") {
    if (r < 2) {
      *err = "layout nchw needs at least 2 dimensions [N, C, ...], the array has shape [" + dims + "]";
      return false;
    }
    *outer = shape[0];
    *channels = shape[1];
    *inner = product(shape, 2, r);
  } else {
    *err = "--layout must be rows, nchw, nhwc or tnc (got '" + layout + "')";
    return false;
  }
  return true;
}

bool parse_activation(const std::string &n, cubias_activation_t *act) {
  static const struct {
    const char *name;
    cubias_activation_t act;
  } known[] = {{"identity", CUBIAS_ACT_IDENTITY}, {"relu", CUBIAS_ACT_RELU},
               {"leaky_relu", CUBIAS_ACT_LEAKY_RELU}, {"tanh", CUBIAS_ACT_TANH},
               {"sigmoid", CUBIAS_ACT_SIGMOID}, {"gelu", CUBIAS_ACT_GELU}, {"silu", CUBIAS_ACT_SILU}};
  for (const auto &k : known)
    if (n == k.name) {
      *act = k.act;
      return true;
    }
  return false;
}

bool accumulate_file(Session &s, const std::string &path, const std::string &layout,
                     cubias_activation_t act, float slope, cubias_stats_t *stats,
                     npy::Header *hdr, std::string *err) {
  FILE *f = npy::open(path, hdr, err);
  if (!f) return false;
  struct Closer {
    FILE *f;
    ~Closer() { fclose(f); }
  } closer{f};
  if (hdr->kind != npy::Kind::F32 && hdr->kind != npy::Kind::F16) {
    *err = path + ": activations must be float32 or float16, the file holds " +
           npy::kind_name(hdr->kind);
    return false;
  }
  int64_t outer, C, inner;
  if (!view_of(layout, hdr->shape, &outer, &C, &inner, err)) {
    *err = path + ": " + *err;
    return false;
  }
  cubias_status_t st = cubias_stats_create(s.handle(), C, act, slope, stats);
  if (st) {
    *err = cubias_get_last_error(s.handle());  // begins with the call's name
    return false;
  }
  // Constant memory: about 64 MB of the file at a time (at least one outer slice).
  const size_t slice = (size_t)(C * inner) * hdr->item;
  const int64_t per_chunk = std::max<int64_t>(1, (int64_t)((64u << 20) / slice));
  std::vector<char> host((size_t)std::min(per_chunk, outer) * slice);
  void *dev = nullptr;
  if (s.cuda() && !s.alloc(host.size(), &dev, err)) return false;
  const bool progress = isatty(2) && (double)outer * slice > 128e6;
  const cubias_dtype_t dt = hdr->kind == npy::Kind::F32 ? CUBIAS_DTYPE_F32 : CUBIAS_DTYPE_F16;
  for (int64_t o = 0; o < outer; o += per_chunk) {
    const int64_t n = std::min(per_chunk, outer - o);
    if (!npy::read(f, *hdr, host.data(), n * C * inner, err)) {
      *err = path + ": " + *err;
      return false;
    }
    const void *data = host.data();
    if (s.cuda()) {
#ifdef CUBIAS_HAVE_CUDA
      if (cudaMemcpy(dev, host.data(), (size_t)n * slice, cudaMemcpyHostToDevice) != cudaSuccess) {
        *err = "copy to the device failed";
        return false;
      }
#endif
      data = dev;
    }
    cubias_tensor_t v;
    st = cubias_tensor_make(&v, data, dt, n, C, inner);
    if (!st) st = cubias_stats_accumulate(s.handle(), *stats, &v);
    if (st) {
      *err = cubias_get_last_error(s.handle());  // begins with the call's name
      return false;
    }
    if (progress) fprintf(stderr, "\r%s: %3.0f%%", path.c_str(), 100.0 * (o + n) / outer);
  }
  if (progress) fprintf(stderr, "\n");
  return true;
}

std::string shape_str(const std::vector<int64_t> &shape) {
  std::string d = "[";
  for (size_t i = 0; i < shape.size(); ++i) d += (i ? ", " : "") + std::to_string(shape[i]);
  return d + "]";
}

bool parse_out_dtype(const Args &a, cubias_dtype_t *dt, npy::Kind *kind, std::string *err) {
  const std::string d = a.get("dtype", "f32");
  if (d == "f32" || d == "float32") {
    *dt = CUBIAS_DTYPE_F32;
    *kind = npy::Kind::F32;
  } else if (d == "f16" || d == "float16") {
    *dt = CUBIAS_DTYPE_F16;
    *kind = npy::Kind::F16;
  } else {
    *err = "--dtype must be f32 or f16 (got '" + d + "')";
    return false;
  }
  return true;
}

bool out_path(const Args &a, std::string *path, std::string *err) {
  *path = a.get("out", "");
  if (*path == "" || *path == "true") {
    *err = "--out FILE.npy is required (where to write the result)";
    return false;
  }
  return true;
}

bool load_weights(Session &s, const std::string &path, bool flatten, std::vector<char> *host,
                  npy::Header *h, cubias_weight_t *w, std::string *err) {
  if (path == "true") {
    *err = "--weights needs a .npy file";
    return false;
  }
  if (!npy::read_all(path, h, host, err)) return false;
  if (h->kind != npy::Kind::F32 && h->kind != npy::Kind::F16) {
    *err = path + ": weights must be float32 or float16, the file holds " + npy::kind_name(h->kind);
    return false;
  }
  if (flatten ? h->shape.size() < 2 : h->shape.size() != 2) {
    *err = path + ": weights must have shape [out, in]" +
           (flatten ? std::string(" (or [out, in, kh, ...])") : std::string("")) +
           " (nn.Linear.weight), the file has " + shape_str(h->shape);
    return false;
  }
  const int64_t out = h->shape[0];
  const int64_t in = h->count / (out ? out : 1);
  if (h->count == 0) {
    *err = path + ": the weight array " + shape_str(h->shape) + " is empty";
    return false;
  }
  const void *d = nullptr;
  if (!s.to_backend(host->data(), host->size(), &d, err)) return false;
  const cubias_dtype_t dt = h->kind == npy::Kind::F32 ? CUBIAS_DTYPE_F32 : CUBIAS_DTYPE_F16;
  if (cubias_weight_make(w, d, dt, out, in, CUBIAS_WEIGHT_ROW_MAJOR, 0) != CUBIAS_STATUS_SUCCESS) {
    *err = path + ": " + cubias_get_last_error(nullptr);
    return false;
  }
  return true;
}

bool fetch_and_write(Session &s, const void *d, const std::vector<int64_t> &shape,
                     cubias_dtype_t dt, npy::Kind kind, const std::string &path, std::string *err) {
  size_t n = 1;
  for (int64_t v : shape) n *= (size_t)v;
  const size_t bytes = n * dtype_bytes(dt);
  std::vector<char> host(bytes ? bytes : 1);
  cubias_status_t st = cubias_synchronize(s.handle());
  if (st) {
    *err = cubias_get_last_error(s.handle());  // begins with the call's name
    return false;
  }
  if (!s.to_host(d, bytes, host.data(), err)) return false;
  return npy::write(path, shape, host.data(), kind, err);
}

}  // namespace cli
