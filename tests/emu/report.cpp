// How the emulated device tells a test that something went wrong, and its seed.
#include <stdio.h>
#include <stdlib.h>

#include <string>

#include "emu_internal.h"

namespace cubias_emu {

namespace {
void (*g_hook)(const char *) = nullptr;
}

void (*set_report_hook(void (*hook)(const char *)))(const char *) {
  void (*old)(const char *) = g_hook;
  g_hook = hook;
  return old;
}

void report(const std::string &msg) {
  if (g_hook) g_hook(msg.c_str());
  else fprintf(stderr, "%s\n", msg.c_str());
}

// CUBIAS_EMU_SEED picks the schedule (block order, thread order between
// barriers) and the poison pattern; the same seed replays the same run.
uint64_t base_seed() {
  static const uint64_t s = [] {
    const char *v = getenv("CUBIAS_EMU_SEED");
    return v && *v ? strtoull(v, nullptr, 0) : 1ull;
  }();
  return s;
}

}  // namespace cubias_emu
