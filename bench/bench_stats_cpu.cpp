// CPU benchmark of the fused statistics pass against this machine's limit (a
// plain vectorised read-sum loop over the same buffer) and against numpy's
// mean, var, (x>0).mean and max over the same axis, all in one run.
//
//   bench_stats_cpu [rows cols reps]     default 65536 1024 9
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "cubias.h"
#include "host_bench.h"
#ifdef _OPENMP
#include <omp.h>
#endif

#ifndef CUBIAS_BENCH_DIR
#define CUBIAS_BENCH_DIR "bench"
#endif

using bench::median;
using bench::read_sum;
static double now() { return bench::now_s(); }

static bool numpy_seconds(int64_t rows, int64_t cols, int reps, double *total, std::string *detail) {
  std::string cmd = "python3 " CUBIAS_BENCH_DIR "/numpy_peer.py " + std::to_string(rows) + " " +
                    std::to_string(cols) + " " + std::to_string(reps) + " 2>/dev/null";
  FILE *p = popen(cmd.c_str(), "r");
  if (!p) return false;
  char name[64];
  double sec;
  bool ok = false;
  while (fscanf(p, "%63s %lf", name, &sec) == 2) {
    if (strcmp(name, "total") == 0) {
      *total = sec;
      ok = true;
    } else {
      char buf[96];
      snprintf(buf, sizeof buf, "%s%s %.1f ms", detail->empty() ? "" : ", ", name, sec * 1e3);
      *detail += buf;
    }
  }
  pclose(p);
  return ok;
}

int main(int argc, char **argv) {
  int64_t rows = argc > 1 ? atoll(argv[1]) : 65536;
  int64_t cols = argc > 2 ? atoll(argv[2]) : 1024;
  int reps = argc > 3 ? atoi(argv[3]) : 9;
  const int64_t n = rows * cols;
  const double bytes = 4.0 * (double)n;
  std::vector<float> x(n);
  uint64_t s = 88172645463325252ull;
  for (int64_t i = 0; i < n; ++i) {  // xorshift, roughly uniform in [-1.7, 1.7)
    s ^= s << 13, s ^= s >> 7, s ^= s << 17;
    x[i] = (float)((double)(s >> 11) / 9007199254740992.0 * 3.4 - 1.7);
  }
  int threads = 1;
#ifdef _OPENMP
  threads = omp_get_max_threads();
#endif
  printf("cubias CPU statistics benchmark: float32 [%lld, %lld] = %.1f MB, %d thread(s), median of %d\n",
         (long long)rows, (long long)cols, bytes / 1e6, threads, reps);

  cubias_handle_t h;
  if (cubias_create(&h, CUBIAS_BACKEND_CPU) != CUBIAS_STATUS_SUCCESS) return 1;
  cubias_tensor_t view;
  cubias_tensor_rows(&view, x.data(), CUBIAS_DTYPE_F32, rows, cols);
  const struct {
    cubias_activation_t act;
    const char *name;
  } acts[] = {{CUBIAS_ACT_IDENTITY, "fused stats, identity"},
              {CUBIAS_ACT_RELU, "fused stats, ReLU"},
              {CUBIAS_ACT_TANH, "fused stats, tanh"},
              {CUBIAS_ACT_GELU, "fused stats, GELU"}};
  const int nacts = 4;
  cubias_stats_t st[nacts];
  for (int a = 0; a < nacts; ++a)
    if (cubias_stats_create(h, cols, acts[a].act, 0.0f, &st[a]) != CUBIAS_STATUS_SUCCESS) return 1;

  // Rounds: the read loop, then each pass, timed back to back, so that every
  // ratio compares runs made under the same conditions (a shared machine's
  // memory bandwidth drifts); medians over the rounds, after one warm-up.
  volatile float sink = 0;
  std::vector<double> t_read, t_pass[nacts], ratio[nacts];
  for (int r = 0; r <= reps; ++r) {
    double t0 = now();
    sink = sink + read_sum(x.data(), n);
    const double tr = now() - t0;
    double tp[nacts];
    for (int a = 0; a < nacts; ++a) {
      t0 = now();
      cubias_stats_reset(h, st[a]);
      cubias_stats_accumulate(h, st[a], &view);
      tp[a] = now() - t0;
    }
    if (r == 0) continue;
    t_read.push_back(tr);
    for (int a = 0; a < nacts; ++a) {
      t_pass[a].push_back(tp[a]);
      ratio[a].push_back(tr / tp[a]);
    }
  }
  const double tread = median(t_read);
  printf("\n%-34s %10s %10s %12s\n", "pass", "ms", "GB/s", "vs read loop");
  printf("%-34s %10.2f %10.2f %12.2fx\n", "read-sum loop (the limit)", tread * 1e3, bytes / tread / 1e9, 1.0);
  for (int a = 0; a < nacts; ++a) {
    const double t = median(t_pass[a]);
    printf("%-34s %10.2f %10.2f %12.2fx\n", acts[a].name, t * 1e3, bytes / t / 1e9, median(ratio[a]));
    cubias_stats_destroy(st[a]);
  }
  const double t_relu = median(t_pass[1]), relu_vs_read = median(ratio[1]);
  cubias_destroy(h);

  double t_np = 0;
  std::string detail;
  if (numpy_seconds(rows, cols, reps < 5 ? reps : 5, &t_np, &detail)) {
    printf("%-34s %10.2f %10.2f %12.2fx\n", "numpy mean+var+(x>0).mean+max", t_np * 1e3,
           bytes / t_np / 1e9, tread / t_np);
    printf("\nnumpy calls: %s\n", detail.c_str());
    printf("fused ReLU stats vs numpy's four calls: %.2fx faster\n", t_np / t_relu);
  } else {
    printf("\nnumpy: not available (pip install numpy to add the peer)\n");
  }
  printf("fused ReLU stats vs read loop: %.2fx of the limit (median of per-round ratios)\n",
         relu_vs_read);
  return 0;
}
