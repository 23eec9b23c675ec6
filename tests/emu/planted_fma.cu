// Planted defect 11 (tests/emu/README.md): a sum of squares written s + x * x, two
// roundings on the host (-ffp-contract=off). Compiled as nvcc does by default
// (--fmad=true) its PTX holds an fma the source did not write, which
// cmake/kernel_resources.sh's check must refuse; with the library's --fmad=false it
// holds only the fmaf written below, and the check passes.
__global__ void planted_sum_of_squares(const float *x, int n, float *out) {
  float s = 0.0f, t = 0.0f;
  for (int i = threadIdx.x; i < n; i += blockDim.x) {
    s += x[i] * x[i];            // must stay a multiply and an add
    t = fmaf(x[i], 2.0f, t);     // a written fusion: allowed
  }
  out[threadIdx.x] = s + t;
}
