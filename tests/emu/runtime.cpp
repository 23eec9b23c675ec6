// The emulated CUDA runtime: devices (CUBIAS_EMU_DEVICES, default 2; current
// device per host thread), errors (last error per host thread, sticky faults
// per device), asynchronous streams (work runs at the synchronising call that
// waits on it, in stream order, ordered between streams by events and the legacy
// stream's implicit synchronisation; CUBIAS_EMU_ASYNC=0 runs it at enqueue),
// stream capture into graphs that cudaGraphLaunch replays, events, copies and
// fills, and kernel launch checks.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "emu_internal.h"

struct CUstream_st {
  int device = 0;
  bool nonblocking = false;  // cudaStreamNonBlocking: no implicit sync with the legacy stream
  bool legacy = false;       // the legacy stream (one per device)
  uint64_t last = 0;         // the last operation enqueued (0: none)
  std::vector<uint64_t> waits;  // cudaStreamWaitEvent: what the next operation waits for
  bool capturing = false;
  bool invalidated = false;
  cudaStreamCaptureMode mode = cudaStreamCaptureModeGlobal;
  std::vector<std::function<void()>> nodes;
};
struct CUgraph_st {
  std::vector<std::function<void()>> nodes;
};
struct CUgraphExec_st {
  std::vector<std::function<void()>> nodes;
  int device = 0;
};
struct CUevent_st {
  std::chrono::steady_clock::time_point t;
  bool recorded = false;
  uint64_t op = 0;  // the record operation (0: never recorded)
};

namespace cubias_emu {

cudaError_t check_copy_side(const void *p, size_t bytes, bool device);

namespace {
thread_local int t_device = 0;
thread_local cudaError_t t_last = cudaSuccess;
std::atomic<int> g_sticky[8];
std::mutex g_mu;
std::set<CUstream_st *> g_streams;
int g_global_captures = 0;
std::atomic<uint64_t> g_launches{0};

int env_int(const char *name, int dflt, int lo, int hi) {
  const char *v = getenv(name);
  if (!v || !*v) return dflt;
  int x = atoi(v);
  return x < lo ? lo : x > hi ? hi : x;
}

cudaError_t fail(cudaError_t e) {
  t_last = e;
  return e;
}
}  // namespace

namespace {
std::atomic<int> g_touched{0};
thread_local int t_context = 0;
}  // namespace

std::atomic<long long> g_calls{0};
void api_call(bool makes_context) {
  g_touched = 1;
  ++g_calls;
  if (makes_context) t_context = 1;
}
long long runtime_calls() { return g_calls; }

int device_count() {
  static const int n = env_int("CUBIAS_EMU_DEVICES", 2, 1, 8);
  return n;
}
int current_device() { return t_device; }

void set_last_error(cudaError_t e) { t_last = e; }
void set_sticky(cudaError_t e) {
  g_sticky[t_device] = e;
  t_last = e;
}
cudaError_t sticky() { return (cudaError_t)g_sticky[t_device].load(); }

bool stream_valid(cudaStream_t s) {
  if (!s) return true;
  std::lock_guard<std::mutex> lock(g_mu);
  return g_streams.count(s) != 0;
}
int stream_device(cudaStream_t s) { return s ? s->device : -1; }

bool any_global_capture() {
  std::lock_guard<std::mutex> lock(g_mu);
  return g_global_captures > 0;
}
void invalidate_captures() {
  std::lock_guard<std::mutex> lock(g_mu);
  for (CUstream_st *s : g_streams)
    if (s->capturing && s->mode != cudaStreamCaptureModeRelaxed) s->invalidated = true;
}

// ---- asynchronous streams ----------------------------------------------------------
// Every enqueued operation waits in g_pending until a synchronising call needs it;
// it then runs after the operations it depends on (its stream's previous one, the
// events its stream waited for, and the legacy stream's implicit synchronisation
// with blocking streams). A device-wide drain picks pending operations in a seeded
// order, so independent streams interleave differently per seed.
namespace {
struct Op {
  int device = 0;
  std::string what;
  std::function<void()> work;
  std::vector<uint64_t> after;
  std::vector<Range> writes;  // device memory it may write
};
std::recursive_mutex g_q_mu;
std::map<uint64_t, Op> g_pending;
uint64_t g_next_op = 0, g_running = 0;
CUstream_st g_legacy[8];
uint64_t g_drain_rng = 0;

CUstream_st *queue_of(cudaStream_t s) {
  if (s) return s;
  CUstream_st *q = &g_legacy[t_device];
  q->device = t_device;
  q->legacy = true;
  return q;
}

void run_op(uint64_t id) {
  std::lock_guard<std::recursive_mutex> lock(g_q_mu);
  auto it = g_pending.find(id);
  if (it == g_pending.end()) return;
  Op op = std::move(it->second);
  g_pending.erase(it);
  for (uint64_t a : op.after) run_op(a);
  const int saved = t_device;
  const uint64_t outer = g_running;
  t_device = op.device;
  g_running = id;
  if (!g_sticky[op.device]) op.work();  // a faulted context runs nothing more
  g_running = outer;
  t_device = saved;
}

// Runs every pending operation of `device` (all devices for -1), in a seeded order
// that respects the dependencies.
void drain(int device) {
  std::lock_guard<std::recursive_mutex> lock(g_q_mu);
  std::vector<uint64_t> ids;
  for (;;) {
    ids.clear();
    for (const auto &p : g_pending)
      if (device < 0 || p.second.device == device) ids.push_back(p.first);
    if (ids.empty()) return;
    uint64_t z = (g_drain_rng += 0x9E3779B97F4A7C15ull) ^ (base_seed() * 0xBF58476D1CE4E5B9ull);
    z = (z ^ (z >> 31)) * 0x94D049BB133111EBull;
    run_op(ids[(z ^ (z >> 29)) % ids.size()]);
  }
}
}  // namespace

bool async_streams() {
  static const bool on = [] {
    const char *e = getenv("CUBIAS_EMU_ASYNC");
    return !(e && *e && atoi(e) == 0);
  }();
  return on;
}

void synchronize_all() { drain(-1); }

// The pending operations not ordered before the running one that may write
// [p, p + bytes): a copy that reads it races with them.
std::string pending_writer(const void *p, size_t bytes) {
  std::lock_guard<std::recursive_mutex> lock(g_q_mu);
  const uintptr_t a = (uintptr_t)p;
  for (const auto &q : g_pending) {
    if (q.first > g_running) break;
    for (const Range &r : q.second.writes)
      if (a < (uintptr_t)r.p + r.bytes && (uintptr_t)r.p < a + bytes) return q.second.what;
  }
  return std::string();
}

cudaError_t enqueue(cudaStream_t s, std::function<void()> work, const char *what,
                    std::vector<Range> writes) {
  if (cudaError_t e = sticky()) return e;
  if (!stream_valid(s)) return fail(cudaErrorInvalidResourceHandle);
  if (s && s->device != t_device) return fail(cudaErrorInvalidResourceHandle);
  if (s && s->capturing) {
    if (s->invalidated) return fail(cudaErrorStreamCaptureInvalidated);
    s->nodes.push_back(std::move(work));
    return cudaSuccess;
  }
  if (!s && any_global_capture()) {  // the legacy stream would join the capture
    invalidate_captures();
    return fail(cudaErrorStreamCaptureImplicit);
  }
  if (!async_streams()) {
    work();
    return sticky();
  }
  std::lock_guard<std::recursive_mutex> lock(g_q_mu);
  CUstream_st *q = queue_of(s);
  Op op;
  op.device = q->device;
  op.what = what;
  op.work = std::move(work);
  op.writes = std::move(writes);
  if (q->last) op.after.push_back(q->last);
  op.after.insert(op.after.end(), q->waits.begin(), q->waits.end());
  q->waits.clear();
  if (q->legacy) {  // the legacy stream waits for every blocking stream of its device
    std::lock_guard<std::mutex> l2(g_mu);
    for (CUstream_st *o : g_streams)
      if (o->device == q->device && !o->nonblocking && o->last) op.after.push_back(o->last);
  } else if (!q->nonblocking && g_legacy[q->device].last) {  // and they wait for it
    op.after.push_back(g_legacy[q->device].last);
  }
  q->last = ++g_next_op;
  g_pending.emplace(q->last, std::move(op));
  return sticky();
}

// Runs what `s` has enqueued so far (and what that waits for).
void synchronize_stream(cudaStream_t s) {
  std::lock_guard<std::recursive_mutex> lock(g_q_mu);
  run_op(queue_of(s)->last);
}

void reset_for_test() {
  reset_tallies();
  for (auto &e : g_sticky) e = cudaSuccess;
  t_last = cudaSuccess;
  t_device = 0;
  std::lock_guard<std::mutex> lock(g_mu);
  for (CUstream_st *s : g_streams) {
    s->capturing = false;
    s->nodes.clear();
    s->last = 0;
    s->waits.clear();
  }
  g_global_captures = 0;
  // Work a test left unsynchronised is dropped: its memory may be gone.
  std::lock_guard<std::recursive_mutex> q(g_q_mu);
  g_pending.clear();
  for (CUstream_st &l : g_legacy) l.last = 0, l.waits.clear();
}

// (A launch makes the context as any runtime call does.)
void launch(const char *signature, dim3 grid, dim3 block, size_t smem, cudaStream_t stream,
            const PtrArg *ptrs, int nptrs, std::function<void()> body) {
  Grid g;
  g.kernel = kernel_name(signature);
  g.grid = grid;
  g.block = block;
  g.smem = smem;
  g.device = t_device;
  g.launch_no = ++g_launches;
  g.ptrs.assign(ptrs, ptrs + nptrs);
  g.body = std::move(body);
  // The limits a device enforces at launch (cudaErrorInvalidConfiguration).
  api_call(true);
  const uint64_t threads = (uint64_t)block.x * block.y * block.z;
  const char *why = nullptr;
  if (!grid.x || !grid.y || !grid.z) why = "empty grid";
  else if (!threads) why = "empty block";
  else if (threads > 1024 || block.x > 1024 || block.y > 1024 || block.z > 64)
    why = "more than 1024 threads per block (or a block dimension over its limit)";
  else if (grid.x > 0x7fffffffu || grid.y > 65535 || grid.z > 65535)
    why = "grid dimension over its limit (x 2^31-1, y and z 65535)";
  else if (smem > 48 * 1024) why = "dynamic shared memory over 48 KB without the opt-in";
  // Launch resources (resources.cpp): cudaErrorLaunchOutOfResources.
  std::string resource_why;
  cudaError_t refused = cudaErrorInvalidConfiguration;
  if (!why && resource_refusal(g.kernel, signature, threads, &resource_why)) {
    why = resource_why.c_str();
    refused = cudaErrorLaunchOutOfResources;
  }
  if (why) {
    char msg[512];
    snprintf(msg, sizeof msg,
             "emulated device: launch #%llu of kernel %s refused: %s (grid (%u,%u,%u), block "
             "(%u,%u,%u), %zu bytes dynamic shared memory)",
             (unsigned long long)g.launch_no, g.kernel.c_str(), why, grid.x, grid.y, grid.z,
             block.x, block.y, block.z, smem);
    report(msg);
    t_last = refused;
    return;
  }
  std::vector<Range> writes;  // the allocations of its pointers to non-const
  for (const PtrArg &a : g.ptrs) {
    Alloc al;
    if (a.p && !a.readonly && find_alloc(a.p, &al)) writes.push_back(Range{(const void *)al.lo, al.bytes});
  }
  cudaError_t e = enqueue(stream, [g]() { run_grid(g); }, ("kernel " + g.kernel).c_str(),
                          std::move(writes));
  if (e != cudaSuccess) t_last = e;
}

}  // namespace cubias_emu

using namespace cubias_emu;

extern "C" {

int cubias_emu_runtime_touched(void) { return g_touched; }
int cubias_emu_context_active(void) { return t_context; }

cudaError_t cudaGetDeviceCount(int *count) {
  api_call(false);
  if (!count) return cudaErrorInvalidValue;
  *count = device_count();
  return cudaSuccess;
}
cudaError_t cudaGetDevice(int *device) {
  api_call(false);
  if (!device) return cudaErrorInvalidValue;
  *device = t_device;
  return cudaSuccess;
}
cudaError_t cudaSetDevice(int device) {
  api_call(true);
  if (device < 0 || device >= device_count()) return fail(cudaErrorInvalidDevice);
  t_device = device;
  return cudaSuccess;
}
cudaError_t cudaGetDeviceProperties(cudaDeviceProp *p, int device) {
  api_call(false);
  if (!p) return cudaErrorInvalidValue;
  if (device < 0 || device >= device_count()) return fail(cudaErrorInvalidDevice);
  memset(p, 0, sizeof *p);
  snprintf(p->name, sizeof p->name, "cubias emulated device %d", device);
  p->totalGlobalMem = (size_t)16 << 30;
  p->sharedMemPerBlock = 48 * 1024;
  p->sharedMemPerBlockOptin = 48 * 1024;
  p->regsPerBlock = 65536;
  p->warpSize = 32;
  p->maxThreadsPerBlock = 1024;
  p->maxThreadsDim[0] = p->maxThreadsDim[1] = 1024;
  p->maxThreadsDim[2] = 64;
  p->maxGridSize[0] = 0x7fffffff;
  p->maxGridSize[1] = p->maxGridSize[2] = 65535;
  p->major = 9;
  p->minor = 0;
  p->multiProcessorCount = 4;
  p->maxThreadsPerMultiProcessor = 2048;
  p->memoryBusWidth = 64;
  p->l2CacheSize = 1 << 20;
  p->pciBusID = device;
  return cudaSuccess;
}
cudaError_t cudaDeviceSynchronize(void) {
  api_call(true);
  if (any_global_capture()) {
    invalidate_captures();
    return fail(cudaErrorStreamCaptureUnsupported);
  }
  drain(t_device);
  return sticky();
}
cudaError_t cudaDeviceReset(void) {
  api_call(true);
  {
    std::lock_guard<std::recursive_mutex> lock(g_q_mu);
    for (auto it = g_pending.begin(); it != g_pending.end();)
      it = it->second.device == t_device ? g_pending.erase(it) : std::next(it);
  }
  g_sticky[t_device] = cudaSuccess;
  return cudaSuccess;
}
cudaError_t cudaGetLastError(void) {
  api_call(false);
  cudaError_t e = t_last;
  t_last = sticky();  // a sticky error stays
  return e;
}
cudaError_t cudaPeekAtLastError(void) {
  api_call(false);
  return t_last;
}

const char *cudaGetErrorName(cudaError_t e) {
  switch (e) {
#define N(x) case x: return #x;
    N(cudaSuccess) N(cudaErrorInvalidValue) N(cudaErrorMemoryAllocation)
    N(cudaErrorInitializationError) N(cudaErrorInvalidConfiguration)
    N(cudaErrorInvalidDevicePointer) N(cudaErrorInvalidMemcpyDirection)
    N(cudaErrorInsufficientDriver) N(cudaErrorInvalidDevice) N(cudaErrorInvalidResourceHandle)
    N(cudaErrorNotReady) N(cudaErrorIllegalAddress) N(cudaErrorLaunchOutOfResources)
    N(cudaErrorLaunchFailure) N(cudaErrorMisalignedAddress)
    N(cudaErrorStreamCaptureUnsupported) N(cudaErrorStreamCaptureInvalidated)
    N(cudaErrorStreamCaptureImplicit) N(cudaErrorUnknown)
#undef N
  }
  return "cudaErrorUnknown";
}
const char *cudaGetErrorString(cudaError_t e) {
  switch (e) {
    case cudaSuccess: return "no error";
    case cudaErrorInvalidValue: return "invalid argument";
    case cudaErrorMemoryAllocation: return "out of memory";
    case cudaErrorInvalidConfiguration: return "invalid configuration argument";
    case cudaErrorInvalidDevice: return "invalid device ordinal";
    case cudaErrorInvalidResourceHandle: return "invalid resource handle";
    case cudaErrorIllegalAddress: return "an illegal memory access was encountered";
    case cudaErrorMisalignedAddress: return "misaligned address";
    case cudaErrorLaunchFailure: return "unspecified launch failure";
    case cudaErrorLaunchOutOfResources: return "too many resources requested for launch";
    case cudaErrorStreamCaptureUnsupported: return "operation not permitted when stream is capturing";
    case cudaErrorStreamCaptureInvalidated: return "operation failed due to a previous error during capture";
    case cudaErrorStreamCaptureImplicit: return "operation would make the legacy stream depend on a capturing blocking stream";
    default: return cudaGetErrorName(e);
  }
}

// ---- copies and fills ---------------------------------------------------------

static cudaError_t copy_checked(void *dst, const void *src, size_t bytes, cudaMemcpyKind kind) {
  if (!bytes) return cudaSuccess;
  if (!dst || !src) return cudaErrorInvalidValue;
  Alloc a;
  const bool src_dev = find_alloc(src, &a), dst_dev = find_alloc(dst, &a);
  bool want_src = src_dev, want_dst = dst_dev;
  switch (kind) {
    case cudaMemcpyHostToHost: want_src = want_dst = false; break;
    case cudaMemcpyHostToDevice: want_src = false, want_dst = true; break;
    case cudaMemcpyDeviceToHost: want_src = true, want_dst = false; break;
    case cudaMemcpyDeviceToDevice: want_src = want_dst = true; break;
    case cudaMemcpyDefault: break;
    default: return cudaErrorInvalidMemcpyDirection;
  }
  if (cudaError_t e = check_copy_side(src, bytes, want_src)) return e;
  if (cudaError_t e = check_copy_side(dst, bytes, want_dst)) return e;
  // Overlapping device-to-device ranges: undefined in CUDA, refused here.
  const uintptr_t s0 = (uintptr_t)src, d0 = (uintptr_t)dst;
  if (want_src && want_dst && s0 < d0 + bytes && d0 < s0 + bytes) return cudaErrorInvalidValue;
  return cudaSuccess;
}

// A copy as it runs: device memory it reads that work not ordered before it may
// still write reads as the poison pattern, and the race is reported.
static void run_copy(void *dst, const void *src, size_t bytes, bool src_dev) {
  const std::string w = src_dev ? pending_writer(src, bytes) : std::string();
  if (w.empty()) {
    memcpy(dst, src, bytes);
    return;
  }
  memset(dst, (base_seed() & 1) ? 0xff : 0xa5, bytes);
  char msg[512];
  snprintf(msg, sizeof msg,
           "emulated device: a copy of %zu bytes reads device memory at %p that %s, not ordered "
           "before it (another stream, no event), may still write: it reads poison",
           bytes, src, w.c_str());
  report(msg);
}

cudaError_t cudaMemcpyAsync(void *dst, const void *src, size_t bytes, cudaMemcpyKind kind,
                            cudaStream_t s) {
  api_call(true);
  if (cudaError_t e = copy_checked(dst, src, bytes, kind)) return fail(e);
  if (!bytes) return sticky();
  Alloc a;
  const bool src_dev = find_alloc(src, &a), dst_dev = find_alloc(dst, &a);
  std::vector<Range> writes;
  if (dst_dev) writes.push_back(Range{dst, bytes});
  if (!async_streams() || (s && s->capturing) || !stream_valid(s))
    return enqueue(s, [=]() { run_copy(dst, src, bytes, src_dev); }, "a copy", writes);
  // Until the copy runs, a host destination holds the poison pattern; a host
  // source is read now (CUDA stages pageable memory before returning).
  if (!dst_dev) memset(dst, (base_seed() & 1) ? 0xff : 0xa5, bytes);
  if (!src_dev) {
    auto staged = std::make_shared<std::vector<char>>((const char *)src, (const char *)src + bytes);
    return enqueue(s, [=]() { memcpy(dst, staged->data(), bytes); }, "a copy", writes);
  }
  return enqueue(s, [=]() { run_copy(dst, src, bytes, true); }, "a copy", writes);
}
cudaError_t cudaMemcpy(void *dst, const void *src, size_t bytes, cudaMemcpyKind kind) {
  api_call(true);
  if (any_global_capture()) {
    invalidate_captures();
    return fail(cudaErrorStreamCaptureUnsupported);
  }
  cudaError_t e = cudaMemcpyAsync(dst, src, bytes, kind, nullptr);
  Alloc a;
  if (!e && !find_alloc(dst, &a)) synchronize_stream(nullptr);  // returns with the data
  return e ? e : sticky();
}
cudaError_t cudaMemsetAsync(void *p, int value, size_t bytes, cudaStream_t s) {
  api_call(true);
  if (!bytes) return sticky();
  if (cudaError_t e = check_copy_side(p, bytes, true)) return fail(e);
  return enqueue(s, [=]() { memset(p, value, bytes); }, "a fill",
                 std::vector<Range>{Range{p, bytes}});
}
cudaError_t cudaMemset(void *p, int value, size_t bytes) {
  api_call(true);
  if (any_global_capture()) {
    invalidate_captures();
    return fail(cudaErrorStreamCaptureUnsupported);
  }
  return cudaMemsetAsync(p, value, bytes, nullptr);
}

// ---- streams, capture, graphs ---------------------------------------------------

cudaError_t cudaStreamCreate(cudaStream_t *s) { api_call(true); return cudaStreamCreateWithFlags(s, 0); }
cudaError_t cudaStreamCreateWithFlags(cudaStream_t *s, unsigned int flags) {
  api_call(true);
  if (!s) return cudaErrorInvalidValue;
  CUstream_st *st = new CUstream_st;
  st->device = t_device;
  st->nonblocking = (flags & cudaStreamNonBlocking) != 0;
  std::lock_guard<std::mutex> lock(g_mu);
  g_streams.insert(st);
  *s = st;
  return cudaSuccess;
}
cudaError_t cudaStreamDestroy(cudaStream_t s) {
  api_call(true);
  if (!s) return cudaErrorInvalidResourceHandle;
  if (stream_valid(s)) synchronize_stream(s);  // its work completes first
  std::lock_guard<std::mutex> lock(g_mu);
  if (!g_streams.erase(s)) return cudaErrorInvalidResourceHandle;
  if (s->capturing && s->mode != cudaStreamCaptureModeRelaxed) --g_global_captures;
  delete s;
  return cudaSuccess;
}
cudaError_t cudaStreamSynchronize(cudaStream_t s) {
  api_call(true);
  if (!stream_valid(s)) return fail(cudaErrorInvalidResourceHandle);
  if (s && s->capturing) {
    s->invalidated = true;
    return fail(cudaErrorStreamCaptureUnsupported);
  }
  if (!s && any_global_capture()) {
    invalidate_captures();
    return fail(cudaErrorStreamCaptureImplicit);
  }
  synchronize_stream(s);
  return sticky();
}
// (No worker runs the work in the background: a query completes it.)
cudaError_t cudaStreamQuery(cudaStream_t s) {
  api_call(true);
  if (!stream_valid(s)) return cudaErrorInvalidResourceHandle;
  if (!(s && s->capturing)) synchronize_stream(s);
  return sticky();
}
cudaError_t cudaStreamWaitEvent(cudaStream_t s, cudaEvent_t e, unsigned int) {
  api_call(true);
  if (!stream_valid(s)) return cudaErrorInvalidResourceHandle;
  if (!e) return fail(cudaErrorInvalidResourceHandle);
  if (!(s && s->capturing) && e->op) {
    std::lock_guard<std::recursive_mutex> lock(g_q_mu);
    queue_of(s)->waits.push_back(e->op);
  }
  return sticky();
}
cudaError_t cudaStreamBeginCapture(cudaStream_t s, cudaStreamCaptureMode mode) {
  api_call(true);
  if (!s) return fail(cudaErrorStreamCaptureUnsupported);  // the legacy stream cannot capture
  if (!stream_valid(s)) return fail(cudaErrorInvalidResourceHandle);
  if (s->capturing) return fail(cudaErrorInvalidValue);
  std::lock_guard<std::mutex> lock(g_mu);
  s->capturing = true;
  s->invalidated = false;
  s->mode = mode;
  s->nodes.clear();
  if (mode != cudaStreamCaptureModeRelaxed) ++g_global_captures;
  return cudaSuccess;
}
cudaError_t cudaStreamEndCapture(cudaStream_t s, cudaGraph_t *graph) {
  api_call(true);
  if (!s || !stream_valid(s) || !s->capturing) return fail(cudaErrorInvalidValue);
  bool bad;
  {
    std::lock_guard<std::mutex> lock(g_mu);
    s->capturing = false;
    if (s->mode != cudaStreamCaptureModeRelaxed) --g_global_captures;
    bad = s->invalidated;
  }
  if (bad) {
    s->nodes.clear();
    if (graph) *graph = nullptr;
    return fail(cudaErrorStreamCaptureInvalidated);
  }
  CUgraph_st *g = new CUgraph_st;
  g->nodes.swap(s->nodes);
  if (graph) *graph = g;
  return cudaSuccess;
}
cudaError_t cudaStreamIsCapturing(cudaStream_t s, cudaStreamCaptureStatus *status) {
  api_call(true);
  if (!status || !stream_valid(s)) return cudaErrorInvalidValue;
  *status = !s || !s->capturing ? cudaStreamCaptureStatusNone
            : s->invalidated    ? cudaStreamCaptureStatusInvalidated
                                : cudaStreamCaptureStatusActive;
  return cudaSuccess;
}
cudaError_t cudaGraphInstantiate(cudaGraphExec_t *exec, cudaGraph_t graph, unsigned long long) {
  api_call(true);
  if (!exec || !graph) return cudaErrorInvalidValue;
  CUgraphExec_st *x = new CUgraphExec_st;
  x->nodes = graph->nodes;
  x->device = t_device;
  *exec = x;
  return cudaSuccess;
}
cudaError_t cudaGraphLaunch(cudaGraphExec_t exec, cudaStream_t s) {
  api_call(true);
  if (!exec) return cudaErrorInvalidValue;
  const std::vector<std::function<void()>> *nodes = &exec->nodes;
  return enqueue(s, [nodes]() {
    for (const auto &n : *nodes) {
      if (sticky()) return;
      n();
    }
  }, "a graph");
}
cudaError_t cudaGraphExecDestroy(cudaGraphExec_t exec) {
  api_call(true);
  synchronize_all();  // a launch still pending replays it (CUDA lets it complete)
  delete exec;
  return cudaSuccess;
}
cudaError_t cudaGraphDestroy(cudaGraph_t graph) {
  api_call(true);
  delete graph;
  return cudaSuccess;
}

// ---- events ----------------------------------------------------------------------

cudaError_t cudaEventCreate(cudaEvent_t *e) { api_call(true); return cudaEventCreateWithFlags(e, 0); }
cudaError_t cudaEventCreateWithFlags(cudaEvent_t *e, unsigned int) {
  api_call(true);
  if (!e) return cudaErrorInvalidValue;
  *e = new CUevent_st;
  return cudaSuccess;
}
cudaError_t cudaEventDestroy(cudaEvent_t e) {
  api_call(true);
  if (e) run_op(e->op);  // a pending record completes first, as CUDA lets it
  delete e;
  return cudaSuccess;
}
cudaError_t cudaEventRecord(cudaEvent_t e, cudaStream_t s) {
  api_call(true);
  if (!e) return cudaErrorInvalidResourceHandle;
  std::lock_guard<std::recursive_mutex> lock(g_q_mu);
  cudaError_t r = enqueue(s, [e]() {
    e->t = std::chrono::steady_clock::now();
    e->recorded = true;
  }, "an event record");
  if (r == cudaSuccess && async_streams() && stream_valid(s) && !(s && s->capturing))
    e->op = queue_of(s)->last;
  return r;
}
cudaError_t cudaEventSynchronize(cudaEvent_t e) {
  api_call(true);
  if (!e) return cudaErrorInvalidResourceHandle;
  run_op(e->op);
  return sticky();
}
cudaError_t cudaEventElapsedTime(float *ms, cudaEvent_t a, cudaEvent_t b) {
  api_call(true);
  if (!ms || !a || !b) return cudaErrorInvalidValue;
  {
    std::lock_guard<std::recursive_mutex> lock(g_q_mu);
    if (g_pending.count(a->op) || g_pending.count(b->op)) return cudaErrorNotReady;
  }
  if (!a->recorded || !b->recorded) return cudaErrorInvalidValue;
  *ms = std::chrono::duration<float, std::milli>(b->t - a->t).count();
  return cudaSuccess;
}

}  // extern "C"
