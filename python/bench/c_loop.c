/* The C side of bench_python_layer.py: time cubias_stats_accumulate in a C loop on
 * the handle, statistics and tensor view the Python side made (same data, same run).
 * The function comes as a pointer to the library the package loaded (an ordinary
 * call through the PLT is the same indirect jump). */
#include <time.h>
#include "cubias.h"

typedef cubias_status_t (*accumulate_fn)(cubias_handle_t, cubias_stats_t, const cubias_tensor_t *);

double cubias_bench_accumulate_ns(accumulate_fn acc, cubias_handle_t h, cubias_stats_t s, const cubias_tensor_t *x,
                                  int reps, int *status) {
  struct timespec a, b;
  *status = 0;
  clock_gettime(CLOCK_MONOTONIC, &a);
  for (int i = 0; i < reps; ++i) {
    cubias_status_t st = acc(h, s, x);
    if (st != CUBIAS_STATUS_SUCCESS) { *status = (int)st; return -1.0; }
  }
  clock_gettime(CLOCK_MONOTONIC, &b);
  return ((b.tv_sec - a.tv_sec) * 1e9 + (b.tv_nsec - a.tv_nsec)) / reps;
}
