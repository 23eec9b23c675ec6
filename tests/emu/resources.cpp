// Launch resources as on the card (issue 19 item 3): each library kernel's
// __launch_bounds__ and registers per thread, from the build's register table
// (cmake/kernel_resources.sh) for the architectures CI compiles, committed as
// tests/emu/kernel_resources.txt (cmake/kernel_table.sh writes it; the ctest
// kernel_resources_table_current checks it against the build). A launch with more
// threads than the bound, or whose block needs more registers than an SM holds on
// one of those architectures, is refused as cudaErrorLaunchOutOfResources.
// CUBIAS_EMU_RESOURCES=0 turns the checks off (to show what they catch).
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <map>
#include <mutex>
#include <string>

#include "emu_internal.h"

namespace cubias_emu {

namespace {

struct Resources {
  int regs = 0;   // the most registers per thread of any instance, on any architecture
  int bound = 0;  // __launch_bounds__'s threads per block (0: none)
  std::string arch;  // where regs was found
};

std::mutex g_mu;
std::map<std::string, Resources> *g_table = nullptr;
std::string g_table_error;

// "rows_kernel<f32, 0>(...)" -> "rows_kernel"
// (c++filt writes a template instance's return type first: "void rows_kernel<...>".)
std::string base_name(std::string k) {
  if (k.compare(0, 5, "void ") == 0) k.erase(0, 5);
  const size_t e = k.find_first_of("<( ");
  return e == std::string::npos ? k : k.substr(0, e);
}

std::map<std::string, Resources> &table() {
  if (g_table) return *g_table;
  g_table = new std::map<std::string, Resources>;
  FILE *f = fopen(CUBIAS_EMU_RESOURCE_TABLE, "r");
  if (!f) {
    g_table_error = "cannot read " CUBIAS_EMU_RESOURCE_TABLE;
    return *g_table;
  }
  char line[4096];
  while (fgets(line, sizeof line, f)) {
    char arch[32], name[4000];
    int regs, spill, smem, bound;
    if (line[0] == '#' || sscanf(line, "%31s %d %d %d %d %3999[^\n]", arch, &regs, &spill, &smem,
                                 &bound, name) != 6)
      continue;
    Resources &r = (*g_table)[base_name(name)];
    if (regs > r.regs) r.regs = regs, r.arch = arch;
    if (bound && (!r.bound || bound < r.bound)) r.bound = bound;
  }
  fclose(f);
  return *g_table;
}

bool checks_on() {
  static const bool on = [] {
    const char *v = getenv("CUBIAS_EMU_RESOURCES");
    return !(v && !strcmp(v, "0"));
  }();
  return on;
}

}  // namespace

// Registers a block of `threads` threads at `regs` per thread takes from an SM's
// 65536 (every architecture CI compiles): per warp, regs * 32 rounded up to the
// allocation unit of 256.
long long block_registers(int regs, long long threads) {
  const long long warps = (threads + 31) / 32;
  return warps * ((regs * 32LL + 255) / 256 * 256);
}

void set_kernel_resources(const char *kernel, int regs, int bound) {
  std::lock_guard<std::mutex> lock(g_mu);
  Resources &r = table()[kernel];
  r.regs = regs;
  r.bound = bound;
  r.arch = "test";
}

bool resource_refusal(const std::string &kernel, const char *signature, unsigned long long threads,
                      std::string *why) {
  if (!checks_on()) return false;
  std::lock_guard<std::mutex> lock(g_mu);
  const auto &t = table();
  const auto it = t.find(base_name(kernel));
  char msg[512];
  if (it == t.end()) {
    // The library's kernels (launched by cubias_launch) must all be in the table;
    // the emulator's own test kernels need not.
    if (!strstr(signature, "cubias_launch")) return false;
    snprintf(msg, sizeof msg,
             "kernel %s is not in the launch-resource table %s%s%s (regenerate it: "
             "cmake/kernel_table.sh)",
             base_name(kernel).c_str(), CUBIAS_EMU_RESOURCE_TABLE, g_table_error.empty() ? "" : ": ",
             g_table_error.c_str());
    *why = msg;
    return true;
  }
  const Resources &r = it->second;
  if (r.bound && threads > (unsigned long long)r.bound) {
    snprintf(msg, sizeof msg, "%llu threads per block, beyond its __launch_bounds__ of %d", threads,
             r.bound);
    *why = msg;
    return true;
  }
  const long long need = block_registers(r.regs, (long long)threads);
  if (need > 65536) {
    snprintf(msg, sizeof msg,
             "%llu threads of %d registers (%s) need %lld registers, more than an SM's 65536",
             threads, r.regs, r.arch.c_str(), need);
    *why = msg;
    return true;
  }
  return false;
}

}  // namespace cubias_emu

extern "C" void cubias_emu_set_kernel_resources(const char *kernel, int regs, int bound) {
  cubias_emu::set_kernel_resources(kernel, regs, bound);
}
