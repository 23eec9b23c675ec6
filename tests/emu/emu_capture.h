// The emulator's own tests: what the emulated device reports, captured instead of
// failing the test (cubias_emu::set_report_hook), for as long as a Captured lives.
#ifndef CUBIAS_EMU_CAPTURE_H
#define CUBIAS_EMU_CAPTURE_H

#include <string>
#include <vector>

#include "emu_internal.h"

struct Captured {
  // kResetAtEnd: the device state (sticky faults) is reset when the capture ends.
  enum Reset { kKeepState, kResetAtEnd };
  static std::vector<std::string> &msgs() {
    static std::vector<std::string> m;
    return m;
  }
  static void hook(const char *msg) { msgs().push_back(msg); }
  explicit Captured(Reset r = kKeepState) : old(cubias_emu::set_report_hook(hook)), reset(r) {
    msgs().clear();
  }
  ~Captured() {
    cubias_emu::set_report_hook(old);
    if (reset == kResetAtEnd) cubias_emu::reset_for_test();
  }
  Captured(const Captured &) = delete;
  Captured &operator=(const Captured &) = delete;
  std::string all() const {
    std::string s;
    for (const auto &m : msgs()) s += m + "\n";
    return s;
  }
  bool has(const char *what) const { return all().find(what) != std::string::npos; }

 private:
  void (*old)(const char *);
  Reset reset;
};

#endif
