// cubias: the command-line tool for activations dumped from Python frameworks
// as .npy files. `cubias help` lists the commands.
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <new>
#include <stdexcept>
#include <string>
#include <vector>

#include "cli.h"
#include "npy.h"

namespace cli {

Args::Args(int argc, char **argv, int first) {
  for (int i = first; i < argc; ++i) {
    std::string a = argv[i];
    if (a.rfind("--", 0) == 0) {
      std::string key = a.substr(2), value = "true";
      size_t eq = key.find('=');
      if (eq != std::string::npos) {
        value = key.substr(eq + 1);
        key = key.substr(0, eq);
      } else if (i + 1 < argc && std::string(argv[i + 1]).rfind("--", 0) != 0 &&
                 !is_flag(key)) {
        value = argv[++i];
      }
      opts[key] = value;
    } else {
      positional.push_back(a);
    }
  }
}

bool Args::is_flag(const std::string &key) {
  return key == "json" || key == "help" || key == "quiet" || key == "causal" ||
         key == "bidirectional";
}

bool Args::has(const std::string &k) const { return opts.count(k) != 0; }

std::string Args::get(const std::string &k, const std::string &dflt) const {
  auto it = opts.find(k);
  return it == opts.end() ? dflt : it->second;
}

bool Args::number(const std::string &k, double dflt, double *out, std::string *err) const {
  if (!has(k)) {
    *out = dflt;
    return true;
  }
  const std::string v = get(k, "");
  char *end = nullptr;
  *out = strtod(v.c_str(), &end);
  if (v.empty() || *end != '\0') {
    *err = "--" + k + " wants a number, got '" + v + "'";
    return false;
  }
  return true;
}

bool Args::choice(const std::string &k, std::initializer_list<const char *> names, int dflt,
                  int *out, std::string *err) const {
  const std::string v = get(k, "");
  int i = 0;
  for (const char *n : names) {
    if (has(k) && v == n) {
      *out = i;
      return true;
    }
    ++i;
  }
  if (!has(k) && dflt >= 0) {
    *out = dflt;
    return true;
  }
  std::string list;
  i = 0;
  for (const char *n : names) {
    list += (i == 0 ? "" : i + 1 == (int)names.size() ? " or " : ", ") + std::string(n);
    ++i;
  }
  *err = "--" + k + " must be " + list + (has(k) ? " (got '" + v + "')" : " (required)");
  return false;
}

bool Args::integer(const std::string &k, int64_t dflt, int64_t lo, int64_t hi, int64_t *out,
                   std::string *err) const {
  if (!has(k)) {
    *out = dflt;
    return true;
  }
  const std::string v = get(k, "");
  char *end = nullptr;
  errno = 0;
  long long x = strtoll(v.c_str(), &end, 10);
  if (v.empty() || *end != '\0' || errno) {
    *err = "--" + k + " wants a whole number, got '" + v + "'";
    return false;
  }
  if (x < lo || x > hi) {
    *err = "--" + k + " must be in [" + std::to_string(lo) + ", " + std::to_string(hi) +
           "], got " + v;
    return false;
  }
  *out = x;
  return true;
}

int fail(const std::string &msg) {
  fprintf(stderr, "cubias: %s\n", msg.c_str());
  return 2;
}

int fail_status(const char *what, cubias_status_t st, cubias_handle_t h) {
  fprintf(stderr, "cubias: %s failed: %s\n  %s\n", what, cubias_status_string(st),
          cubias_get_last_error(h));
  return 1;
}

std::string json_number(double v) {
  if (!std::isfinite(v)) return "null";
  char buf[40];
  snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

}  // namespace cli

static const cli::Command *find_command(const std::string &name) {
  for (const cli::Command *c = cli::commands(); c->name; ++c)
    if (name == c->name) return c;
  return nullptr;
}

static void usage(FILE *out) {
  fprintf(out,
          "cubias %d.%d.%d — set the biases of neural-network layers from data\n\n"
          "usage: cubias COMMAND [ARGS] [--OPTION VALUE ...]\n\n"
          "commands:\n",
          CUBIAS_VERSION_MAJOR, CUBIAS_VERSION_MINOR, CUBIAS_VERSION_PATCH);
  for (const cli::Command *c = cli::commands(); c->name; ++c)
    fprintf(out, "  %-10s %s\n", c->name, c->summary);
  fprintf(out,
          "\n`cubias COMMAND --help` describes a command. Inputs are .npy files (C order).\n"
          "Backend: --backend auto|cpu|cuda (default auto: the GPU when one answers).\n");
}

int main(int argc, char **argv) {
  if (argc < 2 || !strcmp(argv[1], "help") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
    usage(stdout);
    return argc < 2 ? 2 : 0;
  }
  if (!strcmp(argv[1], "--version")) {
    printf("cubias %d.%d.%d\n", CUBIAS_VERSION_MAJOR, CUBIAS_VERSION_MINOR, CUBIAS_VERSION_PATCH);
    return 0;
  }
  const cli::Command *cmd = find_command(argv[1]);
  if (!cmd) {
    fprintf(stderr, "cubias: unknown command '%s'\n\n", argv[1]);
    usage(stderr);
    return 2;
  }
  cli::Args args(argc, argv, 2);
  if (args.has("help")) {
    printf("usage: cubias %s %s\n\n%s\n", cmd->name, cmd->synopsis, cmd->help);
    return 0;
  }
  try {
    return cmd->run(args);
  } catch (const std::bad_alloc &) {
    fprintf(stderr, "cubias: out of host memory\n");
    return 1;
  } catch (const std::exception &e) {
    fprintf(stderr, "cubias: %s\n", e.what());
    return 1;
  }
}
