// Emulated cuBLAS: the level-2/3 calls cubias and its examples use, in plain
// loops with cuBLAS's semantics (column-major, op(A), alpha and beta read through
// the pointer mode, beta == 0 ignores y's old contents), enqueued on the
// handle's stream. Operands must be emulated device memory of the current
// device, as a real cuBLAS kernel would fault on anything else.
#include <string>

#include "cublas_v2.h"
#include "emu_internal.h"

struct cublasContext {
  cudaStream_t stream = nullptr;
  cublasPointerMode_t mode = CUBLAS_POINTER_MODE_HOST;
  int device = 0;
};

namespace {
using namespace cubias_emu;

bool on_device(const void *p, const char *call, const char *what) {
  Alloc a;
  if (find_alloc(p, &a) && a.device == current_device()) return true;
  report(std::string("emulated cuBLAS: ") + call + ": " + what +
         " is not device memory of the current device");
  return false;
}

// alpha and beta: a host scalar is read at the call (the caller's variable may be
// gone when the stream runs the work), a device one when the work runs.
template <class T>
struct Scalar {
  const T *p;
  T v;
  Scalar(const cublasContext *h, const T *q) : p(h->mode == CUBLAS_POINTER_MODE_DEVICE ? q : nullptr), v(p ? T(0) : *q) {}
  T get() const { return p ? *p : v; }
};

template <class T>
cublasStatus_t gemv(cublasHandle_t h, const char *call, cublasOperation_t trans, int m, int n,
                    const T *alpha, const T *A, int lda, const T *x, int incx, const T *beta, T *y,
                    int incy) {
  if (!h) return CUBLAS_STATUS_NOT_INITIALIZED;
  if (m < 0 || n < 0 || lda < (m > 1 ? m : 1) || !incx || !incy || trans > CUBLAS_OP_C)
    return CUBLAS_STATUS_INVALID_VALUE;
  if (!m || !n) return CUBLAS_STATUS_SUCCESS;
  if (!on_device(A, call, "A") || !on_device(x, call, "x") || !on_device(y, call, "y"))
    return CUBLAS_STATUS_EXECUTION_FAILED;
  if (h->mode == CUBLAS_POINTER_MODE_DEVICE &&
      (!on_device(alpha, call, "alpha") || !on_device(beta, call, "beta")))
    return CUBLAS_STATUS_EXECUTION_FAILED;
  const Scalar<T> sa(h, alpha), sb(h, beta);
  cudaError_t e = enqueue(h->stream, [=]() {
    const T a = sa.get(), b = sb.get();
    const bool t = trans != CUBLAS_OP_N;
    const int ylen = t ? n : m, xlen = t ? m : n;
    for (int i = 0; i < ylen; ++i) {
      T s = 0;
      for (int k = 0; k < xlen; ++k) {
        const T aik = t ? A[(size_t)i * lda + k] : A[(size_t)k * lda + i];
        s += aik * x[(int64_t)(incx > 0 ? k : xlen - 1 - k) * (incx > 0 ? incx : -incx)];
      }
      T &yi = y[(int64_t)(incy > 0 ? i : ylen - 1 - i) * (incy > 0 ? incy : -incy)];
      yi = b == T(0) ? a * s : a * s + b * yi;
    }
  }, "a cuBLAS gemv");
  return e == cudaSuccess ? CUBLAS_STATUS_SUCCESS : CUBLAS_STATUS_EXECUTION_FAILED;
}
}  // namespace

extern "C" {

cublasStatus_t cublasCreate(cublasHandle_t *h) {
  api_call(true);
  if (!h) return CUBLAS_STATUS_INVALID_VALUE;
  *h = new cublasContext;
  (*h)->device = current_device();
  return CUBLAS_STATUS_SUCCESS;
}
cublasStatus_t cublasDestroy(cublasHandle_t h) {
  api_call(true);
  if (!h) return CUBLAS_STATUS_NOT_INITIALIZED;
  delete h;
  return CUBLAS_STATUS_SUCCESS;
}
cublasStatus_t cublasSetStream(cublasHandle_t h, cudaStream_t s) {
  api_call(true);
  if (!h) return CUBLAS_STATUS_NOT_INITIALIZED;
  h->stream = s;
  return CUBLAS_STATUS_SUCCESS;
}
cublasStatus_t cublasGetStream(cublasHandle_t h, cudaStream_t *s) {
  api_call(true);
  if (!h) return CUBLAS_STATUS_NOT_INITIALIZED;
  *s = h->stream;
  return CUBLAS_STATUS_SUCCESS;
}
cublasStatus_t cublasSetPointerMode(cublasHandle_t h, cublasPointerMode_t mode) {
  api_call(true);
  if (!h) return CUBLAS_STATUS_NOT_INITIALIZED;
  h->mode = mode;
  return CUBLAS_STATUS_SUCCESS;
}
const char *cublasGetStatusString(cublasStatus_t s) {
  switch (s) {
    case CUBLAS_STATUS_SUCCESS: return "CUBLAS_STATUS_SUCCESS";
    case CUBLAS_STATUS_NOT_INITIALIZED: return "CUBLAS_STATUS_NOT_INITIALIZED";
    case CUBLAS_STATUS_ALLOC_FAILED: return "CUBLAS_STATUS_ALLOC_FAILED";
    case CUBLAS_STATUS_INVALID_VALUE: return "CUBLAS_STATUS_INVALID_VALUE";
    case CUBLAS_STATUS_EXECUTION_FAILED: return "CUBLAS_STATUS_EXECUTION_FAILED";
    default: return "CUBLAS_STATUS_INTERNAL_ERROR";
  }
}
cublasStatus_t cublasDgemv(cublasHandle_t h, cublasOperation_t trans, int m, int n,
                           const double *alpha, const double *A, int lda, const double *x,
                           int incx, const double *beta, double *y, int incy) {
  api_call(true);
  return gemv(h, "cublasDgemv", trans, m, n, alpha, A, lda, x, incx, beta, y, incy);
}
cublasStatus_t cublasSgemv(cublasHandle_t h, cublasOperation_t trans, int m, int n,
                           const float *alpha, const float *A, int lda, const float *x, int incx,
                           const float *beta, float *y, int incy) {
  api_call(true);
  return gemv(h, "cublasSgemv", trans, m, n, alpha, A, lda, x, incx, beta, y, incy);
}
cublasStatus_t cublasSgemm(cublasHandle_t h, cublasOperation_t ta, cublasOperation_t tb, int m,
                           int n, int k, const float *alpha, const float *A, int lda,
                           const float *B, int ldb, const float *beta, float *C, int ldc) {
  api_call(true);
  if (!h) return CUBLAS_STATUS_NOT_INITIALIZED;
  if (m < 0 || n < 0 || k < 0 || ldc < (m > 1 ? m : 1)) return CUBLAS_STATUS_INVALID_VALUE;
  if (!m || !n) return CUBLAS_STATUS_SUCCESS;
  if (!on_device(A, "cublasSgemm", "A") || !on_device(B, "cublasSgemm", "B") ||
      !on_device(C, "cublasSgemm", "C"))
    return CUBLAS_STATUS_EXECUTION_FAILED;
  const bool at = ta != CUBLAS_OP_N, bt = tb != CUBLAS_OP_N;
  const Scalar<float> sa(h, alpha), sb(h, beta);
  cudaError_t e = enqueue(h->stream, [=]() {
    const float a = sa.get(), b = sb.get();
    for (int j = 0; j < n; ++j)
      for (int i = 0; i < m; ++i) {
        float s = 0;
        for (int p = 0; p < k; ++p)
          s += (at ? A[(size_t)i * lda + p] : A[(size_t)p * lda + i]) *
               (bt ? B[(size_t)p * ldb + j] : B[(size_t)j * ldb + p]);
        float &c = C[(size_t)j * ldc + i];
        c = b == 0.0f ? a * s : a * s + b * c;
      }
  }, "a cuBLAS gemm");
  return e == cudaSuccess ? CUBLAS_STATUS_SUCCESS : CUBLAS_STATUS_EXECUTION_FAILED;
}

}  // extern "C"
