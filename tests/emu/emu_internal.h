// Internal interface between the parts of the emulated device (tests/emu/).
#ifndef CUBIAS_EMU_INTERNAL_H
#define CUBIAS_EMU_INTERNAL_H

#include <stdint.h>

#include <functional>
#include <string>
#include <vector>

#include "cuda_runtime.h"

namespace cubias_emu {

// ---- report.cpp: failures become test failures (gtest_hooks.cpp installs the hook)
void report(const std::string &msg);
// Returns the previous hook.
void (*set_report_hook(void (*hook)(const char *msg)))(const char *);
uint64_t base_seed();

// ---- memory.cpp: the allocation registry
struct Alloc {
  uintptr_t lo = 0;
  size_t bytes = 0;
  int device = -1;
};
// The live allocation that holds [p, p + bytes) (p == end allowed for bytes == 0).
bool find_alloc(const void *p, Alloc *out);
// The logical buffer a kernel's pointer `base` points into: the workspace slice
// marked with cubias_emu_mark_buffer that holds it, else its whole allocation.
struct Buffer {
  uintptr_t lo = 0, hi = 0;
  int device = -1;
  bool slice = false;
  bool cacheable = false;  // a slice, or an allocation that holds none
};
bool find_buffer(const void *base, Buffer *out);
bool find_locked_public(const void *p, size_t bytes);  // [p, p + bytes) in one allocation
void mark_buffer(const void *p, size_t bytes);
void clear_buffers(const void *p);  // every slice of p's allocation
int current_device();
int device_count();
// Every runtime entry point says so first: the process has touched CUDA, and
// (makes_context) the calling thread now has a current context, as the real
// runtime's primary context becomes current on its first such call.
void api_call(bool makes_context);

// ---- runtime.cpp: streams, capture, errors
struct Range {
  const void *p;
  size_t bytes;
};
// Queues `work` on `stream` (it runs at a synchronising call that waits on it;
// at once with CUBIAS_EMU_ASYNC=0), or records it when `stream` is capturing.
// `what` names it in race reports; `writes`: device memory it may write.
// Returns the error the enqueue itself meets (bad stream, capture rules).
cudaError_t enqueue(cudaStream_t stream, std::function<void()> work, const char *what = "work",
                    std::vector<Range> writes = {});
bool async_streams();
// Runs every pending operation (cudaFree and the like synchronise the device).
void synchronize_all();
int stream_device(cudaStream_t stream);  // -1 for the legacy stream (current device)
bool stream_valid(cudaStream_t stream);
void set_last_error(cudaError_t e);
// A device fault: sticky on the current device until the test ends.
void set_sticky(cudaError_t e);
cudaError_t sticky();
// Per-test reset (gtest_hooks.cpp): sticky errors cleared, capture state dropped,
// kernel tallies zeroed.
void reset_for_test();

// ---- scheduler.cpp: one launch executed on the fibers
struct Grid {
  std::string kernel;  // the kernel's name, from the launch signature
  dim3 grid, block;
  size_t smem = 0;
  int device = 0;
  uint64_t launch_no = 0;
  std::function<void()> body;
  std::vector<PtrArg> ptrs;
};
// Preemptive schedules: a thread yields at about one in k checked accesses and
// atomics, several blocks resident (0: off). Starts from CUBIAS_EMU_PREEMPT;
// returns the previous k.
int set_preempt(int k);
// Runs every block; a fault is reported and makes the device's error sticky.
void run_grid(const Grid &g);
std::string kernel_name(const char *signature);
// Per-test reset: the kernels' tallies (cubias_emu_kernel_tally) start from zero.
void reset_tallies();

// How many runtime calls the process has made (runtime.cpp; the registry check of
// gtest_hooks.cpp counts them per test).
long long runtime_calls();

// ---- resources.cpp: launch resources (__launch_bounds__, registers per thread)
// True, with the reason, when a block of `threads` threads of this kernel would be
// refused as cudaErrorLaunchOutOfResources on an architecture CI compiles.
bool resource_refusal(const std::string &kernel, const char *signature,
                      unsigned long long threads, std::string *why);

}  // namespace cubias_emu

#endif
