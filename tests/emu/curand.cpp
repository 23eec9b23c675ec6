// Emulated cuRAND host API: a Philox4x32-10 stream (curand_kernel.h's round
// function) turned into uniforms and Box-Muller normals. A data source for the
// tests, not NVIDIA's bit stream. Device generators write into emulated device
// memory directly (it is host-addressable).
#include <math.h>

#include "curand.h"
#include "curand_kernel.h"

struct curandGenerator_st {
  unsigned long long seed = 0;
  unsigned long long counter = 0;
};

namespace {
uint4 next_block(curandGenerator_st *g) {
  const unsigned long long c = g->counter++;
  return curand_Philox4x32_10(make_uint4((unsigned)c, (unsigned)(c >> 32), 0u, 0u),
                              make_uint2((unsigned)g->seed, (unsigned)(g->seed >> 32)));
}
double unit(unsigned u) { return ((double)u + 0.5) * (1.0 / 4294967296.0); }  // (0, 1)

template <class T>
curandStatus_t normals(curandGenerator_t g, T *out, size_t n, double mean, double sd) {
  if (!g) return CURAND_STATUS_NOT_INITIALIZED;
  if (n % 2) return CURAND_STATUS_LENGTH_NOT_MULTIPLE;
  for (size_t i = 0; i < n; i += 2) {
    const uint4 r = next_block(g);
    const double rad = sqrt(-2.0 * log(unit(r.x))), th = 6.283185307179586 * unit(r.y);
    out[i] = (T)(mean + sd * rad * cos(th));
    out[i + 1] = (T)(mean + sd * rad * sin(th));
  }
  return CURAND_STATUS_SUCCESS;
}
}  // namespace

extern "C" {
curandStatus_t curandCreateGenerator(curandGenerator_t *g, curandRngType_t) {
  *g = new curandGenerator_st;
  return CURAND_STATUS_SUCCESS;
}
curandStatus_t curandCreateGeneratorHost(curandGenerator_t *g, curandRngType_t t) {
  return curandCreateGenerator(g, t);
}
curandStatus_t curandDestroyGenerator(curandGenerator_t g) {
  delete g;
  return CURAND_STATUS_SUCCESS;
}
curandStatus_t curandSetPseudoRandomGeneratorSeed(curandGenerator_t g, unsigned long long seed) {
  if (!g) return CURAND_STATUS_NOT_INITIALIZED;
  g->seed = seed;
  g->counter = 0;
  return CURAND_STATUS_SUCCESS;
}
curandStatus_t curandSetStream(curandGenerator_t g, cudaStream_t) {
  return g ? CURAND_STATUS_SUCCESS : CURAND_STATUS_NOT_INITIALIZED;
}
curandStatus_t curandGenerateNormal(curandGenerator_t g, float *out, size_t n, float mean,
                                    float sd) {
  return normals(g, out, n, mean, sd);
}
curandStatus_t curandGenerateNormalDouble(curandGenerator_t g, double *out, size_t n, double mean,
                                          double sd) {
  return normals(g, out, n, mean, sd);
}
curandStatus_t curandGenerateUniform(curandGenerator_t g, float *out, size_t n) {
  if (!g) return CURAND_STATUS_NOT_INITIALIZED;
  for (size_t i = 0; i < n; i += 4) {
    const uint4 r = next_block(g);
    const unsigned u[4] = {r.x, r.y, r.z, r.w};
    for (size_t k = 0; k < 4 && i + k < n; ++k) out[i + k] = (float)(((double)u[k] + 1.0) / 4294967296.0);
  }
  return CURAND_STATUS_SUCCESS;
}
}
