// Emulated device memory: every cudaMalloc is a host allocation (so the ASan
// build sees out-of-bounds accesses) entered in a registry, which tells device
// pointers from host pointers (cudaPointerGetAttributes, the launch-time checks
// of pointer arguments, the checked loads) and names the owning device.
// New allocations are filled with a poison pattern, as a device's are garbage.
#include <stdlib.h>
#include <string.h>

#include <atomic>
#include <iterator>
#include <map>
#include <mutex>

#include "emu_internal.h"

namespace cubias_emu {

namespace {
std::mutex g_mu;
std::map<uintptr_t, Alloc> g_allocs;  // by start address
size_t g_live_bytes[8];
constexpr size_t kDeviceBytes = (size_t)16 << 30;  // what each emulated device reports

bool find_locked(uintptr_t a, size_t bytes, Alloc *out) {
  auto it = g_allocs.upper_bound(a);
  if (it == g_allocs.begin()) return false;
  --it;
  const Alloc &al = it->second;
  if (a + bytes > al.lo + al.bytes) return false;
  if (out) *out = al;
  return true;
}
}  // namespace

// cudaMalloc and cudaFree are among the calls a global-mode capture forbids.
bool any_global_capture();
void invalidate_captures();

bool find_alloc(const void *p, Alloc *out) {
  std::lock_guard<std::mutex> lock(g_mu);
  return find_locked((uintptr_t)p, 0, out);
}

// ---- logical buffers inside an allocation (workspace slices) ------------------
// A kernel's access p[i] must stay inside the slice that p points into, so an
// overrun from one slice into the next (partials into flags) is a fault though
// the allocation holds both.
namespace {
std::map<uintptr_t, uintptr_t> g_slices;  // lo -> hi, each inside one allocation

void erase_slices(uintptr_t lo, uintptr_t hi) {  // every slice overlapping [lo, hi)
  auto it = g_slices.upper_bound(lo);
  if (it != g_slices.begin() && std::prev(it)->second > lo) --it;
  while (it != g_slices.end() && it->first < hi) it = g_slices.erase(it);
}
}  // namespace

bool find_buffer(const void *base, Buffer *out) {
  std::lock_guard<std::mutex> lock(g_mu);
  const uintptr_t b = (uintptr_t)base;
  Alloc al;
  if (!find_locked(b, 0, &al)) return false;
  out->lo = al.lo;
  out->hi = al.lo + al.bytes;
  out->device = al.device;
  out->slice = false;
  auto it = g_slices.upper_bound(b);
  if (it != g_slices.begin() && b < (--it)->second && it->first >= al.lo) {
    out->lo = it->first;
    out->hi = it->second;
    out->slice = true;
  }
  const auto in = g_slices.lower_bound(al.lo);
  out->cacheable = out->slice || in == g_slices.end() || in->first >= al.lo + al.bytes;
  return true;
}

bool find_locked_public(const void *p, size_t bytes) {
  std::lock_guard<std::mutex> lock(g_mu);
  return find_locked((uintptr_t)p, bytes, nullptr);
}

void clear_buffers(const void *p) {
  std::lock_guard<std::mutex> lock(g_mu);
  Alloc al;
  if (find_locked((uintptr_t)p, 0, &al)) erase_slices(al.lo, al.lo + al.bytes);
}

void mark_buffer(const void *p, size_t bytes) {
  std::lock_guard<std::mutex> lock(g_mu);
  const uintptr_t lo = (uintptr_t)p;
  if (!bytes || !find_locked(lo, bytes, nullptr)) return;  // checked by the caller
  erase_slices(lo, lo + bytes);
  g_slices[lo] = lo + bytes;
}

}  // namespace cubias_emu

using namespace cubias_emu;

extern "C" {

cudaError_t cudaMalloc(void **p, size_t bytes) {
  api_call(true);
  if (!p) return cudaErrorInvalidValue;
  if (cudaError_t e = sticky()) return e;
  if (any_global_capture()) {
    invalidate_captures();
    return cudaErrorStreamCaptureUnsupported;
  }
  const int dev = current_device();
  const size_t n = bytes ? (bytes + 255) / 256 * 256 : 256;
  {
    std::lock_guard<std::mutex> lock(g_mu);
    if (g_live_bytes[dev] + n > kDeviceBytes) {
      *p = nullptr;
      return cudaErrorMemoryAllocation;
    }
  }
  // Exactly the bytes asked for (256-aligned, as cudaMalloc's are): ASan's red
  // zone starts at the first byte past them.
  void *m = nullptr;
  if (posix_memalign(&m, 256, bytes ? bytes : 1) != 0) {
    *p = nullptr;
    return cudaErrorMemoryAllocation;
  }
  memset(m, (base_seed() & 1) ? 0xff : 0xa5, bytes);
  std::lock_guard<std::mutex> lock(g_mu);
  // The registry holds the requested size: bytes past it are out of bounds.
  g_allocs[(uintptr_t)m] = Alloc{(uintptr_t)m, bytes, dev};
  g_live_bytes[dev] += n;
  *p = m;
  return cudaSuccess;
}

cudaError_t cudaFree(void *p) {
  api_call(true);
  if (!p) return sticky();
  if (any_global_capture()) {
    invalidate_captures();
    return cudaErrorStreamCaptureUnsupported;
  }
  synchronize_all();  // cudaFree synchronises: pending work may still use p
  {
    std::lock_guard<std::mutex> lock(g_mu);
    auto it = g_allocs.find((uintptr_t)p);
    if (it == g_allocs.end()) return cudaErrorInvalidValue;
    g_live_bytes[it->second.device] -= it->second.bytes ? (it->second.bytes + 255) / 256 * 256 : 256;
    erase_slices(it->second.lo, it->second.lo + it->second.bytes);
    g_allocs.erase(it);
  }
  free(p);
  return sticky();
}

cudaError_t cudaMallocHost(void **p, size_t bytes) {
  api_call(true);
  *p = aligned_alloc(256, bytes ? (bytes + 255) / 256 * 256 : 256);
  return *p ? cudaSuccess : cudaErrorMemoryAllocation;
}
cudaError_t cudaFreeHost(void *p) {
  api_call(true);
  synchronize_all();
  free(p);
  return cudaSuccess;
}

cudaError_t cudaMemGetInfo(size_t *free_bytes, size_t *total_bytes) {
  api_call(true);
  std::lock_guard<std::mutex> lock(g_mu);
  if (total_bytes) *total_bytes = kDeviceBytes;
  if (free_bytes) *free_bytes = kDeviceBytes - g_live_bytes[current_device()];
  return cudaSuccess;
}

static std::atomic<long long> g_pointer_queries{0};
long long cubias_emu_pointer_queries(void) { return g_pointer_queries.load(); }

cudaError_t cudaPointerGetAttributes(cudaPointerAttributes *attr, const void *p) {
  api_call(true);
  ++g_pointer_queries;
  if (!attr) return cudaErrorInvalidValue;
  Alloc al;
  if (p && find_alloc(p, &al)) {
    attr->type = cudaMemoryTypeDevice;
    attr->device = al.device;
    attr->devicePointer = (void *)p;
    attr->hostPointer = nullptr;
  } else {
    attr->type = cudaMemoryTypeUnregistered;
    attr->device = -2;
    attr->devicePointer = nullptr;
    attr->hostPointer = (void *)p;
  }
  return cudaSuccess;
}

// A slice of an allocation that kernels must treat as a buffer of its own, in
// stream order with the launches (a capture records it).
void cubias_emu_mark_buffer(cudaStream_t s, const void *p, size_t bytes) {
  // CUBIAS_EMU_SLICES=0: no slices (each allocation one buffer), to show what the
  // slice check alone catches (tests/emu/README.md).
  static const bool off = [] {
    const char *e = getenv("CUBIAS_EMU_SLICES");
    return e && !strcmp(e, "0");
  }();
  if (!p || !bytes || off) return;
  if (!find_locked_public(p, bytes)) {
    report("emulated device: cubias_emu_mark_buffer of a range outside every allocation");
    return;
  }
  enqueue(s, [p, bytes]() { mark_buffer(p, bytes); });
}

void cubias_emu_clear_buffers(cudaStream_t s, const void *p) {
  enqueue(s, [p]() { clear_buffers(p); });
}

}  // extern "C"

namespace cubias_emu {

// Both ends of a copy must agree with `kind`, and device ranges must lie inside
// one allocation: the checks a real copy fails with cudaErrorInvalidValue.
cudaError_t check_copy_side(const void *p, size_t bytes, bool device) {
  Alloc al;
  std::lock_guard<std::mutex> lock(g_mu);
  const bool is_dev = find_locked((uintptr_t)p, 0, &al);
  if (device != is_dev) return cudaErrorInvalidValue;
  if (is_dev && (uintptr_t)p + bytes > al.lo + al.bytes) return cudaErrorInvalidValue;
  return cudaSuccess;
}

}  // namespace cubias_emu
