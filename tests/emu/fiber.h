// Cooperative contexts for the threads of an emulated block: a stack each and a
// switch that saves only what the calling convention makes the callee keep.
#ifndef CUBIAS_EMU_FIBER_H
#define CUBIAS_EMU_FIBER_H

#include <stddef.h>

#if defined(__x86_64__) && !defined(CUBIAS_EMU_NO_ASM)
#define CUBIAS_EMU_ASM_SWITCH 1
#endif

namespace cubias_emu {

struct FiberStack {
  char *lo = nullptr;  // lowest usable byte (a guard page lies below)
  size_t size = 0;
};

// A stack from the pool (kept for the process: blocks reuse them).
FiberStack fiber_stack(int index);

// The saved state of a context, opaque.
struct Context {
  void *sp = nullptr;
#ifndef CUBIAS_EMU_ASM_SWITCH
  void *uc = nullptr;
#endif
};

// Prepares `ctx` to run entry(arg) on `stack` when first switched to.
void context_init(Context *ctx, FiberStack stack, void (*entry)(void *), void *arg);
// Saves the running context into `from` and resumes `to`.
void context_switch(Context *from, Context *to);

}  // namespace cubias_emu

#endif
