// CUDA side of recurrent gate biases. The chrono draw uses cuRAND's
// counter-based Philox4x32-10 (curand_Philox4x32_10); the CPU backend runs the
// same function from kernels/philox.h, so both give the same values.
#include <cuda_runtime.h>
#include <curand_kernel.h>

#include "../backend.h"
#include "../backend.h"
#include "../dtype.h"
#include "../gates_math.h"
#include "cuda_util.cuh"

#ifdef CUBIAS_EMU
inline void cubias_emu_pointers(const cubias_gate_params_t &, cubias_emu::PtrList &) {}
#endif

namespace {

struct SegTable {
  cubias_gate_seg_t s[CUBIAS_GATE_MAX_SEGS];
};
#ifdef CUBIAS_EMU
inline void cubias_emu_pointers(const SegTable &t, cubias_emu::PtrList &l) {
  for (const cubias_gate_seg_t &s : t.s) l.add(s.ptr);  // unused entries are null
}
#endif

// blockIdx.y: segment; x: units j.
__global__ void gates_kernel(SegTable t, int64_t H, cubias_gate_params_t p, int dtype) {
  const cubias_gate_seg_t seg = t.s[blockIdx.y];
  for (int64_t j = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; j < H;
       j += (int64_t)gridDim.x * blockDim.x) {
    double b = p.b_const;
    if (p.chrono) {
      uint32_t c[4], k[2];
      cubias_chrono_counter(seg.ld, j, c);
      cubias_chrono_key(p.seed, k);
      uint4 r = curand_Philox4x32_10(make_uint4(c[0], c[1], c[2], c[3]), make_uint2(k[0], k[1]));
      b = cubias_chrono_from_bits(r.x, r.y, p.t_max);
    }
    cubias_store_as(seg.ptr, dtype, seg.offset + j, cubias_gate_role_value(seg.role, b));
  }
}

}  // namespace

// One launch per CUBIAS_GATE_MAX_SEGS segments (the table travels as a kernel
// argument, which has a size limit).
cubias_status_t cubias_cuda_gates_write(cubias_handle_t h, const cubias_gate_seg_t *segs, int nseg,
                                        int64_t H, const cubias_gate_params_t *p, int dtype) {
  int64_t gx = (H + 255) / 256;
  if (gx > 1024) gx = 1024;
  for (int s0 = 0; s0 < nseg; s0 += CUBIAS_GATE_MAX_SEGS) {
    const int ns = nseg - s0 < CUBIAS_GATE_MAX_SEGS ? nseg - s0 : CUBIAS_GATE_MAX_SEGS;
    SegTable t = {};
    for (int i = 0; i < ns; ++i) t.s[i] = segs[s0 + i];
    dim3 grid((unsigned)gx, (unsigned)ns);
    cubias_launch<gates_kernel>(grid, 256, 0, stream_of(h), t, H, *p, dtype);
    const cubias_status_t st = launched(h, "cubias gate kernel");
    if (st) return st;
  }
  return CUBIAS_STATUS_SUCCESS;
}
