// GPU benchmark of the fused statistics pass: checked against the CPU backend
// first, then timed with CUDA events (warm-up, L2 flushed, median of many runs)
// and compared with the device-to-device copy bandwidth measured in the same run
// and with a one-block-per-channel Welford kernel (the common design).
//
//   bench_stats_gpu [--quick] [--csv FILE]
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>
#include <cublas_v2.h>
#ifdef CUBIAS_BENCH_CUDNN
#include <cudnn.h>
#endif
#include <curand.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <vector>

#include "cubias.h"
#include "../kernels/cuda/stats_launch.h"
#include "timed_pass.h"

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

// Errors of releases (cudaFree, cublasDestroy, ...): reported, and the exit status says so.
static bench::ReleaseLog released;

static const size_t kFlushBytes = 256ull << 20;  // > L2 of every current GPU

// Median milliseconds of fn() (copy, peers: no status to check), the L2 flushed
// (untimed) before each run; a failing CUDA call of the timing ends the benchmark.
template <class Fn>
static double median_ms(int reps, void *flush, Fn &&fn) {
  const bench::Timing t = bench::time_pass(reps, flush, kFlushBytes, [&] { fn(); return true; });
  if (t.error) fprintf(stderr, "bench_stats_gpu: timing failed: %s\n", t.error), exit(1);
  return t.ms;
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

// Second pass of the cuBLAS peer: per-channel sum of squared deviations over
// the rows of a row-major [rows, C] float array (coalesced: a thread per channel).
__global__ void var_pass(const float *x, long long rows, long long C, const float *mean, float *var) {
  const long long c = blockIdx.x * (long long)blockDim.x + threadIdx.x;
  if (c >= C) return;
  double q = 0, m = mean[c];
  for (long long r = 0; r < rows; ++r) {
    double d = x[r * C + c] - m;
    q += d * d;
  }
  var[c] = (float)(q / rows);
}

// The cuBLAS peer (f32, channels-last layouts): mean = X^T 1 / N by gemv, then a
// second pass for the variance.
struct CublasPeer {
  cublasHandle_t h = nullptr;
  float *ones = nullptr, *mean = nullptr, *var = nullptr;
  bool init(long long max_rows, long long max_c) {
    if (cublasCreate(&h) != CUBLAS_STATUS_SUCCESS) return false;
    CK(cudaMalloc(&ones, max_rows * sizeof(float)));
    CK(cudaMalloc(&mean, max_c * sizeof(float)));
    CK(cudaMalloc(&var, max_c * sizeof(float)));
    std::vector<float> h1(max_rows, 1.0f);
    CK(cudaMemcpy(ones, h1.data(), max_rows * sizeof(float), cudaMemcpyHostToDevice));
    return true;
  }
  void run(const float *x, long long rows, long long C) {
    const float alpha = 1.0f / rows, beta = 0.0f;
    // Row-major [rows, C] is column-major [C, rows] with ld = C.
    cublasSgemv(h, CUBLAS_OP_N, (int)C, (int)rows, &alpha, x, (int)C, ones, 1, &beta, mean, 1);
    var_pass<<<(unsigned)((C + 255) / 256), 256>>>(x, rows, C, mean, var);
  }
  void release() {
    if (h) {
      const cublasStatus_t st = cublasDestroy(h);
      released(st == CUBLAS_STATUS_SUCCESS, "cublasDestroy", cublasGetStatusString(st));
    }
    released(cudaFree(ones), "cudaFree"), released(cudaFree(mean), "cudaFree"), released(cudaFree(var), "cudaFree");
    h = nullptr, ones = mean = var = nullptr;
  }
};

#ifdef CUBIAS_BENCH_CUDNN
// The cuDNN peer: batch-norm forward training in spatial mode computes the
// per-channel mean and inverse std (and writes y, which it cannot skip).
struct CudnnPeer {
  cudnnHandle_t h = nullptr;
  cudnnTensorDescriptor_t x = nullptr, p = nullptr;
  float *params = nullptr;  // scale, bias, running mean, running var, save mean, save inv std
  bool init(long long max_c) {
    if (cudnnCreate(&h) != CUDNN_STATUS_SUCCESS) return false;
    cudnnCreateTensorDescriptor(&x);
    cudnnCreateTensorDescriptor(&p);
    CK(cudaMalloc(&params, 6 * max_c * sizeof(float)));
    std::vector<float> one(6 * max_c, 1.0f);
    CK(cudaMemcpy(params, one.data(), one.size() * sizeof(float), cudaMemcpyHostToDevice));
    return true;
  }
  // NCHW (n, c, hw) or NHWC (n*hw rows of c): false where cuDNN refuses the shape.
  bool run(const void *in, void *out, int dtype, bool nhwc, long long n, long long c, long long hw) {
    const cudnnDataType_t dt = dtype == 0 ? CUDNN_DATA_FLOAT : dtype == 1 ? CUDNN_DATA_HALF : CUDNN_DATA_BFLOAT16;
    if (n > INT32_MAX || c > INT32_MAX || hw > INT32_MAX) return false;
    if (cudnnSetTensor4dDescriptor(x, nhwc ? CUDNN_TENSOR_NHWC : CUDNN_TENSOR_NCHW, dt, (int)n, (int)c, (int)hw, 1) !=
            CUDNN_STATUS_SUCCESS ||
        cudnnDeriveBNTensorDescriptor(p, x, CUDNN_BATCHNORM_SPATIAL) != CUDNN_STATUS_SUCCESS)
      return false;
    const float one = 1.0f, zero = 0.0f;
    float *q = params;
    return cudnnBatchNormalizationForwardTraining(h, CUDNN_BATCHNORM_SPATIAL, &one, &zero, x, in, x, out, p, q,
                                                  q + c, 1.0, q + 2 * c, q + 3 * c, 1e-5, q + 4 * c,
                                                  q + 5 * c) == CUDNN_STATUS_SUCCESS;
  }
  void release() {
    if (x) released(cudnnDestroyTensorDescriptor(x) == CUDNN_STATUS_SUCCESS, "cudnnDestroyTensorDescriptor", "");
    if (p) released(cudnnDestroyTensorDescriptor(p) == CUDNN_STATUS_SUCCESS, "cudnnDestroyTensorDescriptor", "");
    if (h) released(cudnnDestroy(h) == CUDNN_STATUS_SUCCESS, "cudnnDestroy", "");
    released(cudaFree(params), "cudaFree");
    x = p = nullptr, h = nullptr, params = nullptr;
  }
};
#else
struct CudnnPeer {  // built without cuDNN: the column reads nan
  bool init(long long) { return false; }
  bool run(const void *, void *, int, bool, long long, long long, long long) { return false; }
  void release() {}
};
#endif

struct Shape {
  const char *layout;
  long long outer, C, inner;
};

// The launch of each shape of the matrix (kernels/cuda/stats_launch.h): the share of
// launched threads that read data and the bytes each block reads. Needs no GPU.
static void print_utilisation(const std::vector<size_t> &sizes) {
  printf("launch shapes (ReLU; smooth activations in brackets): threads that read data, bytes per block\n");
  printf("%-6s %-5s %10s %22s %18s %14s\n", "layout", "dtype", "bytes", "grid x block", "busy", "B/block");
  const char *dtname[] = {"f32", "f16", "bf16"};
  for (size_t bytes : sizes)
    for (int dt = 0; dt < 3; ++dt) {
      const long long n = (long long)(bytes / (dt == 0 ? 4 : 2));
      const Shape shapes[] = {{"rows", n / 1024, 1024, 1}, {"nchw", n / (64 * 3136), 64, 3136},
                              {"nhwc", n / 256, 256, 1}};
      for (const Shape &s : shapes) {
        const cubias_plan_t plan = cubias_make_plan(s.outer, s.C, s.inner);
        const cubias_stats_launch_t a = cubias_stats_launch_shape(s.outer, s.C, s.inner, plan, CUBIAS_CLASS_LEAKY);
        const cubias_stats_launch_t b = cubias_stats_launch_shape(s.outer, s.C, s.inner, plan, CUBIAS_CLASS_SMOOTH);
        char shape[64];
        snprintf(shape, sizeof shape, "%lldx%lld x %dx%d", (long long)a.grid_x, (long long)a.grid_y, a.block_x,
                 a.block_y);
        printf("%-6s %-5s %10.3g %22s %8.1f%% [%5.1f%%] %14.3g\n", s.layout, dtname[dt], (double)bytes, shape,
               100.0 * a.busy / a.threads, 100.0 * b.busy / b.threads, (double)bytes / (a.grid_x * a.grid_y));
      }
    }
  printf("\n");
}

int main(int argc, char **argv) {
  bool quick = false;
  const char *csv_path = nullptr;
  for (int i = 1; i < argc; ++i) {
    if (!strcmp(argv[i], "--quick")) quick = true;
    else if (!strcmp(argv[i], "--csv") && i + 1 < argc) csv_path = argv[++i];
  }
  {
    std::vector<size_t> all = {16ull << 20, 256ull << 20, 1ull << 30};
    if (!quick) all.push_back(4ull << 30);
    print_utilisation(all);
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
  if (curandCreateGenerator(&gen, CURAND_RNG_PSEUDO_PHILOX4_32_10) != CURAND_STATUS_SUCCESS ||
      curandSetPseudoRandomGeneratorSeed(gen, 7) != CURAND_STATUS_SUCCESS) {
    fprintf(stderr, "bench_stats_gpu: cuRAND generator setup failed\n");
    return 1;
  }

  // Copy bandwidth: bytes read + written per second, the floor every pass is held to.
  const char *copy_error = nullptr;
  const double copy_gbs = bench::copy_gbs(reps, flush, kFlushBytes, copy_dst, buf, max_bytes, &copy_error);
  if (copy_error) fprintf(stderr, "bench_stats_gpu: timing the copy failed: %s\n", copy_error), exit(1);
  printf("GPU %s (sm_%d%d), %.1f GiB; device-to-device copy of %.2f GB: %.1f GB/s (read+write)\n\n",
         prop.name, prop.major, prop.minor, total_b / 1073741824.0, max_bytes / 1e9, copy_gbs);
  printf("%-6s %-5s %10s %9s %9s %8s %10s %9s %9s %9s %s\n", "layout", "dtype", "bytes", "ms", "GB/s",
         "% copy", "naive", "cuBLAS", "cuDNN BN", "(ratios: peer ms / ours)", "check");
  FILE *csv = csv_path ? fopen(csv_path, "w") : nullptr;
  if (csv) fprintf(csv, "layout,dtype,bytes,ms,gbps,pct_copy,naive_ms,cublas_ms,cudnn_ms,check_max_rel_err\n");
  CublasPeer blas;
  CudnnPeer dnn;
  const bool have_blas = blas.init((long long)(max_bytes / 4 / 256) + 1, 4096);
  const bool have_dnn = dnn.init(4096);

  cubias_handle_t gpu, cpu;
  CB(cubias_create(&gpu, CUBIAS_BACKEND_CUDA));
  CB(cubias_create(&cpu, CUBIAS_BACKEND_CPU));
  const char *dtname[] = {"f32", "f16", "bf16"};
  int failed_passes = 0;
  for (size_t bytes : sizes) {
    for (int dt = 0; dt < 3; ++dt) {
      const size_t esz = dt == 0 ? 4 : 2;
      const long long n = (long long)(bytes / esz);
      CK(cudaDeviceSynchronize());
      if (curandGenerateNormal(gen, src32, (size_t)n + (n & 1), 0.5f, 1.0f) != CURAND_STATUS_SUCCESS) {
        fprintf(stderr, "bench_stats_gpu: curandGenerateNormal failed\n");
        return 1;
      }
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
        // A pass that fails is reported as failed, never timed as a bandwidth (ms is NAN).
        const bench::Timing pass =
            bench::time_pass(reps, flush, kFlushBytes, [&] { return bench::stats_pass(gpu, st, &v); });
        const double ms = pass.ms;
        if (pass.error) {
          printf("%-6s %-5s the statistics pass FAILED: %s; %s\n", s.layout, dtname[dt], pass.error,
                 cubias_get_last_error(gpu));
          ++failed_passes;
        }
        double *d_mv;
        CK(cudaMalloc(&d_mv, 2 * sizeof(double) * s.C));
        double naive = median_ms(quick ? 3 : 5, flush, [&] {
          if (dt == 0) naive_welford<<<(unsigned)s.C, 256>>>((const float *)buf, s.outer, s.C, s.inner, d_mv, d_mv + s.C);
          else if (dt == 1) naive_welford<<<(unsigned)s.C, 256>>>((const __half *)buf, s.outer, s.C, s.inner, d_mv, d_mv + s.C);
          else naive_welford<<<(unsigned)s.C, 256>>>((const __nv_bfloat16 *)buf, s.outer, s.C, s.inner, d_mv, d_mv + s.C);
        });
        released(cudaFree(d_mv), "cudaFree");
        CB(cubias_stats_destroy(st));
        // Peers where they apply: cuBLAS on f32 channels-last data, cuDNN BN on
        // NCHW / NHWC (rows [N, C] is NCHW with H = W = 1).
        double blas_ms = NAN, dnn_ms = NAN;
        const bool channels_last = s.inner == 1;
        if (have_blas && dt == 0 && channels_last)
          blas_ms = median_ms(quick ? 3 : 5, flush, [&] { blas.run((const float *)buf, s.outer, s.C); });
        if (have_dnn) {
          const bool nhwc = !strcmp(s.layout, "nhwc");
          const long long n = nhwc ? s.outer : s.outer, hw = nhwc ? 1 : s.inner;
          if (dnn.run(buf, copy_dst, dt, nhwc, n, s.C, hw))
            dnn_ms = median_ms(quick ? 3 : 5, flush, [&] { dnn.run(buf, copy_dst, dt, nhwc, n, s.C, hw); });
        }
        const double gbs = used / (ms * 1e-3) / 1e9;
        char check[32];
        if (bytes == sizes.front()) snprintf(check, sizeof check, "max rel err %.1e", max_rel);
        else snprintf(check, sizeof check, "-");
        printf("%-6s %-5s %10.3g %9.3f %9.1f %7.1f%% %9.1fx %8.1fx %8.1fx %9s %s\n", s.layout, dtname[dt], used, ms,
               gbs, 100.0 * gbs / copy_gbs, naive / ms, blas_ms / ms, dnn_ms / ms, "", check);
        if (csv) fprintf(csv, "%s,%s,%.0f,%.4f,%.2f,%.2f,%.4f,%.4f,%.4f,%.3g\n", s.layout, dtname[dt], used, ms, gbs,
                         100.0 * gbs / copy_gbs, naive, blas_ms, dnn_ms, bytes == sizes.front() ? max_rel : NAN);
      }
    }
  }
  printf("\nGB/s counts bytes read (the pass writes a few KB); %% copy is against the copy's read+write GB/s.\n"
         "Peer columns: the peer's median time over ours (> 1: cubias is faster); nan: the peer does not apply.\n"
         "cuDNN BN also writes y (it cannot skip it); the cuBLAS peer computes mean and variance only.\n");
  if (csv) fclose(csv);
  blas.release();
  dnn.release();
  released(cubias_destroy(gpu) == CUBIAS_STATUS_SUCCESS, "cubias_destroy", cubias_get_last_error(NULL));
  released(cubias_destroy(cpu) == CUBIAS_STATUS_SUCCESS, "cubias_destroy", cubias_get_last_error(NULL));
  released(curandDestroyGenerator(gen) == CURAND_STATUS_SUCCESS, "curandDestroyGenerator", "");
  released(cudaFree(flush), "cudaFree"), released(cudaFree(buf), "cudaFree");
  released(cudaFree(copy_dst), "cudaFree"), released(cudaFree(src32), "cudaFree");
  if (failed_passes) printf("%d statistics passes FAILED\n", failed_passes);
  return failed_passes || released.errors ? 1 : 0;
}
