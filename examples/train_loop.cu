// A CUDA training-loop excerpt: a 2-layer classifier whose forward pass runs
// with cuBLAS on device data, and cubias called after the first batches to
// measure them and set every bias on the device — no host round trip of the
// activations. (The backward pass and optimiser are the caller's; elided.)
//
//   x [B, 256] (uncentred) -> z1 = W1 x + b1 -> ReLU -> z2 = W2 a1 + b2 [B, 10]
//
// After WARMUP batches: b1 = -W1 mu_x (centering), b2 = ln pi_k from the labels
// (class prior, mean-zero), and the gain check of layer 1. Without a GPU it
// says so and exits 0.
#include <cublas_v2.h>
#include <cuda_runtime.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "cubias.h"

#define CK(x)                                                                  \
  do {                                                                         \
    if ((x) != cudaSuccess) {                                                  \
      fprintf(stderr, "%s failed: %s\n", #x, cudaGetErrorString(cudaGetLastError())); \
      return 1;                                                                \
    }                                                                          \
  } while (0)
#define CB(h, x)                                                                                  \
  do {                                                                                            \
    cubias_status_t s_ = (x);                                                                     \
    if (s_) {                                                                                     \
      fprintf(stderr, "%s: %s\n  %s\n", #x, cubias_status_string(s_), cubias_get_last_error(h)); \
      return 1;                                                                                   \
    }                                                                                             \
  } while (0)

constexpr int B = 1024, D0 = 256, D1 = 512, K = 10, WARMUP = 4;

// Column-major views for cuBLAS: a row-major [B, D] batch is column-major [D, B].
__global__ void bias_act(float *z, const float *b, float *a, int rows, int cols) {
  const long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x;
  if (i >= (long long)rows * cols) return;
  const float v = z[i] + b[i % cols];
  z[i] = v;
  if (a) a[i] = v > 0.0f ? v : 0.0f;
}

// Synthetic batch: features with per-feature offsets, imbalanced labels.
__global__ void make_batch(float *x, int *y, int step) {
  const int r = blockIdx.x, tid = threadIdx.x;
  unsigned s = 2654435761u * (unsigned)(r + 1) + 97u * (unsigned)step;
  for (int i = tid; i < D0; i += blockDim.x) {
    unsigned t = s ^ (2246822519u * (unsigned)(i + 1));
    t ^= t >> 15, t *= 2246822519u, t ^= t >> 13;
    x[(long long)r * D0 + i] = 1.5f + 0.01f * i + ((t & 0xffff) / 65536.0f - 0.5f) * 3.0f;
  }
  if (tid == 0) {
    unsigned t = s * 3266489917u;
    t ^= t >> 16;
    const float u = (t & 0xffff) / 65536.0f;  // class k with probability ~ 2^-(k+1)
    int k = 0;
    while (k < K - 1 && u >= 1.0f - ldexpf(1.0f, -(k + 1))) ++k;
    y[r] = k;
  }
}

int main() {
  int ngpu = 0;
  if (cudaGetDeviceCount(&ngpu) != cudaSuccess || ngpu == 0) {
    printf("train_loop: needs a CUDA device; none answers, nothing to do\n");
    return 0;
  }
  cudaStream_t stream;
  cublasHandle_t blas;
  CK(cudaStreamCreate(&stream));
  if (cublasCreate(&blas) != CUBLAS_STATUS_SUCCESS) return 1;
  cublasSetStream(blas, stream);

  // Parameters: He-initialised W1, small W2, zero biases.
  std::vector<float> hW1(D1 * D0), hW2(K * D1);
  unsigned s = 1;
  auto normal = [&s]() {
    double u1, u2;
    s = s * 1664525u + 1013904223u, u1 = (s + 1.0) / 4294967297.0;
    s = s * 1664525u + 1013904223u, u2 = s / 4294967296.0;
    return std::sqrt(-2 * std::log(u1)) * std::cos(6.283185307179586 * u2);
  };
  for (float &w : hW1) w = (float)(normal() * std::sqrt(2.0 / D0));
  for (float &w : hW2) w = (float)(normal() * 0.01);
  float *W1, *W2, *b1, *b2, *x, *z1, *a1, *z2;
  int *y, *labels;
  CK(cudaMalloc(&W1, sizeof(float) * D1 * D0));
  CK(cudaMalloc(&W2, sizeof(float) * K * D1));
  CK(cudaMalloc(&b1, sizeof(float) * D1));
  CK(cudaMalloc(&b2, sizeof(float) * K));
  CK(cudaMalloc(&x, sizeof(float) * B * D0));
  CK(cudaMalloc(&z1, sizeof(float) * B * D1));
  CK(cudaMalloc(&a1, sizeof(float) * B * D1));
  CK(cudaMalloc(&z2, sizeof(float) * B * K));
  CK(cudaMalloc(&y, sizeof(int) * B));
  CK(cudaMalloc(&labels, sizeof(int) * B * WARMUP));
  CK(cudaMemcpy(W1, hW1.data(), sizeof(float) * hW1.size(), cudaMemcpyHostToDevice));
  CK(cudaMemcpy(W2, hW2.data(), sizeof(float) * hW2.size(), cudaMemcpyHostToDevice));
  CK(cudaMemset(b1, 0, sizeof(float) * D1));
  CK(cudaMemset(b2, 0, sizeof(float) * K));

  // cubias on the same stream: statistics of the layer inputs and of z1.
  cubias_handle_t h;
  cubias_stats_t sx, sz1;
  CB(nullptr, cubias_create(&h, CUBIAS_BACKEND_CUDA));
  CB(h, cubias_set_stream(h, stream));
  CB(h, cubias_stats_create(h, D0, CUBIAS_ACT_IDENTITY, 0.0f, &sx));
  CB(h, cubias_stats_create(h, D1, CUBIAS_ACT_RELU, 0.0f, &sz1));

  const float one = 1.0f, zero = 0.0f;
  for (int step = 0; step < 2 * WARMUP; ++step) {
    make_batch<<<B, 128, 0, stream>>>(x, y, step);
    // z1 = x W1^T: column-major z1 [D1, B] = W1 (col-major view [D0, D1])^T x [D0, B].
    cublasSgemm(blas, CUBLAS_OP_T, CUBLAS_OP_N, D1, B, D0, &one, W1, D0, x, D0, &zero, z1, D1);
    bias_act<<<(B * D1 + 255) / 256, 256, 0, stream>>>(z1, b1, a1, B, D1);
    cublasSgemm(blas, CUBLAS_OP_T, CUBLAS_OP_N, K, B, D1, &one, W2, D1, a1, D1, &zero, z2, K);
    bias_act<<<(B * K + 255) / 256, 256, 0, stream>>>(z2, b2, nullptr, B, K);
    // ... loss, backward and optimiser step of the caller's trainer ...

    if (step < WARMUP) {  // measure the first batches, on the device, no sync
      cubias_tensor_t vx, vz;
      CB(h, cubias_tensor_rows(&vx, x, CUBIAS_DTYPE_F32, B, D0));
      CB(h, cubias_tensor_rows(&vz, z1, CUBIAS_DTYPE_F32, B, D1));
      CB(h, cubias_stats_accumulate(h, sx, &vx));
      CB(h, cubias_stats_accumulate(h, sz1, &vz));
      CK(cudaMemcpyAsync(labels + step * B, y, sizeof(int) * B, cudaMemcpyDeviceToDevice, stream));
    }
    if (step == WARMUP - 1) {  // set the biases from what was measured
      cubias_weight_t w1, w2;
      int64_t bad = 0;
      CB(h, cubias_weight_make(&w1, W1, CUBIAS_DTYPE_F32, D1, D0, CUBIAS_WEIGHT_ROW_MAJOR, 0));
      CB(h, cubias_weight_make(&w2, W2, CUBIAS_DTYPE_F32, K, D1, CUBIAS_WEIGHT_ROW_MAJOR, 0));
      CB(h, cubias_center_from_input(h, sx, &w1, nullptr, b1, CUBIAS_DTYPE_F32));
      CB(h, cubias_prior_softmax_from_labels(h, labels, CUBIAS_INDEX_INT32, (int64_t)B * WARMUP, K,
                                             CUBIAS_PRIOR_ALPHA_DEFAULT, CUBIAS_PRIOR_MEAN_ZERO, 0, b2,
                                             CUBIAS_DTYPE_F32, &bad));
      // Will layer 1 pass gradients well? (its statistics were taken with b1 = 0)
      cubias_gain_layer_t layer = {w1, sz1, nullptr};
      cubias_gain_layer_report_t rep;
      cubias_gain_summary_t sum;
      CB(h, cubias_gain_report(h, 1, &layer, nullptr, &rep, &sum));
      printf("after %d batches: layer 1 chi = %.3f (%s); the biases are set, training goes on\n",
             WARMUP, rep.chi, cubias_gain_verdict_string(rep.verdict));
      CB(h, cubias_stats_reset(h, sz1));
    }
    if (step >= WARMUP) {  // watch z1 after the change
      cubias_tensor_t vz;
      CB(h, cubias_tensor_rows(&vz, z1, CUBIAS_DTYPE_F32, B, D1));
      CB(h, cubias_stats_accumulate(h, sz1, &vz));
    }
  }
  std::vector<cubias_channel_stats_t> st(D1);
  std::vector<float> hb2(K);
  CB(h, cubias_stats_read(h, sz1, st.data()));  // synchronises
  CK(cudaMemcpy(hb2.data(), b2, sizeof(float) * K, cudaMemcpyDeviceToHost));
  double mean_abs = 0;
  for (const auto &c : st) mean_abs += std::fabs(c.mean) / D1;
  printf("after centering: mean |E[z1]| over %d units = %.4f\n", D1, mean_abs);
  printf("output biases (class prior, mean zero):");
  for (float v : hb2) printf(" %.3f", v);
  printf("\n");

  cubias_stats_destroy(sx);
  cubias_stats_destroy(sz1);
  cubias_destroy(h);
  cublasDestroy(blas);
  cudaStreamDestroy(stream);
  for (void *p : {(void *)W1, (void *)W2, (void *)b1, (void *)b2, (void *)x, (void *)z1, (void *)a1,
                  (void *)z2, (void *)y, (void *)labels})
    cudaFree(p);
  return 0;
}
