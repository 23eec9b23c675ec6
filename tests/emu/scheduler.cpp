// The emulated device's execution model: a grid runs block after block (in a
// seeded order); the threads of a block are fibers switched only at barriers and
// warp intrinsics; between those points the runnable threads (warps and lanes
// alike) run in a seeded pseudo-random order. Static shared memory is poisoned
// at the start of every block. A fault (misaligned, stray or out-of-bounds
// access, barrier divergence, bad intrinsic use) abandons the kernel, is
// reported naming kernel, block, thread and seed, and leaves a sticky error.
// Blocks run on one worker thread, whose thread-local storage is the shared
// memory (see __shared__ in cubias_emu/device.h); the launching thread waits.
#include <link.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <map>
#include <mutex>
#include <thread>
#include <numeric>
#include <random>
#include <string>
#include <unordered_map>
#include <vector>

#include "emu_internal.h"
#include "fiber.h"

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#include <sanitizer/common_interface_defs.h>
#define CUBIAS_EMU_ASAN 1
#endif

uint3 threadIdx, blockIdx;
dim3 blockDim, gridDim;

namespace cubias_emu {

namespace {

enum State { kRunnable, kBarrier, kWarp, kDone };

// splitmix64: cheap, and the schedule only needs to vary with the seed.
struct Rng {
  uint64_t s = 0;
  void seed(uint64_t v) { s = v; }
  uint64_t operator()() {
    uint64_t z = (s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
};

template <class T>
void shuffle(std::vector<T> &v, Rng &rng) {
  for (size_t i = v.size(); i > 1; --i) std::swap(v[i - 1], v[rng() % i]);
}

struct Fiber {
  Context ctx;
  FiberStack stack;
  int tid = 0;
  uint3 idx{0, 0, 0};
  State state = kRunnable;
  uint64_t result = 0;
  int vote = 0;  // this thread's __syncthreads_or predicate
  void *fake = nullptr;  // ASan's fake stack while switched out
};

struct Warp {
  unsigned arrived = 0;
  unsigned exited = 0;  // lanes whose thread has returned
  unsigned mask = 0;
  WarpOp op = kSyncWarp;
  int width = 32;
  uint64_t bits[32];
  int arg[32];
};

// A resident block: its threads, warps and (while another block runs) its copy
// of shared memory.
struct Block {
  uint3 idx{0, 0, 0};
  bool active = false;
  std::vector<Fiber> fibers;
  std::vector<Warp> warps;
  std::vector<int> next;   // fibers made runnable during this round
  std::vector<int> round;  // the fibers of this round, in their seeded order
  size_t pos = 0;          // the next of `round` to run
  int done = 0;            // threads of this block that returned
  std::vector<unsigned char> shared;  // its shared memory while not loaded
};

// The one kernel running (one at a time in the process: shared memory is one copy,
// swapped between the resident blocks).
struct Run {
  const Grid *grid = nullptr;
  std::vector<Block> slots;  // the resident blocks
  Block *b = nullptr;        // the block running now
  Block *loaded = nullptr;   // the block whose shared memory is in place
  int resident = 1;          // blocks resident in this grid
  bool from_main = false;  // (ASan) the next fiber entered comes from the scheduler
  Fiber *cur = nullptr;
  Context sched;
  void *sched_fake = nullptr;
  const void *main_bottom = nullptr, *from_bottom = nullptr;
  size_t main_size = 0, from_size = 0;
  bool stacks_dirty = false;  // a faulted kernel left frames (and ASan red zones) behind
  int nthreads = 0;
  bool faulted = false;
  std::string fault;
  Rng rng;
  // The checked __shared__ arrays the kernel touched (start, bytes) and their sum:
  // with the launch's dynamic shared memory at most 48 KB, as on the card.
  std::vector<std::pair<const void *, size_t>> shared_seen;
  size_t shared_static = 0;
};
Run g_run;
Buffer g_last;  // the buffer of the previous checked access (a cache)
std::recursive_mutex g_kernel_mu;

// The kernels' tallies in this test (cubias_emu_kernel_tally), and the running
// grid's blocks and atomics per device address.
std::map<std::string, cubias_emu_kernel_tally_t> g_tallies;
std::unordered_map<uintptr_t, long long> g_atomic_hits;
long long g_blocks_run = 0;

const char *state_name(State s) {
  switch (s) {
    case kRunnable: return "running";
    case kBarrier: return "at __syncthreads";
    case kWarp: return "at a warp intrinsic";
    default: return "exited";
  }
}

const char *op_name(WarpOp op) {
  switch (op) {
    case kShflIdx: return "__shfl_sync";
    case kShflUp: return "__shfl_up_sync";
    case kShflDown: return "__shfl_down_sync";
    case kShflXor: return "__shfl_xor_sync";
    case kBallot: return "__ballot_sync/__any_sync/__all_sync";
    default: return "__syncwarp";
  }
}

// Leaves fiber `f` for the next fiber of this round (a direct switch: half the
// switches of going through the scheduler), or for the scheduler at the end of
// the round or after a fault. Returns when someone resumes `f`; `dying` fibers
// are never resumed.
void switch_away(Fiber *f, bool dying) {
  Context *to = &g_run.sched;
  Fiber *next = nullptr;
  Block &b = *g_run.b;
  if (!g_run.faulted && b.pos < b.round.size()) {
    next = &b.fibers[b.round[b.pos++]];
    to = &next->ctx;
    threadIdx = next->idx;
  }
  g_run.cur = next;
#ifdef CUBIAS_EMU_ASAN
  if (next) __sanitizer_start_switch_fiber(dying ? nullptr : &f->fake, next->stack.lo, next->stack.size);
  else __sanitizer_start_switch_fiber(dying ? nullptr : &f->fake, g_run.main_bottom, g_run.main_size);
#endif
  context_switch(&f->ctx, to);
#ifdef CUBIAS_EMU_ASAN
  // Out-parameters in globals: an address-taken local would leave poisoned red
  // zones behind on the stack of a fiber that never returns.
  __sanitizer_finish_switch_fiber(f->fake, &g_run.from_bottom, &g_run.from_size);
  if (g_run.from_main) {
    g_run.main_bottom = g_run.from_bottom;
    g_run.main_size = g_run.from_size;
    g_run.from_main = false;
  }
#endif
}

void yield_to_scheduler() { switch_away(g_run.cur, false); }

void fiber_entry(void *arg) {
  Fiber *f = (Fiber *)arg;
#ifdef CUBIAS_EMU_ASAN
  __sanitizer_finish_switch_fiber(nullptr, &g_run.from_bottom, &g_run.from_size);
  if (g_run.from_main) {
    g_run.main_bottom = g_run.from_bottom;
    g_run.main_size = g_run.from_size;
    g_run.from_main = false;
  }
#endif
  g_run.grid->body();
  f->state = kDone;
  ++g_run.b->done;
  g_run.b->warps[f->tid >> 5].exited |= 1u << (f->tid & 31);
  switch_away(f, true);
  abort();  // never resumed
}

// Runs one round: the fibers of g_run.round in order, chained fiber to fiber.
void run_round() {
  Block &b = *g_run.b;
  if (b.round.empty()) return;
  Fiber *f = &b.fibers[b.round[0]];
  b.pos = 1;
  g_run.cur = f;
  threadIdx = f->idx;
#ifdef CUBIAS_EMU_ASAN
  g_run.from_main = true;
  __sanitizer_start_switch_fiber(&g_run.sched_fake, f->stack.lo, f->stack.size);
#endif
  context_switch(&g_run.sched, &f->ctx);
#ifdef CUBIAS_EMU_ASAN
  __sanitizer_finish_switch_fiber(g_run.sched_fake, nullptr, nullptr);
#endif
  g_run.cur = nullptr;
}

// The worker's thread-local block of the executable: the kernels' __shared__
// arrays (nothing else of the executable's thread-locals runs on the worker).
unsigned char *g_shared_lo = nullptr, *g_shared_hi = nullptr;

int find_tls(struct dl_phdr_info *info, size_t, void *) {
  for (int i = 0; i < info->dlpi_phnum; ++i)
    if (info->dlpi_phdr[i].p_type == PT_TLS && info->dlpi_tls_data) {
      g_shared_lo = (unsigned char *)info->dlpi_tls_data;
      g_shared_hi = g_shared_lo + info->dlpi_phdr[i].p_memsz;
    }
  return 1;  // the first object is the executable
}

unsigned lanes_of_warp(int w) {
  const int n = g_run.nthreads - w * 32;
  return n >= 32 ? 0xffffffffu : ((1u << n) - 1u);
}

std::string where() {
  char buf[160];
  const Fiber *f = g_run.cur;
  if (f)
    snprintf(buf, sizeof buf, "block (%u,%u,%u) thread (%u,%u,%u)", blockIdx.x, blockIdx.y,
             blockIdx.z, f->idx.x, f->idx.y, f->idx.z);
  else
    snprintf(buf, sizeof buf, "block (%u,%u,%u)", blockIdx.x, blockIdx.y, blockIdx.z);
  return buf;
}

void record_fault(const std::string &what) {
  if (g_run.faulted) return;
  g_run.faulted = true;
  char head[512];
  snprintf(head, sizeof head,
           "emulated device fault in kernel %s (launch #%llu, grid (%u,%u,%u), block (%u,%u,%u), "
           "device %d) at %s: ",
           g_run.grid->kernel.c_str(), (unsigned long long)g_run.grid->launch_no,
           g_run.grid->grid.x, g_run.grid->grid.y, g_run.grid->grid.z, g_run.grid->block.x,
           g_run.grid->block.y, g_run.grid->block.z, g_run.grid->device, where().c_str());
  g_run.fault = std::string(head) + what;
}

void complete_warp(Warp &w, int wi) {
  const unsigned arrived = w.arrived;
  unsigned ballot = 0;
  if (w.op == kBallot)
    for (unsigned m = arrived; m; m &= m - 1) {
      const int l = __builtin_ctz(m);
      ballot |= (unsigned)(w.bits[l] & 1u) << l;
    }
  for (unsigned m = arrived; m; m &= m - 1) {
    const int l = __builtin_ctz(m);
    Fiber &f = g_run.b->fibers[wi * 32 + l];
    const int width = w.width, seg = l & ~(width - 1), sl = l & (width - 1);
    int src = l;
    switch (w.op) {
      case kShflIdx: src = seg + (((w.arg[l] % width) + width) % width); break;
      case kShflUp: src = sl - w.arg[l] < 0 ? l : l - w.arg[l]; break;
      case kShflDown: src = sl + w.arg[l] >= width ? l : l + w.arg[l]; break;
      case kShflXor: {
        const int s = l ^ w.arg[l];
        src = (s >= 32 || (s & ~(width - 1)) > seg) ? l : s;
        break;
      }
      default: break;
    }
    if (w.op == kBallot) f.result = ballot;
    else if (w.op == kSyncWarp) f.result = 0;
    else f.result = ((arrived >> src) & 1u) ? w.bits[src] : ~0ull;  // inactive source: undefined
    f.state = kRunnable;
    g_run.b->next.push_back(f.tid);
  }
  w.arrived = 0;
}

std::string block_states() {
  std::string s;
  int shown = 0;
  for (int t = 0; t < g_run.nthreads; ++t) {
    const Fiber &f = g_run.b->fibers[t];
    if (f.state == kDone && shown) continue;
    if (++shown > 8) break;
    char buf[96];
    snprintf(buf, sizeof buf, "%sthread %d %s", s.empty() ? "" : ", ", f.tid, state_name(f.state));
    s += buf;
  }
  return s;
}

int g_stacks_taken = 0;  // fiber stacks handed to the slots (each keeps its own)

void scan_footprint();

// Makes `bidx` the block of slot `b`: fresh threads, shared memory poisoned.
void start_block(Block &b, uint3 bidx, unsigned char poison) {
  const Grid &g = *g_run.grid;
  const int n = g_run.nthreads;
  b.idx = bidx;
  b.active = true;
  if ((int)b.fibers.size() < n) {
    const int old = (int)b.fibers.size();
    b.fibers.resize(n);
    for (int t = old; t < n; ++t) b.fibers[t].stack = fiber_stack(g_stacks_taken++);
  }
  for (int t = 0; t < n; ++t) {
    Fiber &f = b.fibers[t];
    f.tid = t;
    f.idx = uint3{t % g.block.x, (t / g.block.x) % g.block.y, t / (g.block.x * g.block.y)};
    f.state = kRunnable;
    f.fake = nullptr;
    context_init(&f.ctx, f.stack, fiber_entry, &f);
  }
  b.warps.assign((n + 31) / 32, Warp{});
  b.round.resize(n);
  for (int t = 0; t < n; ++t) b.round[t] = t;
  b.next.clear();
  b.done = 0;
  // Shared memory poisoned: in place when the block runs alone, else its copy.
  const size_t bytes = (size_t)(g_shared_hi - g_shared_lo);
  if (g_run.resident == 1) {
    if (bytes) memset(g_shared_lo, poison, bytes);
    g_run.loaded = &b;
  } else {
    if (g_run.loaded == &b) {  // a finished block's chunks are the kernel's too
      scan_footprint();
      g_run.loaded = nullptr;
    }
    b.shared.assign(bytes, poison);
  }
}

// The shared memory a kernel uses, in 1 KB chunks: those any of its blocks held
// different from the poison pattern when it was switched out. The TLS block holds
// every kernel's arrays (hundreds of KB), so a switch between resident blocks
// scans the other chunks (reading, not copying) and copies only these. Exact: a
// chunk outside the footprint holds the poison pattern in every block's state.
constexpr size_t kChunk = 1024;
struct Footprint {
  std::vector<uint8_t> chunk;
  std::vector<std::pair<size_t, size_t>> runs;  // (offset, bytes) of the chunks, merged
};
std::unordered_map<std::string, Footprint> g_footprints;
Footprint *g_fp = nullptr;  // the running grid's
unsigned char g_poison = 0;

void copy_shared(unsigned char *dst, const unsigned char *src) {
  for (const auto &r : g_fp->runs) memcpy(dst + r.first, src + r.first, r.second);
}

// Before the running block's shared memory is saved: chunks it changed join the
// kernel's footprint.
void scan_footprint() {
  Footprint &fp = *g_fp;
  const size_t n = (size_t)(g_shared_hi - g_shared_lo), nc = (n + kChunk - 1) / kChunk;
  static unsigned char pz[kChunk];
  memset(pz, g_poison, kChunk);
  fp.chunk.resize(nc);
  bool added = false;
  for (size_t c = 0; c < nc; ++c)
    if (!fp.chunk[c] && memcmp(g_shared_lo + c * kChunk, pz, std::min(kChunk, n - c * kChunk))) {
      fp.chunk[c] = 1;
      added = true;
    }
  if (!added) return;
  fp.runs.clear();
  for (size_t c = 0; c < nc; ++c) {
    if (!fp.chunk[c]) continue;
    const size_t off = c * kChunk, len = std::min(kChunk, n - off);
    if (!fp.runs.empty() && fp.runs.back().first + fp.runs.back().second == off)
      fp.runs.back().second += len;
    else
      fp.runs.emplace_back(off, len);
  }
}

// Puts block b's shared memory in place (the worker's TLS block), saving the
// previous block's.
void load_block(Block &b) {
  g_run.b = &b;
  blockIdx = b.idx;
  if (g_run.loaded == &b) return;
  if (g_shared_hi == g_shared_lo) return;
  if (g_run.loaded) {  // (a finished block's chunks are the kernel's too)
    scan_footprint();
    if (g_run.loaded->active) copy_shared(g_run.loaded->shared.data(), g_shared_lo);
  }
  copy_shared(g_shared_lo, b.shared.data());
  g_run.loaded = &b;
}

enum Step { kMore, kBlockDone, kFault };

// One round of block b: its runnable threads in a seeded order, each until it
// waits (barrier, warp intrinsic), exits or is preempted at a checked access.
Step step_block(Block &b) {
  const int n = g_run.nthreads;
  std::vector<int> &runnable = b.round;
  shuffle(runnable, g_run.rng);
  b.next.clear();
  run_round();
  if (g_run.faulted) return kFault;
  runnable.swap(b.next);
  if (!runnable.empty()) return kMore;
  if (b.done == n) return kBlockDone;
  int barrier = 0;
  for (int t = 0; t < n; ++t) barrier += b.fibers[t].state == kBarrier;
  if (barrier == n - b.done && b.done == 0) {  // everyone arrived: release the barrier
    for (int t = 0; t < n; ++t) {
      b.fibers[t].state = kRunnable;
      runnable.push_back(t);
    }
    return kMore;
  }
  record_fault(std::string(b.done && barrier == n - b.done
                               ? "__syncthreads reached by some threads while others exited: "
                               : "deadlock (threads wait at different barriers or warp "
                                 "intrinsics): ") +
               block_states());
  return kFault;
}

// Preemptive schedules (CUBIAS_EMU_PREEMPT=k, k > 0): a thread yields at about
// one in k checked accesses and atomics, and several blocks are resident.
int g_preempt = [] {
  const char *e = getenv("CUBIAS_EMU_PREEMPT");
  return e && *e ? std::max(0, atoi(e)) : 0;
}();
int preempt_rate() { return g_preempt; }

// Inside a kernel under a preemptive schedule: maybe leave the running thread
// (it stays runnable: the next round resumes it).
void maybe_preempt() {
  const int k = preempt_rate();
  if (!k || !g_run.cur || g_run.faulted || g_run.rng() % (uint64_t)k) return;
  g_run.b->next.push_back(g_run.cur->tid);
  yield_to_scheduler();
}

}  // namespace

// ---- device-side entry points (cubias_emu/device.h) ----------------------------

namespace {
pthread_t g_worker_thread;
std::atomic<bool> g_have_worker{false};
// The launch's dynamic shared memory (extern __shared__): on the worker, part of
// the thread-local block that is poisoned at the start of every block.
thread_local unsigned char g_dynamic_shared[48 * 1024] __attribute__((aligned(16)));
constexpr size_t kSharedPerBlock = 48 * 1024;

bool on_kernel_thread() {
  return g_have_worker.load(std::memory_order_relaxed) &&
         pthread_equal(pthread_self(), g_worker_thread) && g_run.cur;
}

void note_shared(const void *lo, size_t bytes) {
  if (lo == g_dynamic_shared) return;  // the launch's smem, counted below
  for (const auto &s : g_run.shared_seen)
    if (s.first == lo) return;
  g_run.shared_seen.emplace_back(lo, bytes);
  g_run.shared_static += bytes;
  if (g_run.shared_static + g_run.grid->smem > kSharedPerBlock)
    fault("%zu bytes of static __shared__ arrays (%zu arrays so far) and %zu of dynamic shared "
          "memory: over the 48 KB a block may hold", g_run.shared_static, g_run.shared_seen.size(),
          g_run.grid->smem);
}
}  // namespace

void fault(const char *fmt, ...) {
  char buf[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  if (!g_run.cur) {  // not inside a kernel: a host-side misuse
    report(std::string("emulated device: ") + buf);
    abort();
  }
  record_fault(buf);
  for (;;) yield_to_scheduler();  // never resumed: the kernel is abandoned
}

void syncthreads() {
  if (!g_run.cur) fault("__syncthreads outside a kernel");
  g_run.cur->state = kBarrier;
  yield_to_scheduler();
}

// The vote is read between two barriers, so no thread can overwrite its vote
// (in the next call) before every thread has read them all.
int syncthreads_or(int pred) {
  if (!g_run.cur) fault("__syncthreads_or outside a kernel");
  g_run.cur->vote = pred != 0;
  syncthreads();
  int any = 0;
  for (int t = 0; t < g_run.nthreads; ++t) any |= g_run.b->fibers[t].vote;
  syncthreads();
  return any;
}

unsigned existing_lanes() {
  if (!g_run.cur) fault("warp intrinsic outside a kernel");
  return lanes_of_warp(g_run.cur->tid >> 5);
}

uint64_t warp_op(WarpOp op, unsigned mask, uint64_t bits, int arg, int width) {
  Fiber *f = g_run.cur;
  if (!f) fault("%s outside a kernel", op_name(op));
  const int wi = f->tid >> 5, lane = f->tid & 31;
  if (!((mask >> lane) & 1u)) fault("%s: calling lane %d is not in mask 0x%08x", op_name(op), lane, mask);
  if (width < 1 || width > 32 || (width & (width - 1)))
    fault("%s: width %d is not a power of two in [1, 32]", op_name(op), width);
  Warp &w = g_run.b->warps[wi];
  if (w.arrived && (w.op != op || w.mask != mask || w.width != width))
    fault("warp %d diverged: lane %d calls %s (mask 0x%08x) while other lanes wait in %s "
          "(mask 0x%08x)", wi, lane, op_name(op), mask, op_name(w.op), w.mask);
  if (!w.arrived) {
    w.op = op;
    w.mask = mask;
    w.width = width;
  }
  w.bits[lane] = bits;
  w.arg[lane] = arg;
  w.arrived |= 1u << lane;
  f->state = kWarp;
  const unsigned need = mask & lanes_of_warp(wi);
  if (const unsigned gone = need & ~w.arrived & w.exited)
    fault("%s with mask 0x%08x: lane %d of warp %d has exited", op_name(op), mask,
          __builtin_ctz(gone), wi);
  if ((w.arrived & need) == need) complete_warp(w, wi);
  yield_to_scheduler();
  return f->result;
}

// The one hook of every checked access (cubias_emu/access.h). On a thread that
// runs no kernel (the CPU backend shares the math headers) it does nothing. Atomics
// come here too (check_atomic) and cannot yield between their read and write.
void check_access(const void *base, size_t base_bytes, const void *p, size_t bytes, size_t align,
                  const char *what) {
  if (!on_kernel_thread()) return;
  maybe_preempt();  // a preemptive schedule (CUBIAS_EMU_PREEMPT) may switch here, before the access
  const uintptr_t a = (uintptr_t)p, b = (uintptr_t)base;
  if (align > 1 && a % align)
    fault("%s of %zu bytes at %p: misaligned (needs %zu-byte alignment)", what, bytes, p, align);
  if (base_bytes) {  // a __shared__ array (CUBIAS_SHARED) or the dynamic shared memory
    if (a < b || a + bytes > b + base_bytes)
      fault("%s of %zu bytes at %p: outside its %zu-byte __shared__ array at %p", what, bytes, p,
            base_bytes, base);
    note_shared(base, base_bytes);
    return;
  }
  const uintptr_t s0 = (uintptr_t)g_shared_lo, s1 = (uintptr_t)g_shared_hi;
  if (b >= s0 && b < s1) {  // a plain __shared__ array (the emulator's own tests)
    if (a >= s0 && a + bytes <= s1) return;
    fault("%s of %zu bytes at %p: leaves shared memory", what, bytes, p);
  }
  Buffer &buf = g_last;
  if (!(b >= buf.lo && b < buf.hi)) {
    if (!find_buffer(base, &buf)) {
      buf = Buffer{};
      fault("%s of %zu bytes at %p: not in any emulated device allocation (a host pointer, freed "
            "memory, or out of bounds)", what, bytes, p);
    }
  }
  if (a < buf.lo || a + bytes > buf.hi) {
    const Buffer bad = buf;
    buf = Buffer{};
    fault("%s of %zu bytes at %p: outside the %zu-byte %s at %p that its pointer %p points into",
          what, bytes, p, (size_t)(bad.hi - bad.lo), bad.slice ? "workspace slice" : "allocation",
          (const void *)bad.lo, base);
  }
  if (buf.device != g_run.grid->device)
    fault("%s at %p: memory of device %d, kernel runs on device %d", what, p, buf.device,
          g_run.grid->device);
  if (!buf.cacheable) buf = Buffer{};  // a pointer between the slices of an allocation
}

void *dynamic_shared(size_t *bytes) {
  if (!on_kernel_thread()) fault("dynamic shared memory outside a kernel");
  *bytes = g_run.grid->smem;
  return g_dynamic_shared;
}

void check_atomic(const void *p, size_t bytes, const char *what) {
  check_access(p, 0, p, bytes, bytes, what);
  const uintptr_t a = (uintptr_t)p;
  if (!(a >= (uintptr_t)g_shared_lo && a + bytes <= (uintptr_t)g_shared_hi)) ++g_atomic_hits[a];
}

void threadfence() { maybe_preempt(); }

int set_preempt(int k) {
  std::lock_guard<std::recursive_mutex> lock(g_kernel_mu);
  const int old = g_preempt;
  g_preempt = std::max(0, k);
  return old;
}

int planted(int n) {
  static const int v = [] {
    const char *e = getenv("CUBIAS_EMU_PLANT");
    return e ? atoi(e) : 0;
  }();
  return v == n;
}

// ---- host side --------------------------------------------------------------

std::string kernel_name(const char *sig) {
  // "... [with auto K = {anonymous}::rows_kernel<...>; A = {...}]"
  std::string s(sig);
  size_t b = s.find("K = ");
  if (b == std::string::npos) return s;
  b += 4;
  size_t e = s.find("; ", b);
  if (e == std::string::npos) e = s.find(']', b);
  std::string k = s.substr(b, e - b);
  const std::string anon = "{anonymous}::";
  for (size_t i; (i = k.find(anon)) != std::string::npos;) k.erase(i, anon.size());
  if (!k.empty() && k[0] == '&') k.erase(0, 1);
  return k;
}

void run_on_worker();

namespace {

void tally(const Grid &g) {
  cubias_emu_kernel_tally_t &t = g_tallies[g.kernel];
  t.launches += 1;
  t.blocks += g_blocks_run;
  t.threads += g_blocks_run * g_run.nthreads;
  t.block_threads = std::max<long long>(t.block_threads, g_run.nthreads);
  for (const auto &hit : g_atomic_hits) {
    t.global_atomics += hit.second;
    t.max_address_atomics = std::max(t.max_address_atomics, hit.second);
  }
}

}  // namespace

void reset_tallies() {
  std::lock_guard<std::recursive_mutex> lock(g_kernel_mu);
  g_tallies.clear();
}

void run_grid(const Grid &g) {
  std::lock_guard<std::recursive_mutex> lock(g_kernel_mu);
  for (const PtrArg &a : g.ptrs) {
    if (!a.p) continue;  // null: the kernel's own business (optional outputs)
    Alloc al;
    const char *bad = nullptr;
    char buf[160];
    if (!find_alloc(a.p, &al)) bad = "not an emulated device allocation (a host pointer, or freed)";
    else if (al.device != g.device) {
      snprintf(buf, sizeof buf, "memory of device %d, the kernel runs on device %d", al.device,
               g.device);
      bad = buf;
    }
    if (bad) {
      char msg[512];
      snprintf(msg, sizeof msg,
               "emulated device fault in kernel %s (launch #%llu, device %d): %s #%d (%p) is %s",
               g.kernel.c_str(), (unsigned long long)g.launch_no, g.device,
               a.in_struct ? "a pointer in struct argument" : "pointer argument", a.index, a.p,
               bad);
      set_sticky(cudaErrorIllegalAddress);
      report(msg);
      return;
    }
  }
#ifdef CUBIAS_EMU_ASAN
  if (g_run.stacks_dirty)  // frames of abandoned fibers
    for (Block &b : g_run.slots)
      for (Fiber &f : b.fibers) __asan_unpoison_memory_region(f.stack.lo, f.stack.size);
#endif
  g_run.stacks_dirty = false;
  g_run.grid = &g;
  g_last = Buffer{};
  g_run.shared_seen.clear();
  g_run.shared_static = 0;
  g_run.faulted = false;
  g_run.fault.clear();
  g_run.nthreads = (int)(g.block.x * g.block.y * g.block.z);
  g_run.rng.seed(base_seed() * 0x9E3779B97F4A7C15ull + g.launch_no);
  g_atomic_hits.clear();
  g_blocks_run = 0;
  run_on_worker();
  g_run.grid = nullptr;
  tally(g);
  if (g_run.faulted) {
    g_run.stacks_dirty = true;
    const bool misaligned = g_run.fault.find("misaligned") != std::string::npos;
    set_sticky(misaligned ? cudaErrorMisalignedAddress : cudaErrorIllegalAddress);
    char seed[96];
    snprintf(seed, sizeof seed, " [replay: CUBIAS_EMU_SEED=%llu]", (unsigned long long)base_seed());
    report(g_run.fault + seed);
  }
}

namespace {

// On the worker: every block of g_run.grid.
void run_blocks() {
  const Grid &g = *g_run.grid;
  const unsigned char poison = (base_seed() & 1) ? 0xff : 0xa5;
  gridDim = g.grid;
  blockDim = g.block;
  // Blocks in a seeded order (a random start and stride over the linear index:
  // a permutation without a table, since grids can be large).
  const uint64_t nb = (uint64_t)g.grid.x * g.grid.y * g.grid.z;
  uint64_t stride = (g_run.rng() % nb) | 1;
  while (std::gcd(stride, nb) != 1) stride += 2;
  uint64_t b = g_run.rng() % nb, started = 0;
  auto next_block = [&]() {
    const uint3 bi{(unsigned)(b % g.grid.x), (unsigned)((b / g.grid.x) % g.grid.y),
                   (unsigned)(b / ((uint64_t)g.grid.x * g.grid.y))};
    b = (b + stride) % nb;
    ++started;
    ++g_blocks_run;
    return bi;
  };
  // Resident blocks: one at a time, or under a preemptive schedule as many as
  // fit 2048 threads (an SM's), at most 8, interleaved round by round in a
  // seeded order: after each round another block runs with probability 1/4
  // (a switch saves and restores the kernel's shared-memory footprint).
  const uint64_t fit = preempt_rate() ? std::max(1, std::min(8, 2048 / g_run.nthreads)) : 1;
  const int resident = (int)std::min<uint64_t>(nb, fit);
  if ((int)g_run.slots.size() < resident) g_run.slots.resize(resident);
  g_run.loaded = nullptr;
  g_run.resident = resident;
  g_fp = &g_footprints[g.kernel];
  g_poison = poison;
  if (resident > 1 && g_shared_hi != g_shared_lo)  // outside the footprint: poison
    memset(g_shared_lo, poison, (size_t)(g_shared_hi - g_shared_lo));
  for (int i = 0; i < resident; ++i) start_block(g_run.slots[i], next_block(), poison);
  int live = resident, pick = 0;
  while (live > 0) {
    if (resident > 1 && (!g_run.slots[pick].active || g_run.rng() % 4 == 0))
      pick = (int)(g_run.rng() % (uint64_t)resident);
    while (!g_run.slots[pick].active) pick = (pick + 1) % resident;
    Block &blk = g_run.slots[pick];
    load_block(blk);
    const Step st = step_block(blk);
    if (st == kFault) break;
    if (st == kBlockDone) {
      if (started < nb) start_block(blk, next_block(), poison);
      else blk.active = false, --live;
    }
  }
  for (int i = 0; i < resident; ++i) g_run.slots[i].active = false;
  g_run.b = g_run.loaded = nullptr;
}

struct Worker {
  std::mutex mu;
  std::condition_variable cv;
  bool job = false;
};
Worker *g_worker = nullptr;  // never destroyed: the thread waits on it until exit

void worker_main() {
  dl_iterate_phdr(find_tls, nullptr);
  g_worker_thread = pthread_self();
  g_have_worker = true;
  for (;;) {
    std::unique_lock<std::mutex> lock(g_worker->mu);
    g_worker->cv.wait(lock, [] { return g_worker->job; });
    run_blocks();
    g_worker->job = false;
    g_worker->cv.notify_all();
  }
}

}  // namespace

void run_on_worker() {
  if (!g_worker) {
    g_worker = new Worker;
    std::thread(worker_main).detach();
  }
  std::unique_lock<std::mutex> lock(g_worker->mu);
  g_worker->job = true;
  g_worker->cv.notify_all();
  g_worker->cv.wait(lock, [] { return !g_worker->job; });
}

}  // namespace cubias_emu

extern "C" cubias_emu_kernel_tally_t cubias_emu_kernel_tally(const char *kernel) {
  std::lock_guard<std::recursive_mutex> lock(cubias_emu::g_kernel_mu);
  const auto it = cubias_emu::g_tallies.find(kernel ? kernel : "");
  return it == cubias_emu::g_tallies.end() ? cubias_emu_kernel_tally_t{} : it->second;
}
