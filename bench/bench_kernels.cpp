// Checked benchmark of each kernel family beyond the statistics pass (bench/bench_kernels.h).
//
//   bench_kernels [--backend cuda|cpu] [--family all|derive|revive|prior|mask|gain]
//                 [--mb MB] [--reps N] [--flush-mb MB] [--floor-mb MB] [--csv FILE] [--plant]
//
// --backend   cuda (default where this build has CUDA) times on the GPU against the
//             device copy bandwidth; cpu times the CPU backend against a read loop.
//             Either way every case is first compared with a CPU handle's result.
// --mb        the size of each case's main input (default 256 on the GPU, 64 on the CPU;
//             symmetric_shift takes 1/256 of it, revive_quantile 1/4: their CPU checks are slow)
// --flush-mb  GPU: the L2 flush before each run (default 256)
// --floor-mb  CPU: the read loop's buffer (default: twice the L3, at least 128 MB and
//             the main input); read after each preparation, it also evicts the inputs
// --plant     spoil the reference: every check must fail (exit 1, no time printed)
// Exit status 0 when every case was checked and timed, 1 otherwise.
#include <unistd.h>

#include <cstdlib>
#include <cstring>

#include "bench_kernels.h"

namespace bench {

void *Ctx::alloc(size_t bytes) {
  void *d = mem->alloc(bytes);
  if (!d) fail("alloc", "allocation of " + std::to_string(bytes) + " bytes failed");
  return d;
}

bool Ctx::views(cubias_tensor_t *on_backend, const void *d, cubias_tensor_t *on_host, const void *h, int64_t N,
                int64_t C) {
  return ok(cubias_tensor_rows(on_backend, d, CUBIAS_DTYPE_F32, N, C), NULL, "tensor_rows") &&
         ok(cubias_tensor_rows(on_host, h, CUBIAS_DTYPE_F32, N, C), NULL, "tensor_rows");
}

void *Ctx::upload(const void *host, size_t bytes) {
  void *d = mem->alloc(bytes);
  if (!d || !mem->put(d, host, bytes)) {
    fail("upload", "allocation or copy of " + std::to_string(bytes) + " bytes failed");
    return nullptr;
  }
  return d;
}

bool Ctx::ok(cubias_status_t st, cubias_handle_t on, const char *what) {
  if (st == CUBIAS_STATUS_SUCCESS) return true;
  fail(what, std::string(cubias_status_string(st)) + ": " + cubias_get_last_error(on));
  return false;
}

void Ctx::fail(const char *what, const std::string &why) {
  printf("FAILED %s: %s\n", what, why.c_str());
  ++failures;
}

void Ctx::run(const char *family, const std::string &name, double bytes, const Step &prepare,
              const Step &pass, const std::function<Check()> &check) {
  const std::string what = std::string(family) + " " + name;
  if (!prepare() || !pass())
    return fail(what.c_str(), std::string("the first run failed: ") + cubias_get_last_error(h));
  const Check before = check();
  if (!before.ok) return fail(what.c_str(), "differs from the CPU backend, not timed: " + before.what);
  const Timed t = mem->time(reps, bytes, prepare, pass);
  if (!t.error.empty()) return fail(what.c_str(), "timing: " + t.error + "; " + cubias_get_last_error(h));
  const Check after = check();
  if (!after.ok) return fail(what.c_str(), "differs from the CPU backend after the timing: " + after.what);
  const double gbs = bytes / (t.ms * 1e-3) / 1e9;
  printf("%-7s %-52s %9.2f %9.3f %9.1f %7.1f%% %9.3f  %s\n", family, name.c_str(), bytes / 1e6, t.ms, gbs,
         t.pct, t.floor_ms, before.what.c_str());
  if (csv)
    fprintf(csv, "%s,%s,%.0f,%.5f,%.3f,%.2f,%.5f,\"%s\"\n", family, name.c_str(), bytes, t.ms, gbs, t.pct,
            t.floor_ms, before.what.c_str());
}

bool StatsPair::make(Ctx &c, const cubias_tensor_t &on_backend, const cubias_tensor_t &on_host,
                     cubias_activation_t act) {
  return c.ok(cubias_stats_create(c.h, on_backend.channels, act, 0.0f, &timed), c.h, "stats_create") &&
         c.ok(cubias_stats_create(c.ref, on_host.channels, act, 0.0f, &ref), c.ref, "stats_create (CPU)") &&
         c.ok(cubias_stats_accumulate(c.h, timed, &on_backend), c.h, "stats_accumulate") &&
         c.ok(cubias_stats_accumulate(c.ref, ref, &on_host), c.ref, "stats_accumulate (CPU)");
}

void StatsPair::release() {
  cubias_stats_destroy(timed);
  cubias_stats_destroy(ref);
  timed = ref = nullptr;
}

}  // namespace bench

namespace {

const struct {
  const char *name;
  void (*run)(bench::Ctx &);
} kFamilies[] = {{"derive", bench::family_derive},
                 {"revive", bench::family_revive},
                 {"prior", bench::family_prior},
                 {"mask", bench::family_mask},
                 {"gain", bench::family_gain}};

// The bytes the CPU floor reads a round: at least twice the last-level cache (so that
// the read loop also evicts the pass's inputs) and 128 MB.
size_t cpu_floor_bytes(size_t target) {
  size_t b = (size_t)128 << 20;
#ifdef _SC_LEVEL3_CACHE_SIZE
  const long l3 = sysconf(_SC_LEVEL3_CACHE_SIZE);
  if (l3 > 0 && 2 * (size_t)l3 > b) b = 2 * (size_t)l3;
#endif
  return target > b ? target : b;
}

int usage() {
  fprintf(stderr,
          "usage: bench_kernels [--backend cuda|cpu] [--family all|derive|revive|prior|mask|gain]\n"
          "                     [--mb MB] [--reps N] [--flush-mb MB] [--floor-mb MB] [--csv FILE] [--plant]\n");
  return 2;
}

}  // namespace

int main(int argc, char **argv) {
#ifdef CUBIAS_BENCH_CUDA
  bool gpu = true;
#else
  bool gpu = false;
#endif
  const char *family = "all", *csv_path = nullptr;
  double mb = 0, flush_mb = 256, floor_mb = 0;
  int reps = 0;
  bool plant = false;
  for (int i = 1; i < argc; ++i) {
    const bool more = i + 1 < argc;
    if (!strcmp(argv[i], "--backend") && more) {
      const char *b = argv[++i];
      if (strcmp(b, "cuda") && strcmp(b, "cpu")) return usage();
      gpu = !strcmp(b, "cuda");
    } else if (!strcmp(argv[i], "--family") && more) family = argv[++i];
    else if (!strcmp(argv[i], "--mb") && more) mb = atof(argv[++i]);
    else if (!strcmp(argv[i], "--flush-mb") && more) flush_mb = atof(argv[++i]);
    else if (!strcmp(argv[i], "--floor-mb") && more) floor_mb = atof(argv[++i]);
    else if (!strcmp(argv[i], "--reps") && more) reps = atoi(argv[++i]);
    else if (!strcmp(argv[i], "--csv") && more) csv_path = argv[++i];
    else if (!strcmp(argv[i], "--plant")) plant = true;
    else return usage();
  }
  bool known = !strcmp(family, "all");
  for (const auto &f : kFamilies) known = known || !strcmp(family, f.name);
  if (!known || mb < 0 || flush_mb <= 0 || floor_mb < 0 || reps < 0) return usage();
  if (mb == 0) mb = gpu ? 256 : 64;
  if (reps == 0) reps = gpu ? 15 : 5;
  const size_t bytes = (size_t)(mb * 1e6);

  std::string why;
  std::unique_ptr<bench::Mem> mem =
      gpu ? bench::make_gpu_mem(bytes < (1u << 20) ? 1u << 20 : bytes, (size_t)(flush_mb * 1e6), &why)
          : bench::make_cpu_mem(floor_mb > 0 ? (size_t)(floor_mb * 1e6) : cpu_floor_bytes(bytes));
  if (!mem) {
    printf("bench_kernels: no GPU to time on (%s), nothing measured\n", why.c_str());
    return 0;
  }
  bench::Ctx c;
  c.mem = mem.get(), c.gpu = gpu, c.target_bytes = (double)bytes, c.reps = reps, c.plant = plant;
  if (cubias_create(&c.h, gpu ? CUBIAS_BACKEND_CUDA : CUBIAS_BACKEND_CPU) != CUBIAS_STATUS_SUCCESS ||
      cubias_create(&c.ref, CUBIAS_BACKEND_CPU) != CUBIAS_STATUS_SUCCESS) {
    printf("bench_kernels: cubias_create failed: %s\n", cubias_get_last_error(NULL));
    return 1;
  }
  printf("cubias kernel families on the %s backend, main input %.1f MB, median of %d runs%s\n", gpu ? "CUDA" : "CPU",
         mb, reps, plant ? " (--plant: the checks must fail)" : "");
  if (gpu) printf("floor: %s\n", mem->floor_text().c_str());
  printf("\n");
  printf("%-7s %-52s %9s %9s %9s %8s %9s  %s\n", "family", "case", "MB", "ms", "GB/s", "% floor", "floor ms",
         "check against the CPU backend (before timing; again after)");
  c.csv = csv_path ? fopen(csv_path, "w") : nullptr;
  if (c.csv) fprintf(c.csv, "family,case,bytes,ms,gbps,pct_floor,floor_ms,check\n");
  for (const auto &f : kFamilies)
    if (!strcmp(family, "all") || !strcmp(family, f.name)) f.run(c);
  if (!gpu) printf("\nfloor: %s\n", mem->floor_text().c_str());
  printf("\nMB and GB/s count the bytes a pass reads and writes (GB = 1e9); floor ms = MB / the floor's GB/s;\n"
         "%% floor = floor ms / ms (%s).\n",
         gpu ? "the device copy's read+write bandwidth" : "the read loop's bandwidth, per round");
  if (c.csv) fclose(c.csv);
  int errors = 0;
  if (cubias_destroy(c.h) != CUBIAS_STATUS_SUCCESS) ++errors;
  if (cubias_destroy(c.ref) != CUBIAS_STATUS_SUCCESS) ++errors;
  errors += mem->release();
  if (c.failures) printf("%d case(s) FAILED\n", c.failures);
  if (errors) printf("%d release(s) FAILED\n", errors);
  return c.failures || errors ? 1 : 0;
}
