// Fiber stacks and the context switch (see fiber.h). On x86-64 a hand-written
// switch of the callee-saved registers (no MXCSR or x87 control word: all
// fibers run on one thread and nothing changes the floating-point modes):
// swapcontext costs a system call per switch, and a block switches at every
// barrier and warp shuffle of every thread. Elsewhere, ucontext.
#include "fiber.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include <mutex>
#include <vector>

#ifndef CUBIAS_EMU_ASM_SWITCH
#include <ucontext.h>
#endif

namespace cubias_emu {

namespace {
#if defined(__SANITIZE_ADDRESS__)
constexpr size_t kStackBytes = 1u << 20;  // instrumented frames are larger
#else
constexpr size_t kStackBytes = 256u << 10;
#endif
std::vector<FiberStack> g_stacks;
std::mutex g_stacks_mu;
}  // namespace

FiberStack fiber_stack(int index) {
  std::lock_guard<std::mutex> lock(g_stacks_mu);
  while ((int)g_stacks.size() <= index) {
    const size_t page = (size_t)sysconf(_SC_PAGESIZE);
    void *m = mmap(nullptr, kStackBytes + page, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (m == MAP_FAILED) {
      fprintf(stderr, "cubias emu: cannot map a fiber stack\n");
      abort();
    }
    mprotect(m, page, PROT_NONE);  // overflow faults instead of corrupting a neighbour
    // Stack tops staggered by a page and a cache line per fiber: tops that lie a
    // power of two apart would all compete for the same cache sets.
    const size_t color = ((size_t)g_stacks.size() * (4096 + 64)) % (kStackBytes / 2);
    g_stacks.push_back(FiberStack{(char *)m + page, kStackBytes - color});
  }
  return g_stacks[index];
}

#ifdef CUBIAS_EMU_ASM_SWITCH

extern "C" void cubias_emu_swap(void **save_sp, void *new_sp);
extern "C" void cubias_emu_trampoline();
asm(R"(
  .text
  .globl cubias_emu_swap
  .type cubias_emu_swap,@function
cubias_emu_swap:
  endbr64
  pushq %rbp
  pushq %rbx
  pushq %r12
  pushq %r13
  pushq %r14
  pushq %r15
  movq %rsp, (%rdi)
  movq %rsi, %rsp
  popq %r15
  popq %r14
  popq %r13
  popq %r12
  popq %rbx
  popq %rbp
  ret
  .size cubias_emu_swap, .-cubias_emu_swap
  .globl cubias_emu_trampoline
  .type cubias_emu_trampoline,@function
cubias_emu_trampoline:
  endbr64
  movq %r12, %rdi
  callq *%r13
  ud2
  .size cubias_emu_trampoline, .-cubias_emu_trampoline
)");

void context_init(Context *ctx, FiberStack stack, void (*entry)(void *), void *arg) {
  uintptr_t top = ((uintptr_t)(stack.lo + stack.size) & ~(uintptr_t)15) - 16;
  uint64_t *s = (uint64_t *)top;  // s[0]: where rsp points after `ret` (16-aligned)
  s[-1] = (uint64_t)(uintptr_t)&cubias_emu_trampoline;
  s[-2] = 0;                            // rbp: ends frame-pointer walks
  s[-3] = 0;                            // rbx
  s[-4] = (uint64_t)(uintptr_t)arg;     // r12
  s[-5] = (uint64_t)(uintptr_t)entry;   // r13
  s[-6] = 0;                            // r14
  s[-7] = 0;                            // r15
  ctx->sp = s - 7;
}

void context_switch(Context *from, Context *to) { cubias_emu_swap(&from->sp, to->sp); }

#else  // ucontext

namespace {
struct Start {
  void (*entry)(void *);
  void *arg;
};
void uc_entry(unsigned lo, unsigned hi) {
  Start *s = (Start *)(((uintptr_t)hi << 32) | lo);
  s->entry(s->arg);
  abort();  // fibers never return
}
}  // namespace

void context_init(Context *ctx, FiberStack stack, void (*entry)(void *), void *arg) {
  if (!ctx->uc) ctx->uc = new ucontext_t;
  ucontext_t *uc = (ucontext_t *)ctx->uc;
  getcontext(uc);
  uc->uc_stack.ss_sp = stack.lo;
  uc->uc_stack.ss_size = stack.size - 64;
  uc->uc_link = nullptr;
  Start *s = (Start *)(stack.lo + stack.size - 64);
  s->entry = entry;
  s->arg = arg;
  const uintptr_t p = (uintptr_t)s;
  makecontext(uc, (void (*)())uc_entry, 2, (unsigned)p, (unsigned)(p >> 32));
}

void context_switch(Context *from, Context *to) {
  if (!from->uc) from->uc = new ucontext_t;
  swapcontext((ucontext_t *)from->uc, (ucontext_t *)to->uc);
}

#endif

}  // namespace cubias_emu
