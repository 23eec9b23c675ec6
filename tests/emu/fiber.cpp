// Fiber stacks and the context switch (see fiber.h). On x86-64 a hand-written
// switch (callee-saved registers, MXCSR and x87 control word): swapcontext
// costs a system call per switch, and a block switches at every barrier and
// warp shuffle of every thread. Elsewhere, ucontext.
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
    g_stacks.push_back(FiberStack{(char *)m + page, kStackBytes});
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
  subq $16, %rsp
  stmxcsr 8(%rsp)
  fnstcw (%rsp)
  movq %rsp, (%rdi)
  movq %rsi, %rsp
  ldmxcsr 8(%rsp)
  fldcw (%rsp)
  addq $16, %rsp
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
  uint32_t mxcsr;
  uint16_t fpucw;
  asm volatile("stmxcsr %0" : "=m"(mxcsr));
  asm volatile("fnstcw %0" : "=m"(fpucw));
  uint64_t *ctl = s - 9;  // 16 bytes: x87 control word at +0, MXCSR at +8
  ctl[0] = fpucw;
  ctl[1] = mxcsr;
  ctx->sp = ctl;
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
