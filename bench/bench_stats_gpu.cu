// GPU benchmark of the fused statistics pass: checked against the CPU backend
// first, then timed with CUDA events (warm-up, L2 flushed, median of many runs)
// and compared with the device-to-device copy bandwidth measured in the same run
// and with a one-block-per-channel Welford kernel (the common design).
//
//   bench_stats_gpu [--quick] [--csv FILE]
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>
#include <curand.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <vector>

#include "cubias.h"

#define CK(x)                                                                         \
  do {                                                                                \
    cudaError_t e_ = (x);                                                             \
    if (e_ != cudaSuccess) {                                                          \
      fprintf(stderr, "%s:%d %s: %s\n", __FILE__, __LINE__, #x, cudaGetErrorString(e_)); \
      exit(1);                                                                        \
    }                                                                                 \
  } while (0)
#define CB(x)                                                                            \
  do {                                                                                   \
    cubias_status_t s_ = (x);                                                            \
    if (s_ != CUBIAS_STATUS_SUCCESS) {                                                   \
      fprintf(stderr, "%s: %s\n  %s\n", #x, cubias_status_string(s_), cubias_get_last_error(NULL)); \
      exit(1);                                                                           \
    }                                                                                    \
  } while (0)

static const size_t kFlushBytes = 256ull << 20;  // > L2 of every current GPU

struct Timer {
  cudaEvent_t a, b;
  Timer() { CK(cudaEventCreate(&a)); CK(cudaEventCreate(&b)); }
  ~Timer() { cudaEventDestroy(a); cudaEventDestroy(b); }
};

// Median milliseconds of fn(), the L2 flushed (untimed) before each run.
template <class Fn>
static double median_ms(int reps, void *flush, Fn &&fn) {
  Timer t;
  std::vector<float> ms;
  fn();  // warm-up
  for (int r = 0; r < reps; ++r) {
    CK(cudaMemsetAsync(flush, r & 0xff, kFlushBytes));
    CK(cudaEventRecord(t.a));
    fn();
    CK(cudaEventRecord(t.b));
    CK(cudaEventSynchronize(t.b));
    float m;
    CK(cudaEventElapsedTime(&m, t.a, t.b));
    ms.push_back(m);
  }
  std::sort(ms.begin(), ms.end());
  return ms[ms.size() / 2];
}

__global__ void to_dtype(const float *in, void *out, int dtype, size_t n) {
  for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < n; i += (size_t)gridDim.x * blockDim.x) {
    if (dtype == CUBIAS_DTYPE_F32) ((float *)out)[i] = in[i];
    else if (dtype == CUBIAS_DTYPE_F16) ((__half *)out)[i] = __float2half_rn(in[i]);
    else ((__nv_bfloat16 *)out)[i] = __float2bfloat16_rn(in[i]);
  }
}

template <class T>
__device__ float as_float(T v) { return (float)v; }

// The common design: one block per channel, Welford per thread, block merge.
template <class T>
__global__ void naive_welford(const T *x, long long outer, long long C, long long inner, double *mean,
                              double *var) {
  const long long c = blockIdx.x;
  double n = 0, m = 0, m2 = 0;
  for (long long e = threadIdx.x; e < outer * inner; e += blockDim.x) {
    long long o = e / inner, i = e - o * inner;
    double v = (double)as_float(x[(o * C + c) * inner + i]);
    n += 1;
    double d = v - m;
    m += d / n;
    m2 += d * (v - m);
  }
  __shared__ double sn[256], sm[256], sq[256];
  sn[threadIdx.x] = n, sm[threadIdx.x] = m, sq[threadIdx.x] = m2;
  __syncthreads();
  for (int s = blockDim.x / 2; s > 0; s >>= 1) {
    if (threadIdx.x < s) {
      double na = sn[threadIdx.x], nb = sn[threadIdx.x + s], tot = na + nb;
      if (tot > 0) {
        double d = sm[threadIdx.x + s] - sm[threadIdx.x];
        sm[threadIdx.x] += d * nb / tot;
        sq[threadIdx.x] += sq[threadIdx.x + s] + d * d * na * nb / tot;
        sn[threadIdx.x] = tot;
      }
    }
    __syncthreads();
  }
  if (threadIdx.x == 0) mean[c] = sm[0], var[c] = sq[0] / sn[0];
}

struct Shape {
  const char *layout;
  long long outer, C, inner;
};

int main(int argc, char **argv) {
  bool quick = false;
  const char *csv_path = nullptr;
  for (int i = 1; i < argc; ++i) {
    if (!strcmp(argv[i], "--quick")) quick = true;
    else if (!strcmp(argv[i], "--csv") && i + 1 < argc) csv_path = argv[++i];
  }
  int dev = 0;
  cudaDeviceProp prop;
  if (cudaGetDevice(&dev) != cudaSuccess || cudaGetDeviceProperties(&prop, dev) != cudaSuccess) {
    printf("bench_stats_gpu: no CUDA device, nothing measured\n");
    return 0;
  }
  size_t free_b = 0, total_b = 0;
  CK(cudaMemGetInfo(&free_b, &total_b));
  const int reps = quick ? 5 : 15;
  std::vector<size_t> sizes = {16ull << 20, 256ull << 20, 1ull << 30};
  if (!quick && free_b > (24ull << 30)) sizes.push_back(4ull << 30);
  const size_t max_bytes = sizes.back();

  void *flush, *buf, *copy_dst;
  float *src32;
  CK(cudaMalloc(&flush, kFlushBytes));
  CK(cudaMalloc(&buf, max_bytes));
  CK(cudaMalloc(&copy_dst, max_bytes));
  CK(cudaMalloc(&src32, 2 * max_bytes + 16));  // f32 source for the most (16-bit) elements
  curandGenerator_t gen;
  curandCreateGenerator(&gen, CURAND_RNG_PSEUDO_PHILOX4_32_10);
  curandSetPseudoRandomGeneratorSeed(gen, 7);

  // Copy bandwidth: bytes read + written per second, the floor every pass is held to.
  double copy_ms = median_ms(reps, flush, [&] { CK(cudaMemcpyAsync(copy_dst, buf, max_bytes, cudaMemcpyDeviceToDevice)); });
  const double copy_gbs = 2.0 * max_bytes / (copy_ms * 1e-3) / 1e9;
  printf("GPU %s (sm_%d%d), %.1f GiB; device-to-device copy of %.2f GB: %.1f GB/s (read+write)\n\n",
         prop.name, prop.major, prop.minor, total_b / 1073741824.0, max_bytes / 1e9, copy_gbs);
  printf("%-6s %-5s %10s %9s %9s %8s %12s %10s %s\n", "layout", "dtype", "bytes", "ms", "GB/s",
         "% copy", "naive ms", "vs naive", "check");
  FILE *csv = csv_path ? fopen(csv_path, "w") : nullptr;
  if (csv) fprintf(csv, "layout,dtype,bytes,ms,gbps,pct_copy,naive_ms,check_max_rel_err\n");

  cubias_handle_t gpu, cpu;
  CB(cubias_create(&gpu, CUBIAS_BACKEND_CUDA));
  CB(cubias_create(&cpu, CUBIAS_BACKEND_CPU));
  const char *dtname[] = {"f32", "f16", "bf16"};
  for (size_t bytes : sizes) {
    for (int dt = 0; dt < 3; ++dt) {
      const size_t esz = dt == 0 ? 4 : 2;
      const long long n = (long long)(bytes / esz);
      CK(cudaDeviceSynchronize());
      curandGenerateNormal(gen, src32, (size_t)n + (n & 1), 0.5f, 1.0f);
      to_dtype<<<4096, 256>>>(src32, buf, dt, (size_t)n);
      CK(cudaGetLastError());
      const Shape shapes[] = {{"rows", n / 1024, 1024, 1}, {"nchw", n / (64 * 3136), 64, 3136},
                              {"nhwc", n / 256, 256, 1}};
      for (const Shape &s : shapes) {
        cubias_tensor_t v;
        CB(cubias_tensor_make(&v, buf, (cubias_dtype_t)dt, s.outer, s.C, s.inner));
        const double used = (double)s.outer * s.C * s.inner * esz;
        cubias_stats_t st;
        CB(cubias_stats_create(gpu, s.C, CUBIAS_ACT_RELU, 0.0f, &st));
        // Check first: the GPU result against the CPU backend on the same values.
        double max_rel = 0.0;
        if (bytes == sizes.front()) {
          std::vector<char> host((size_t)used);
          CK(cudaMemcpy(host.data(), buf, host.size(), cudaMemcpyDeviceToHost));
          cubias_stats_t cs;
          cubias_tensor_t hv = v;
          hv.data = host.data();
          CB(cubias_stats_create(cpu, s.C, CUBIAS_ACT_RELU, 0.0f, &cs));
          CB(cubias_stats_accumulate(cpu, cs, &hv));
          CB(cubias_stats_accumulate(gpu, st, &v));
          std::vector<cubias_channel_stats_t> a(s.C), b(s.C);
          CB(cubias_stats_read(gpu, st, a.data()));
          CB(cubias_stats_read(cpu, cs, b.data()));
          for (long long c = 0; c < s.C; ++c) {
            max_rel = std::max(max_rel, std::fabs(a[c].mean - b[c].mean) / (std::fabs(b[c].mean) + std::sqrt(b[c].var)));
            max_rel = std::max(max_rel, std::fabs(a[c].var - b[c].var) / b[c].var);
            if (a[c].count != b[c].count || a[c].positive != b[c].positive || a[c].max != b[c].max)
              max_rel = INFINITY;
          }
          CB(cubias_stats_destroy(cs));
        }
        CB(cubias_reserve_workspace(gpu, &v));
        double ms = median_ms(reps, flush, [&] {
          cubias_stats_reset(gpu, st);
          cubias_stats_accumulate(gpu, st, &v);
        });
        double *d_mv;
        CK(cudaMalloc(&d_mv, 2 * sizeof(double) * s.C));
        double naive = median_ms(quick ? 3 : 5, flush, [&] {
          if (dt == 0) naive_welford<<<(unsigned)s.C, 256>>>((const float *)buf, s.outer, s.C, s.inner, d_mv, d_mv + s.C);
          else if (dt == 1) naive_welford<<<(unsigned)s.C, 256>>>((const __half *)buf, s.outer, s.C, s.inner, d_mv, d_mv + s.C);
          else naive_welford<<<(unsigned)s.C, 256>>>((const __nv_bfloat16 *)buf, s.outer, s.C, s.inner, d_mv, d_mv + s.C);
        });
        CK(cudaFree(d_mv));
        CB(cubias_stats_destroy(st));
        const double gbs = used / (ms * 1e-3) / 1e9;
        char check[32];
        if (bytes == sizes.front()) snprintf(check, sizeof check, "max rel err %.1e", max_rel);
        else snprintf(check, sizeof check, "-");
        printf("%-6s %-5s %10.3g %9.3f %9.1f %7.1f%% %12.3f %9.1fx %s\n", s.layout, dtname[dt], used, ms,
               gbs, 100.0 * gbs / copy_gbs, naive, naive / ms, check);
        if (csv) fprintf(csv, "%s,%s,%.0f,%.4f,%.2f,%.2f,%.4f,%.3g\n", s.layout, dtname[dt], used, ms, gbs,
                         100.0 * gbs / copy_gbs, naive, bytes == sizes.front() ? max_rel : NAN);
      }
    }
  }
  printf("\nGB/s counts bytes read (the pass writes a few KB); %% copy is against the copy's read+write GB/s.\n");
  if (csv) fclose(csv);
  cubias_destroy(gpu);
  cubias_destroy(cpu);
  curandDestroyGenerator(gen);
  cudaFree(flush), cudaFree(buf), cudaFree(copy_dst), cudaFree(src32);
  return 0;
}
